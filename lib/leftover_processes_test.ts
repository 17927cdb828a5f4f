import assert from "node:assert/strict";
import {
  innerFindArgs,
  innerGlobEscape,
  innerLsofCwdPids,
  innerProcCwdPids,
  isInside,
  killProcessesIn,
} from "./leftover_processes.ts";

Deno.test("isInside matches the directory and what lies below it, not a sibling prefix", () => {
  assert.equal(isInside("/w/a", "/w/a"), true);
  assert.equal(isInside("/w/a/src", "/w/a"), true);
  assert.equal(isInside("/w/ab", "/w/a"), false);
  assert.equal(isInside("/w", "/w/a"), false);
});

Deno.test("find patterns escape glob characters and match the directory and below", () => {
  assert.equal(innerGlobEscape("/w/[x]*?\\"), "/w/\\[x\\]\\*\\?\\\\");
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
