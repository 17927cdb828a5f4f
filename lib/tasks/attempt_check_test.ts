import assert from "node:assert/strict";
import type { CommandOutcome } from "../codex/sandboxed_command.ts";
import { type CheckSteps, describeCheck, runTaskCheck } from "./attempt_check.ts";
import type { WorktreeOutcome } from "../git/task_commit.ts";

const COMMITTED: WorktreeOutcome = { commit: "c0ffee", files: [], insertions: 1, deletions: 0 };

function ran(over: Partial<CommandOutcome>): CommandOutcome {
  return {
    command: "npm test",
    exitCode: 0,
    tail: "ok\n",
    timedOut: false,
    cancelled: false,
    durationMs: 12,
    ...over,
  };
}

/** Steps that record their order. */
function steps(over: Partial<CheckSteps> = {}, order: string[] = []): CheckSteps {
  return {
    commit: () => (order.push("commit"), Promise.resolve(COMMITTED)),
    running: () => order.push("running"),
    run: () => (order.push("run"), Promise.resolve(ran({}))),
    dropLeftovers: () => (order.push("drop"), Promise.resolve(["dist/out.js"])),
    timedOut: () => false,
    ...over,
  };
}

Deno.test("runTaskCheck commits first, then runs the check, then drops what it left", async () => {
  const order: string[] = [];
  const check = await runTaskCheck("npm test", steps({}, order));
  assert.deepEqual(order, ["commit", "running", "run", "drop"]);
  assert.equal(check.passed, true);
  assert.equal(check.exitCode, 0);
  assert.equal(check.tail, "ok\n");
  assert.deepEqual(check.dropped, ["dist/out.js"]);
  assert.equal(describeCheck(check), 'check "npm test" passed');
});

Deno.test("runTaskCheck: a failing check is data; a stop says cancel or time limit", async () => {
  const failed = await runTaskCheck(
    "npm test",
    steps({ run: () => Promise.resolve(ran({ exitCode: 1, tail: "1 failing" })) }),
  );
  assert.equal(failed.passed, false);
  assert.equal(failed.exitCode, 1);
  assert.equal(describeCheck(failed), 'check "npm test" failed (exit 1)');
  const stopped = steps({ run: () => Promise.resolve(ran({ exitCode: 137, cancelled: true })) });
  const cancelled = await runTaskCheck("npm test", stopped);
  assert.deepEqual([cancelled.cancelled, cancelled.timedOut, cancelled.passed], [
    true,
    false,
    false,
  ]);
  const late = await runTaskCheck("npm test", { ...stopped, timedOut: () => true });
  assert.deepEqual([late.cancelled, late.timedOut], [false, true]);
  assert.match(describeCheck(late), /time limit/);
});

Deno.test("runTaskCheck: no check on work that could not be committed; commit: false keeps all", async () => {
  const order: string[] = [];
  const broken = await runTaskCheck(
    "npm test",
    steps({ commit: () => Promise.resolve({ ...COMMITTED, error: "index.lock" }) }, order),
  );
  assert.equal(broken.exitCode, null);
  assert.match(broken.skipped ?? "", /committing the task's work failed: index.lock/);
  assert.deepEqual(order, []);
  const kept: string[] = [];
  const uncommitted = await runTaskCheck(
    "npm test",
    steps({ commit: () => Promise.resolve(null) }, kept),
  );
  assert.equal(uncommitted.passed, true);
  assert.deepEqual(kept, ["running", "run"]);
  assert.equal(uncommitted.dropped, undefined);
  const refused = await runTaskCheck(
    "npm test",
    steps({ run: () => Promise.reject(new Error("Codex is not running")) }),
  );
  assert.match(describeCheck(refused), /did not run: Codex could not run it/);
  const unfinished = { ...refused, skipped: undefined };
  assert.equal(describeCheck(unfinished), 'Running check "npm test"');
  assert.equal(describeCheck(unfinished, true), 'check "npm test" did not finish');
});
