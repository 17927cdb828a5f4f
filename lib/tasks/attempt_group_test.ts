import assert from "node:assert/strict";
import type { CheckOutcome, Phase, TaskMeta } from "./task.ts";
import { attemptRequests, diffSize, isGroupId, newGroupId, rankAttempts } from "./attempt_group.ts";

function check(exitCode: number): CheckOutcome {
  return {
    command: "npm test",
    exitCode,
    passed: exitCode === 0,
    tail: "",
    timedOut: false,
    cancelled: false,
    durationMs: 1,
    startedAt: "2026-01-01T00:00:00Z",
  };
}

/** An attempt: its id, phase, check exit code (or none), diff size and end minute. */
function attempt(
  id: string,
  index: number,
  phase: Phase,
  exit: number | null,
  size: number | null,
  endMinute: number | null,
): { meta: TaskMeta } {
  return {
    meta: {
      id,
      phase,
      request: { prompt: "fix", group: { id: "g-0123456789ab", index, size: 6 } },
      check: exit === null ? undefined : check(exit),
      worktreeOutcome: size === null
        ? null
        : { commit: "c", files: [], insertions: size, deletions: 1 },
      endedAt: endMinute === null
        ? null
        : `2026-01-01T00:${String(endMinute).padStart(2, "0")}:00Z`,
    } as TaskMeta,
  };
}

Deno.test("rankAttempts: check passed, then smaller diff, then earlier end; unfinished last", () => {
  const ranked = rankAttempts([
    attempt("running", 0, "running", null, null, null),
    attempt("failed-small", 1, "completed", 1, 1, 5),
    attempt("passed-big", 2, "completed", 0, 40, 9),
    attempt("failed-big-early", 3, "completed", 2, 10, 1),
    attempt("passed-small-late", 4, "completed", 0, 2, 30),
    attempt("failed-small-early", 5, "completed", 1, 1, 2),
  ]);
  assert.deepEqual(ranked.map((a) => a.meta.id), [
    "passed-small-late",
    "passed-big",
    "failed-small-early",
    "failed-small",
    "failed-big-early",
    "running",
  ]);
});

Deno.test("rankAttempts: ties go by attempt index; no diff ranks after any diff", () => {
  const ranked = rankAttempts([
    attempt("b", 1, "completed", 0, 3, 4),
    attempt("a", 0, "completed", 0, 3, 4),
    attempt("cancelled", 2, "cancelled", null, null, 1),
  ]);
  assert.deepEqual(ranked.map((a) => a.meta.id), ["a", "b", "cancelled"]);
  assert.equal(diffSize(attempt("x", 0, "completed", 0, 3, 1).meta), 4);
  assert.equal(diffSize({ worktreeOutcome: null }), null);
});

Deno.test("group ids and the attempts' requests", () => {
  const id = newGroupId();
  assert.ok(isGroupId(id), id);
  assert.equal(isGroupId("0123456789ab"), false);
  const requests = attemptRequests({ prompt: "fix", worktree: true }, 3, id);
  assert.deepEqual(
    requests.map((r) => r.group),
    [0, 1, 2].map((index) => ({ id, index, size: 3 })),
  );
  assert.ok(requests.every((r) => r.prompt === "fix" && r.worktree === true));
});
