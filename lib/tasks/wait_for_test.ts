import assert from "node:assert/strict";
import type { ChangeListener } from "./engine_api.ts";
import { taskMeta } from "../../tests/support/task_meta.ts";
import { PendingQuestion } from "./pending_question.ts";
import { describeQuestion } from "./questions.ts";
import { snapshotOf, TaskRecord } from "./task_record.ts";
import { waitForTasks } from "./wait_for.ts";

/** Records and the change feed the waits listen to. */
function world(phases: string[]) {
  const records = phases.map((phase, i) =>
    new TaskRecord(taskMeta(`t${i}`, { phase: phase as never }), null)
  );
  const listeners = new Set<ChangeListener>();
  const hooks = { snapshot: (r: TaskRecord) => snapshotOf(r, null), listeners };
  const change = (record: TaskRecord, phase: string) => {
    record.meta.phase = phase as never;
    for (const l of [...listeners]) l(snapshotOf(record, null), null);
  };
  return { records, hooks, change, listeners };
}

Deno.test("waitForTasks: all waits for every task, any for the first", async () => {
  const w = world(["running", "running"]);
  const all = waitForTasks(w.records, { mode: "all", timeoutMs: 10_000 }, w.hooks);
  const any = waitForTasks(w.records, { mode: "any", timeoutMs: 10_000 }, w.hooks);
  w.change(w.records[0]!, "completed");
  const first = await any;
  assert.equal(first.satisfied, true);
  assert.deepEqual(first.tasks.map((t) => t.meta.phase), ["completed", "running"]);
  w.change(w.records[1]!, "failed");
  assert.equal((await all).satisfied, true);
  assert.equal(w.listeners.size, 0, "every wait stops listening");
});

Deno.test("waitForTasks: a timeout or an abort ends the wait unsatisfied", async () => {
  const w = world(["running"]);
  assert.equal(
    (await waitForTasks(w.records, { mode: "all", timeoutMs: 20 }, w.hooks)).satisfied,
    false,
  );
  const controller = new AbortController();
  const waiting = waitForTasks(w.records, {
    mode: "all",
    timeoutMs: 10_000,
    signal: controller.signal,
  }, w.hooks);
  controller.abort();
  assert.equal((await waiting).satisfied, false);
  assert.equal(w.listeners.size, 0);
});

Deno.test("waitForTasks: a question ends a session's wait once; final tasks at once", async () => {
  const w = world(["waiting_approval", "completed"]);
  const question = describeQuestion("item/commandExecution/requestApproval", {
    command: "rm -rf build",
    cwd: "/repo",
  }, new Map());
  w.records[0]!.pending = new PendingQuestion("q1", question, () => {});
  const options = { mode: "all" as const, timeoutMs: 30, sessionId: "s-1" };
  const told = await waitForTasks(w.records, options, w.hooks);
  assert.equal(told.satisfied, false);
  assert.deepEqual(told.questions.map((q) => [q.task_id, q.id]), [["t0", "q1"]]);
  // Told once: the next wait of that session runs to its timeout; another session is told.
  assert.deepEqual((await waitForTasks(w.records, options, w.hooks)).questions, []);
  const other = await waitForTasks(w.records, { ...options, sessionId: "s-2" }, w.hooks);
  assert.equal(other.questions.length, 1);
  const done = await waitForTasks([w.records[1]!], { mode: "all", timeoutMs: 10_000 }, w.hooks);
  assert.equal(done.satisfied, true);
});
