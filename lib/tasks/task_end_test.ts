import assert from "node:assert/strict";
import { taskEnd } from "./task_end.ts";

const meta = {
  cancelRequested: false,
  timedOut: false,
  request: { prompt: "p", timeoutS: 5 },
  session: undefined,
  answered: [],
  failure: null,
};

Deno.test("taskEnd: a cancel or a time limit asked for wins over the turn's status", () => {
  assert.equal(
    taskEnd({ ...meta, cancelRequested: true }, { turnStatus: "completed", failure: null }, null)
      .phase,
    "cancelled",
  );
  const late = taskEnd(
    { ...meta, timedOut: true },
    { turnStatus: "interrupted", failure: null },
    null,
  );
  assert.equal(late.phase, "timed_out");
  assert.match(
    late.failure ?? "",
    /time limit \(5 s\); time spent waiting for answers does not count/,
  );
});

Deno.test("taskEnd: the turn's status, a cancel answer, an app-server gone", () => {
  assert.deepEqual(taskEnd(meta, { turnStatus: "completed", failure: null }, null), {
    phase: "completed",
    failure: null,
  });
  assert.deepEqual(taskEnd(meta, { turnStatus: "failed", failure: "boom" }, null), {
    phase: "failed",
    failure: "boom",
  });
  const answered = [{ kind: "command", message: "run x", decision: "cancel", by: "top", at: "" }];
  assert.deepEqual(
    taskEnd({ ...meta, answered }, { turnStatus: "interrupted", failure: null }, null),
    {
      phase: "cancelled",
      failure: "Cancelled by the answer to: run x",
    },
  );
  assert.equal(
    taskEnd(meta, { turnStatus: "interrupted", failure: null }, null).phase,
    "interrupted",
  );
  assert.deepEqual(
    taskEnd(meta, { turnStatus: "inProgress", failure: null }, "app-server exited"),
    {
      phase: "failed",
      failure: "app-server exited",
    },
  );
});

Deno.test("taskEnd: a lost worker fails the task though its turn says completed", () => {
  const lost = "worker gpu lost: exec-server environment is recovering";
  const end = taskEnd(
    { ...meta, workerLost: lost },
    { turnStatus: "completed", failure: null },
    null,
  );
  assert.deepEqual(end, { phase: "failed", failure: lost });
});
