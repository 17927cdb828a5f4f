import assert from "node:assert/strict";
import {
  innerFindArgs,
  innerLsofCwdPids,
  innerPersons,
  innerProcCwdPids,
  isInside,
  killProcessesIn,
  processesIn,
} from "./leftover_processes.ts";

Deno.test("isInside matches the directory and what lies below it, not a sibling prefix", () => {
  assert.equal(isInside("/w/a", "/w/a"), true);
  assert.equal(isInside("/w/a/src", "/w/a"), true);
  assert.equal(isInside("/w/ab", "/w/a"), false);
  assert.equal(isInside("/w", "/w/a"), false);
});

Deno.test("find patterns escape glob characters and match the directory and below", () => {
  assert.ok(innerFindArgs(["/w/[x]*?\\"]).includes("/w/\\[x\\]\\*\\?\\\\"));
  assert.equal(
    innerFindArgs(["/w/a", "/w/b*"]).join(" "),
    "/proc -mindepth 2 -maxdepth 2 -name cwd ( -lname /w/a -o -lname /w/a/* " +
      "-o -lname /w/b\\* -o -lname /w/b\\*/* ) -print",
  );
});

Deno.test("pids are read from find's and lsof's output, without this process", () => {
  assert.deepEqual(innerProcCwdPids("/proc/12/cwd\n/proc/self/cwd\n/proc/7/cwd\n\n", 7), [12]);
  assert.deepEqual(
    innerLsofCwdPids("p12\nfcwd\nn/w/a/src\np13\nfcwd\nn/w/ab\np7\nfcwd\nn/w/a\n", ["/w/a"], 7),
    [12],
  );
});

Deno.test("killProcessesIn kills what works in the directory, and nothing else", async () => {
  const inside = await Deno.makeTempDir({ prefix: "leftover-in-" });
  const outside = await Deno.makeTempDir({ prefix: "leftover-out-" });
  await Deno.mkdir(`${inside}/deep`);
  const spawn = (cwd: string) =>
    new Deno.Command("sleep", { args: ["60"], cwd, stdout: "null", stderr: "null" }).spawn();
  const a = spawn(inside);
  const b = spawn(`${inside}/deep`);
  const c = spawn(outside);
  try {
    const killed = await killProcessesIn([inside]);
    assert.deepEqual(killed.sort(), [a.pid, b.pid].sort());
    assert.equal((await a.status).signal, "SIGKILL");
    assert.equal((await b.status).signal, "SIGKILL");
    assert.deepEqual(await killProcessesIn([inside]), []);
  } finally {
    c.kill("SIGKILL");
    await c.status;
    await Deno.remove(inside, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a person's process (a terminal, not Codex's) is spared; Codex's and a detached one are not", () => {
  const stat = (tty: number) => `4242 (my (odd) name) S 1 4242 4242 ${tty} 4242 4194560 0 0`;
  assert.equal(innerPersons(stat(34816), "HOME=/h\0TERM=xterm\0"), true);
  assert.equal(innerPersons(stat(34816), "HOME=/h\0CODEX_THREAD_ID=019a\0"), false);
  assert.equal(innerPersons(stat(0), "HOME=/h\0"), false);
  assert.equal(innerPersons("", ""), false);
});

Deno.test({
  name:
    "processesIn passes over a process at a terminal in the directory (tmux), not a detached one",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const has = await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .output().then((o) => o.success, () => false);
    if (!has) return console.log("skipped: tmux is missing");
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "leftover-tty-" }));
    const name = `leftover-${crypto.randomUUID().slice(0, 8)}`;
    const detached = new Deno.Command("sleep", { args: ["30"], cwd: dir, stdin: "null" }).spawn();
    try {
      await new Deno.Command("tmux", {
        args: ["new-session", "-d", "-s", name, "-c", dir, "sleep 30"],
      }).output();
      const inTmux = async () =>
        (await new Deno.Command("tmux", { args: ["list-panes", "-t", name, "-F", "#{pane_pid}"] })
          .output()).stdout;
      const panePid = Number(new TextDecoder().decode(await inTmux()).trim());
      assert.ok(panePid > 0, "no tmux pane");
      const found = await processesIn([dir]);
      assert.ok(found.includes(detached.pid), "the detached process was not found");
      assert.ok(!found.includes(panePid), "the process at a terminal would be killed");
    } finally {
      detached.kill();
      await detached.status;
      await new Deno.Command("tmux", { args: ["kill-session", "-t", name], stderr: "null" })
        .output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
