import assert from "node:assert/strict";
import { spawn } from "node:child_process";
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
  "DetachedLauncher: the whole group is killed; start time guards pids",
  opts,
  async () => {
    const launcher = new DetachedLauncher();
    // A group of its own with a child in the background, as Codex's shell commands are.
    const child = spawn("sh", ["-c", "sleep 31.75 & wait"], { detached: true, stdio: "ignore" });
    const exited = new Promise<string | null>((done) => child.once("exit", (_c, s) => done(s)));
    const pid = child.pid!;
    const startTime = launcher.startTimeOf(pid);
    assert.ok(await until(() => launcher.groupAlive(pid)));
    assert.ok(launcher.isAlive(pid, startTime));
    assert.equal(launcher.isAlive(pid, "Thu Jan  1 00:00:00 1970"), false, "pid reuse guard");
    launcher.killTree(pid, "SIGTERM");
    assert.equal(await exited, "SIGTERM");
    assert.ok(await until(() => !launcher.groupAlive(pid)), "the background sleep survived");
    assert.equal(launcher.isAlive(pid, startTime), false);
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
