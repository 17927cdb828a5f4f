import assert from "node:assert/strict";
import { taskMeta } from "../../../tests/support/task_meta.ts";
import { initialRunState } from "../../codex/run_state.ts";
import type { Phase, TaskMeta, TaskSnapshot } from "../../tasks/task.ts";
import { TAIL_CHARS } from "../../codex/sandboxed_command.ts";
import { fitGroups, groupText, groupView } from "./group_view.ts";

const GROUP = "g-0123456789ab";

/** Attempt `index` of a group of `size`: its phase, check exit code and diff size. */
function attempt(
  index: number,
  size: number,
  phase: Phase,
  exit: number | null,
  diff: number,
  tail = `attempt ${index} output\n`,
): TaskSnapshot {
  const id = `a${index}`;
  const meta: TaskMeta = taskMeta(id, {
    phase,
    request: { prompt: "fix", worktree: true, group: { id: GROUP, index, size } },
    endedAt: phase === "running" ? null : `2026-01-01T00:00:0${index}Z`,
    worktree: {
      path: `/wt/${id}`,
      branch: `codex-swarm/${id}`,
      baseRef: "main",
      baseCommit: "c0",
      repoRoot: "/r",
    } as TaskMeta["worktree"],
    worktreeOutcome: { commit: "c1", files: [], insertions: diff, deletions: 0 },
    check: exit === null && phase === "running" ? undefined : {
      command: "npm test",
      exitCode: exit,
      passed: exit === 0,
      tail,
      timedOut: false,
      cancelled: false,
      durationMs: 5,
      startedAt: "2026-01-01T00:00:00Z",
    },
  });
  return { meta, run: initialRunState(), elapsedMs: 2000 };
}

Deno.test("groupView ranks the attempts and names the best to merge", () => {
  const view = groupView(GROUP, [
    attempt(0, 3, "completed", 1, 2),
    attempt(1, 3, "completed", 0, 9),
    attempt(2, 3, "completed", 1, 1),
  ]);
  assert.deepEqual(view.attempts.map((r) => [r.rank, r.task_id, r.check_exit_code, r.diff_size]), [
    [1, "a1", 0, 9],
    [2, "a2", 1, 1],
    [3, "a0", 1, 2],
  ]);
  assert.equal(view.best, "a1");
  assert.equal(view.passed, 1);
  assert.equal(view.attempts[0]!.branch, "codex-swarm/a1");
  assert.equal(view.attempts[0]!.check!.tail, "attempt 1 output\n");
  assert.match(view.next, /^codex_worktree \{"task_id":"a1","action":"merge"\} takes the best/);
  assert.match(view.next, /"task_id":"g-0123456789ab","action":"discard"/);
  assert.match(groupText([view], 2000), /1\. a1 completed check 0 diff 9 \[codex-swarm\/a1\]/);
});

Deno.test("groupView: while attempts run, no best and the wait hint; none passed says so", () => {
  const running = groupView(GROUP, [
    attempt(0, 2, "completed", 0, 1),
    attempt(1, 2, "running", null, 1),
  ]);
  assert.equal(running.best, null);
  assert.equal(running.done, 1);
  assert.equal(running.next, `codex_wait {"task_ids":["${GROUP}"]} to collect`);
  assert.ok(running.attempts[1]!.step, "a running attempt shows its step");
  const none = groupView(GROUP, [attempt(0, 2, "completed", 1, 1), attempt(1, 2, "failed", 2, 1)]);
  assert.match(none.next, /^no attempt passed its check: codex_diff \{"task_id":"a0"\}/);
});

Deno.test("fitGroups: eight attempts with full output tails fit the budget, tails cut first", () => {
  const tail = "x".repeat(TAIL_CHARS - 3) + "END";
  const tasks = Array.from(
    { length: 8 },
    (_, i) => attempt(i, 8, "completed", i === 5 ? 0 : 1, 3, tail),
  );
  const roomy = fitGroups([{ id: GROUP, tasks }], 100_000)[0]!;
  assert.equal(roomy.attempts[0]!.task_id, "a5");
  assert.ok(roomy.attempts[0]!.check!.tail!.length <= 601, "a compact tail is bounded");
  assert.match(roomy.attempts[0]!.check!.tail!, /END$/, "the tail keeps the end");
  for (const budget of [6_000, 3_500]) {
    const views = fitGroups([{ id: GROUP, tasks }], budget);
    assert.ok(
      JSON.stringify(views).length <= budget,
      `${JSON.stringify(views).length} > ${budget}`,
    );
    assert.equal(views[0]!.attempts.length, 8, "every attempt stays");
  }
});
