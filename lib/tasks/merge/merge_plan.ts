/**
 * The merge queue of `codex_merge` as data: what was asked (a checked {@link MergeRequest}), what
 * has happened so far ({@link MergeState}, saved in the merge task's record after every step, so a
 * merge interrupted by a supervisor stop goes on from its last passed step), and the pure
 * decisions between the steps. The I/O is in ./merge_run.ts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const state = newMergeState();
 * assert.equal(nextItem({ items: [] }, state), null); // the baseline check has not run
 * ```
 * @module
 */

import type { RunOptions } from "../../codex/codex_args.ts";
import type { CommandOutcome } from "../../codex/sandboxed_command.ts";
import type { DiffStat, Integration } from "../../git/integration.ts";
import type { WorktreeInfo } from "../../git/worktree.ts";

/** One task branch to merge, as checked when the call was made. */
export interface MergeItem {
  taskId: string;
  /** The best-of-N group it was taken from, if it was. */
  groupId?: string;
  /** Its worktree (and branch `codex-swarm/<task id>`). */
  worktree: WorktreeInfo;
  /** Its intent: the task's prompt and final message (both cut), for a resolving task. */
  prompt: string;
  finalMessage: string | null;
}

/** What to do when a branch conflicts. */
export type ResolveMode = "codex" | "stop";

/**
 * A merge queue as asked for, every field checked (./merge_request.ts). For the resolving tasks:
 * `model`; for the checks and the resolving tasks: `sandbox` (absent: the default a new task
 * gets); the resolving tasks' `approvalPolicy` (absent: a new task's default, the session's
 * `approval_policy` config, else `never`): their questions go to the caller, as any task's.
 */
export interface MergeRequest extends Pick<RunOptions, "model" | "sandbox" | "approvalPolicy"> {
  items: MergeItem[];
  /** The main checkout of the one repository of every task. */
  repoRoot: string;
  /** The local branch merged into. */
  target: string;
  /** Its head when the merge was made: the integration branch starts here. */
  targetCommit: string;
  /** The shell command run on the target, then after each merge. */
  check: string;
  resolve: ResolveMode;
  /** Fast-forward `target` to the result at the end, when the checkout allows it. */
  apply: boolean;
  /** With the result applied, discard the merged tasks' worktrees and branches. */
  cleanup: boolean;
  /** Time limit of each check and each resolving task, in seconds (absent: the session's). */
  timeoutS?: number;
  /** The merge this one goes on with (`resume`). */
  resumeOf?: string;
}

/** How a check ended, kept short (the end of its output in `tail`). */
export type MergeCheck = Pick<CommandOutcome, "tail" | "durationMs" | "timedOut"> & {
  passed: boolean;
  exitCode: number | null;
};

/** How one branch ended in the queue. */
export type StepOutcome =
  | "merged"
  | "nothing_new"
  | "resolved"
  | "check_failed"
  | "resolution_failed"
  | "stopped"
  | "branch_gone";

/** One branch's step, once it is decided. */
export interface MergeStep {
  taskId: string;
  branch: string;
  outcome: StepOutcome;
  /** The integration branch's head after this step (the previous one when left out). */
  commit: string;
  /** The files that conflicted. */
  conflicts?: string[];
  /** The task that resolved (or failed to resolve) the conflict. */
  resolverTaskId?: string;
  check?: MergeCheck;
  /** Why, in words (nothing new, the resolution's failure, the branch gone). */
  note?: string;
}

/** What the queue does right now, for `codex_status`: the step of item `index` under way. */
export type MergeCurrent = Pick<MergeStep, "taskId" | "branch" | "resolverTaskId"> & {
  index: number;
  doing: "merging" | "resolving" | "checking";
};

/** The end of a queue. */
export interface MergeEnd {
  /** The integration branch's head. */
  commit: string;
  /** What it changes against the target as it was. */
  diff: DiffStat;
  applied: boolean;
  /** Why it was not applied (with `apply`), or that it was not asked. */
  applyNote: string | null;
  /** The tasks whose worktrees and branches `cleanup` discarded. */
  cleaned: string[];
}

/** A merge queue so far: saved after every step. */
export interface MergeState {
  integration: Integration | null;
  /** The check on the target, once it ran. */
  baseline: MergeCheck | null;
  steps: MergeStep[];
  /** The integration branch's head after the last good step. */
  good: string | null;
  current: MergeCurrent | null;
  /**
   * The id of the check that runs now (its processes carry it): what a dead supervisor left
   * running is found by it and ended.
   */
  checkProcess?: string | null;
  end: MergeEnd | null;
}

/** The state of a merge that has not started. */
export function newMergeState(): MergeState {
  return { integration: null, baseline: null, steps: [], good: null, current: null, end: null };
}

/**
 * The state a resumed merge starts from: every decided step of the one it goes on with, nothing
 * that was running.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(resumedState({ ...newMergeState(), good: "abc" }).good, "abc");
 * ```
 */
export function resumedState(from: MergeState): MergeState {
  // The check that ran is kept: what it left running is ended before the merge goes on.
  return { ...structuredClone(from), current: null, end: null };
}

/**
 * The index of the next item to merge, or null before the baseline check ran and once the queue
 * is over: the baseline failed, the queue stopped at a conflict, or every item ran.
 */
export function nextItem(request: Pick<MergeRequest, "items">, state: MergeState): number | null {
  if (state.baseline === null || !state.baseline.passed) return null;
  if (state.steps.at(-1)?.outcome === "stopped") return null;
  return state.steps.length < request.items.length ? state.steps.length : null;
}

/** Whether a step's branch is in the result (a report's branch too: `pending` is not). */
export function landed(step: { outcome: string }): boolean {
  return step.outcome === "merged" || step.outcome === "resolved" ||
    step.outcome === "nothing_new";
}

/**
 * The items already in the integration branch before item `index`: the other side of a conflict
 * with it, besides the target.
 */
export function otherSide(request: MergeRequest, state: MergeState, index: number): MergeItem[] {
  const merged = new Set(
    state.steps.slice(0, index).filter((s) => s.outcome !== "nothing_new" && landed(s))
      .map((s) => s.taskId),
  );
  return request.items.slice(0, index).filter((item) => merged.has(item.taskId));
}

/** One line for the step a merge is at, e.g. `Checking codex-swarm/ab12 (2 of 3)`. */
export function describeCurrent(current: MergeCurrent, total: number): string {
  const verb = { merging: "Merging", resolving: "Resolving conflicts of", checking: "Checking" }[
    current.doing
  ];
  const resolver = current.resolverTaskId ? ` (task ${current.resolverTaskId})` : "";
  return `${verb} ${current.branch}${resolver} (${current.index + 1} of ${total})`;
}

/** Why a merge that ran when its supervisor stopped is `interrupted`. */
export function stoppedMergeCause(id: string): string {
  return "The supervisor that ran this merge stopped while it ran; every step that passed is " +
    `kept: codex_merge {"resume":"${id}"} goes on from there`;
}

/**
 * The line `codex_status` shows as a running merge's step: what it does now, or the baseline
 * check before the first branch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   describeMerge({ target: "main", items: [], check: "npm test" }, newMergeState()),
 *   'Checking "main" first: npm test',
 * );
 * ```
 */
export function describeMerge(
  request: Pick<MergeRequest, "target" | "items" | "check">,
  state: MergeState,
): string {
  if (state.current) return describeCurrent(state.current, request.items.length);
  if (state.baseline === null) return `Checking "${request.target}" first: ${request.check}`;
  return state.end ? "Ending the merge" : "Between two branches";
}
