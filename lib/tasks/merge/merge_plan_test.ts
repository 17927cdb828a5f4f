import assert from "node:assert/strict";
import type { WorktreeInfo } from "../../git/worktree.ts";
import {
  describeCurrent,
  describeMerge,
  landed,
  type MergeItem,
  type MergeState,
  type MergeStep,
  newMergeState,
  nextItem,
  otherSide,
  resumedState,
} from "./merge_plan.ts";

function item(taskId: string): MergeItem {
  const worktree = { branch: `codex-swarm/${taskId}`, baseCommit: "b" } as WorktreeInfo;
  return { taskId, worktree, prompt: `do ${taskId}`, finalMessage: null };
}

function step(taskId: string, outcome: MergeStep["outcome"]): MergeStep {
  return { taskId, branch: `codex-swarm/${taskId}`, outcome, commit: `c-${taskId}` };
}

const passed = { passed: true, exitCode: 0, tail: "", durationMs: 1, timedOut: false };
const request = { items: [item("a"), item("b"), item("c")] };

Deno.test("nextItem: the baseline first, then each item in order, then none", () => {
  const state: MergeState = newMergeState();
  assert.equal(nextItem(request, state), null);
  state.baseline = passed;
  assert.equal(nextItem(request, state), 0);
  state.steps.push(step("a", "merged"), step("b", "check_failed"));
  assert.equal(nextItem(request, state), 2);
  state.steps.push(step("c", "merged"));
  assert.equal(nextItem(request, state), null);
});

Deno.test("nextItem: a failed baseline or a stop at a conflict ends the queue", () => {
  const failed = { ...newMergeState(), baseline: { ...passed, passed: false, exitCode: 1 } };
  assert.equal(nextItem(request, failed), null);
  const stopped = { ...newMergeState(), baseline: passed, steps: [step("a", "stopped")] };
  assert.equal(nextItem(request, stopped), null);
});

Deno.test("otherSide: the tasks already merged with something new, before the index", () => {
  const state = {
    ...newMergeState(),
    baseline: passed,
    steps: [step("a", "merged"), step("b", "check_failed")],
  };
  assert.deepEqual(otherSide({ ...request } as never, state, 2).map((i) => i.taskId), ["a"]);
  state.steps[0] = step("a", "nothing_new");
  assert.deepEqual(otherSide(request as never, state, 2), []);
  assert.equal(landed(step("x", "resolved")), true);
  assert.equal(landed(step("x", "resolution_failed")), false);
});

Deno.test("resumedState: the decided steps kept, nothing running", () => {
  const state: MergeState = {
    ...newMergeState(),
    baseline: passed,
    good: "c-a",
    steps: [step("a", "merged")],
    current: { index: 1, taskId: "b", branch: "codex-swarm/b", doing: "checking" },
  };
  const resumed = resumedState(state);
  assert.equal(resumed.current, null);
  assert.deepEqual(resumed.steps, state.steps);
  assert.notEqual(resumed.steps, state.steps);
  assert.equal(
    describeCurrent({ ...state.current!, doing: "resolving", resolverTaskId: "r1" }, 3),
    "Resolving conflicts of codex-swarm/b (task r1) (2 of 3)",
  );
});

Deno.test("describeMerge: the baseline first, then the branch at hand", () => {
  const asked = { target: "main", items: [item("a")], check: "npm test" };
  const state = newMergeState();
  assert.equal(describeMerge(asked, state), 'Checking "main" first: npm test');
  state.baseline = passed;
  state.current = { index: 0, taskId: "a", branch: "codex-swarm/a", doing: "merging" };
  assert.equal(describeMerge(asked, state), "Merging codex-swarm/a (1 of 1)");
});
