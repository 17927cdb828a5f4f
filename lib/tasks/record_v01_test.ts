import assert from "node:assert/strict";
import { fromV01 } from "./record_v01.ts";
import type { TaskMeta } from "./task.ts";
import { taskMeta, v01Meta } from "../../tests/support/task_meta.ts";

/** A 0.1 record as `loadAll` reads it. */
function v01(phase: string, extra: Record<string, unknown> = {}): TaskMeta {
  return v01Meta("0a1b2c3d4e5f", {
    phase,
    createdAt: "2026-01-01T00:00:00.000Z",
    startedAt: "2026-01-01T00:00:01.000Z",
    pid: 4242,
    threadId: "019a0000-0000-7000-8000-000000000001",
    owner: { pid: 99, startTime: null },
    ...extra,
  }) as unknown as TaskMeta;
}

Deno.test("fromV01: an unfinished 0.1 task is interrupted, its thread named for codex-reply", () => {
  const meta = fromV01(v01("running"));
  assert.equal(meta.phase, "interrupted");
  assert.equal(meta.endedAt, "2026-01-01T00:00:01.000Z");
  assert.equal(
    meta.failure,
    "Started by codex-swarm 0.1, whose codex exec (pid 4242) this version does not follow; " +
      "its thread 019a0000-0000-7000-8000-000000000001 can be continued with codex-reply",
  );
  for (const field of ["argv", "pid", "pidStartTime", "exit", "owner"]) {
    assert.ok(!(field in meta), field);
  }
  const early = fromV01(v01("starting", { threadId: null, pid: null }));
  assert.equal(early.phase, "interrupted");
  assert.match(early.failure ?? "", /codex exec this version does not follow; Codex had not/);
  // Never started: it stays queued, and runs.
  const queued = fromV01(v01("queued", { startedAt: null, threadId: null, pid: null }));
  assert.equal(queued.phase, "queued");
  assert.equal(queued.endedAt, null);
  assert.ok(!("argv" in queued));
});

Deno.test("fromV01: a finished 0.1 task keeps its phase and final message; lost is interrupted", () => {
  const done = fromV01(v01("completed", {
    endedAt: "2026-01-01T00:01:00.000Z",
    finalMessage: "Fixed.",
    exit: { code: 0, signal: null },
  }));
  assert.equal(done.phase, "completed");
  assert.equal(done.finalMessage, "Fixed.");
  assert.equal(done.failure, null);
  assert.ok(!("exit" in done));
  const lost = fromV01(v01("lost", { failure: "Its process ended without a final event" }));
  assert.equal(lost.phase, "interrupted");
  assert.match(lost.failure ?? "", /^Its process ended without a final event\. Started by/);
});

Deno.test("fromV01: a record of this version is kept as it is", () => {
  const meta = taskMeta("aaa", { phase: "running" });
  assert.equal(fromV01(meta), meta);
});
