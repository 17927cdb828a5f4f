import assert from "node:assert/strict";
import { checkBinary, DetachedLauncher, SpawnError } from "./process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

Deno.test(
  "DetachedLauncher: output goes to files; the whole group is killed; start time guards pids",
  opts,
  async () => {
    const dir = await Deno.makeTempDir();
    const launcher = new DetachedLauncher();
    // The launcher unrefs its children (they may outlive the server): keep this test's loop alive.
    const keepAlive = setInterval(() => {}, 1000);
    const proc = await launcher.spawn({
      bin: "sh",
      // A child in the background, as Codex's shell commands are.
      args: ["-c", "echo started; echo oops >&2; sleep 31.75 & wait"],
      cwd: dir,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
      stdoutPath: `${dir}/out`,
      stderrPath: `${dir}/err`,
    });
    assert.ok(await until(() => Deno.readTextFileSync(`${dir}/out`) === "started\n"));
    assert.equal(Deno.readTextFileSync(`${dir}/err`), "oops\n");
    assert.ok(launcher.isAlive(proc.pid, proc.startTime));
    assert.equal(launcher.isAlive(proc.pid, "Thu Jan  1 00:00:00 1970"), false, "pid reuse guard");
    assert.ok(launcher.groupAlive(proc.pid));
    launcher.killTree(proc.pid, "SIGTERM");
    const status = await proc.exited;
    assert.equal(status.signal, "SIGTERM");
    assert.ok(await until(() => !launcher.groupAlive(proc.pid)), "the background sleep survived");
    assert.equal(launcher.isAlive(proc.pid, proc.startTime), false);
    clearInterval(keepAlive);
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("checkBinary: a missing or non-executable binary is a clear SpawnError", async () => {
  assert.throws(
    () => checkBinary("/nonexistent/codex", ""),
    (e: unknown) =>
      e instanceof SpawnError && /was not found.*: binary is \/nonexistent\/codex$/.test(e.message),
  );
  assert.throws(() => checkBinary("no-such-codex-binary", "/usr/bin:/bin"), /was not found/);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/codex`, "#!/bin/sh\n", { mode: 0o644 });
  assert.throws(() => checkBinary(`${dir}/codex`, ""), /is not executable/);
  checkBinary("sh", Deno.env.get("PATH") ?? "/usr/bin:/bin");
  await Deno.remove(dir, { recursive: true });
});
