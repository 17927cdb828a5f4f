import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { descendantPids, groupAlive, isAlive, listProcesses, sendSignal } from "./process.ts";

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
  "isAlive and groupAlive: the whole group is seen until killed; start time guards pids",
  opts,
  async () => {
    // A group of its own with a child in the background, as Codex's shell commands are.
    const child = spawn("sh", ["-c", "sleep 31.75 & wait"], { detached: true, stdio: "ignore" });
    const exited = new Promise<string | null>((done) => child.once("exit", (_c, s) => done(s)));
    const pid = child.pid!;
    const startTime = listProcesses().find((p) => p.pid === pid)!.startTime;
    assert.ok(await until(() => groupAlive(pid)));
    assert.ok(isAlive(pid, startTime));
    assert.equal(isAlive(pid, "Thu Jan  1 00:00:00 1970"), false, "pid reuse guard");
    // As codex_pool.ts stops a tree: the group, the process and everything below it.
    sendSignal([-pid, pid, ...descendantPids(pid)], "SIGTERM");
    assert.equal(await exited, "SIGTERM");
    assert.ok(await until(() => !groupAlive(pid)), "the background sleep survived");
    assert.equal(isAlive(pid, startTime), false);
  },
);
