/**
 * Runs a merge queue (`codex_merge`) in its integration worktree, step by step, saving its state
 * after each: the baseline check on the target, then each branch in order (`git merge --no-ff`,
 * a resolving Codex task on a conflict, the check), undoing a step that fails by resetting to the
 * last good commit; at the end the diff stat, the fast-forward of the target (`apply`) and the
 * clean-up. A cancel stops the running check or resolving task and puts the branch back to its
 * last good step; a supervisor stop leaves everything as saved, for `resume`.
 *
 * @example
 * ```ts ignore
 * // The engine builds the host (merge_host.ts).
 * await runMerge(meta.id, meta.request.merge!, meta.merge!, host);
 * ```
 * @module
 */

import { messageOf } from "../../base/errors.ts";
import { killProcessesIn } from "../../base/leftover_processes.ts";
import {
  type CommandOutcome,
  endLeftovers,
  markerLine,
  newProcessId,
} from "../../codex/sandboxed_command.ts";
import {
  closeIntegration,
  commitResolution,
  diffStat,
  fastForward,
  filesWithMarkers,
  headOf,
  type Integration,
  integrationBranch,
  mergeBranch,
  openIntegration,
  resetTo,
} from "../../git/integration.ts";
import { branchTip } from "../../git/repo_state.ts";
import type { WorktreeInfo } from "../../git/worktree.ts";
import {
  landed,
  type MergeCheck,
  type MergeEnd,
  type MergeRequest,
  type MergeState,
  type MergeStep,
  nextItem,
  otherSide,
} from "./merge_plan.ts";
import { resolverPrompt } from "./merge_prompt.ts";

/** What a merge queue needs of the engine. */
export interface MergeHost {
  /** Where the integration worktree of merge `id` goes. */
  integrationPath(repoRoot: string, id: string): string;
  /**
   * Runs `fn` holding the repository's lock (see WorktreeManager.withRepoLock): what changes the
   * worktree list or the user's checkout.
   */
  repoLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Saves the merge's record (its state). */
  save(): Promise<void>;
  /** Tells clients of a step. */
  step(text: string): void;
  /** True once the merge was cancelled. */
  cancelled(): boolean;
  /** True once the supervisor stopped under it (the merge is `interrupted`). */
  interrupted(): boolean;
  /** Aborted by a cancel. */
  signal: AbortSignal;
  /** Runs the check in the merge's sandbox and time limit; the signal stops it. */
  runCheck(command: string, cwd: string, processId: string): Promise<CommandOutcome>;
  /** Starts a resolving Codex task in `cwd`; returns its id. */
  startResolver(prompt: string, cwd: string): Promise<string>;
  /** Settles when that task ended: its phase, failure and final message. */
  ended(taskId: string): Promise<{ phase: string; failure: string | null }>;
  /** Cancels a task (and every process it started). */
  cancelTask(taskId: string): Promise<unknown>;
  /** Discards a task's worktree and branch (`cleanup`). */
  discard(info: WorktreeInfo): Promise<void>;
  /** Ends the merge task: failed with `failure`, else completed; `message` is its report. */
  finish(failure: string | null): Promise<void>;
}

function checkOf(outcome: CommandOutcome): MergeCheck {
  return {
    passed: outcome.exitCode === 0 && !outcome.timedOut && !outcome.cancelled,
    exitCode: outcome.exitCode,
    tail: outcome.tail.slice(-4_000),
    durationMs: outcome.durationMs,
    timedOut: outcome.timedOut,
  };
}

/**
 * Why a check the time limit stopped left its branch out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   timedOutNote({ durationMs: 10_012 }),
 *   "its check reached the time limit (timeout_s) and was stopped after 10 s",
 * );
 * ```
 */
export function timedOutNote(check: Pick<MergeCheck, "durationMs">): string {
  return `its check reached the time limit (timeout_s) and was stopped after ` +
    `${Math.round(check.durationMs / 1000)} s`;
}

/** Runs (or resumes) the merge queue `id`; never throws. */
export async function runMerge(
  id: string,
  request: MergeRequest,
  state: MergeState,
  host: MergeHost,
): Promise<void> {
  const stopped = () => host.cancelled() || host.interrupted();
  try {
    const where = await open(id, request, state, host);
    if (state.baseline === null) {
      host.step(`Checking "${request.target}" first: ${request.check}`);
      const baseline = await runCheck(request, state, host);
      if (stopped()) return await stop(state, host);
      state.baseline = checkOf(baseline);
      // What the check left (build output) is not the target's, and could stop a merge.
      await resetTo(where.path, state.good!);
      await host.save();
    }
    for (let index = nextItem(request, state); index !== null; index = nextItem(request, state)) {
      const step = await mergeStep(request, state, index, host);
      if (step === null || stopped()) return await stop(state, host);
      state.steps.push(step);
      state.good = step.commit;
      state.current = null;
      await host.save();
    }
    if (state.baseline?.passed === false) {
      await host.repoLock(() => closeIntegration(where, false));
      return await host.finish(`The check failed on "${request.target}" before any branch`);
    }
    state.end = await end(request, state, where, host);
    await host.save();
    await host.finish(null);
  } catch (error) {
    if (host.interrupted()) return;
    await backToGood(state, host).catch(() => {});
    await host.finish(`The merge failed: ${messageOf(error)}`);
  }
}

/**
 * Runs the check in the integration worktree, its id saved first (its processes carry it, so the
 * next supervisor ends what a dead one left running).
 */
async function runCheck(
  request: MergeRequest,
  state: MergeState,
  host: MergeHost,
): Promise<CommandOutcome> {
  state.checkProcess = newProcessId();
  await host.save();
  const ran = await host.runCheck(request.check, state.integration!.path, state.checkProcess);
  if (!host.interrupted()) state.checkProcess = null;
  return ran;
}

/** Ends what the check recorded in `state` left running (a dead supervisor's). */
export async function endCheckLeftovers(state: Pick<MergeState, "checkProcess">): Promise<void> {
  if (state.checkProcess) await endLeftovers(markerLine(state.checkProcess));
}

/** Makes the integration worktree, or (resumed) finds it and puts it back to the last good step. */
async function open(
  id: string,
  request: MergeRequest,
  state: MergeState,
  host: MergeHost,
): Promise<Integration> {
  if (state.integration === null) {
    const where = {
      repoRoot: request.repoRoot,
      path: host.integrationPath(request.repoRoot, id),
      branch: integrationBranch(id),
    };
    await host.repoLock(() => openIntegration(where, request.targetCommit));
    state.integration = where;
    state.good = request.targetCommit;
    await host.save();
    return where;
  }
  const where = state.integration;
  // What a dead supervisor left running there (a check, a resolving task's command) ends first.
  await endCheckLeftovers(state);
  state.checkProcess = null;
  await killProcessesIn([where.path]);
  await host.repoLock(() => openIntegration(where, state.good!));
  await resetTo(where.path, state.good!);
  return where;
}

/** Puts the integration branch back to its last good step after a cancel, then ends. */
async function stop(state: MergeState, host: MergeHost): Promise<void> {
  if (host.interrupted()) return;
  await backToGood(state, host);
  await host.finish("Cancelled");
}

/**
 * Puts the integration branch back to its last good step and removes its worktree (a merge that
 * ended goes on nowhere; its branch is the result so far).
 */
async function backToGood(state: MergeState, host: MergeHost): Promise<void> {
  state.current = null;
  const where = state.integration;
  if (!where || !state.good) return;
  await resetTo(where.path, state.good);
  await host.repoLock(() => closeIntegration(where, false));
}

/** Merges item `index`; null when a cancel or a supervisor stop came first. */
async function mergeStep(
  request: MergeRequest,
  state: MergeState,
  index: number,
  host: MergeHost,
): Promise<MergeStep | null> {
  const item = request.items[index]!;
  const where = state.integration!;
  const good = state.good!;
  const base = { taskId: item.taskId, branch: item.worktree.branch };
  state.current = { index, ...base, doing: "merging" };
  await host.save();
  host.step(`Merging ${base.branch} (${index + 1} of ${request.items.length})`);
  const tip = await branchTip({ cwd: request.repoRoot }, base.branch);
  if (tip === null) return { ...base, outcome: "branch_gone", commit: good };
  const merged = await mergeBranch(
    where.path,
    { branch: base.branch, tip, baseCommit: item.worktree.baseCommit },
    `codex-swarm merge: ${base.branch} (task ${item.taskId})`,
  );
  if (merged.kind === "nothing") {
    return { ...base, outcome: "nothing_new", commit: good, note: merged.why };
  }
  let resolved: Partial<MergeStep> = {};
  if (merged.kind === "conflict") {
    if (request.resolve === "stop") {
      await resetTo(where.path, good);
      return { ...base, outcome: "stopped", commit: good, conflicts: merged.files };
    }
    const outcome = await resolve(request, state, index, merged.files, host);
    if (outcome === null) return null;
    if ("note" in outcome) {
      await resetTo(where.path, good);
      return { ...base, outcome: "resolution_failed", commit: good, ...outcome };
    }
    resolved = outcome;
  }
  state.current = { index, ...base, doing: "checking" };
  await host.save();
  host.step(`Checking ${base.branch} (${index + 1} of ${request.items.length}): ${request.check}`);
  const ran = await runCheck(request, state, host);
  if (host.cancelled() || host.interrupted()) return null;
  const check = checkOf(ran);
  if (!check.passed) {
    await resetTo(where.path, good);
    const note = check.timedOut ? { note: timedOutNote(check) } : {};
    return { ...base, outcome: "check_failed", commit: good, check, ...resolved, ...note };
  }
  // The check's leftovers are not the merge's.
  const head = await headOf(where.path);
  await resetTo(where.path, head);
  const outcome = merged.kind === "conflict" ? "resolved" : "merged";
  return { ...base, outcome, commit: head, check, ...resolved };
}

/**
 * Has a Codex task resolve the conflicts of item `index` and commits the merge: the task's id and
 * files, or a note saying why not; null on a cancel or a supervisor stop.
 */
async function resolve(
  request: MergeRequest,
  state: MergeState,
  index: number,
  files: string[],
  host: MergeHost,
): Promise<{ conflicts: string[]; resolverTaskId?: string; note?: string } | null> {
  const item = request.items[index]!;
  const where = state.integration!;
  const side = (i: typeof item) => ({ ...i, branch: i.worktree.branch });
  const prompt = resolverPrompt({
    target: request.target,
    files,
    incoming: side(item),
    earlier: otherSide(request, state, index).map(side),
    check: request.check,
  });
  let taskId: string;
  try {
    taskId = await host.startResolver(prompt, where.path);
  } catch (error) {
    return { conflicts: files, note: `the resolving task could not start: ${messageOf(error)}` };
  }
  // The item's step (mergeStep set it) goes on with the resolving task.
  state.current = { ...state.current!, doing: "resolving", resolverTaskId: taskId };
  await host.save();
  host.step(
    `Resolving ${files.length} conflicting file(s) of ${item.worktree.branch} (task ${taskId})`,
  );
  const onCancel = () => host.cancelTask(taskId).catch(() => {});
  host.signal.addEventListener("abort", onCancel, { once: true });
  if (host.signal.aborted) onCancel();
  const ended = await host.ended(taskId).finally(() =>
    host.signal.removeEventListener("abort", onCancel)
  );
  if (host.cancelled() || host.interrupted()) return null;
  const done = { conflicts: files, resolverTaskId: taskId };
  if (ended.phase !== "completed") {
    return { ...done, note: `the resolving task ended ${ended.phase}: ${ended.failure ?? ""}` };
  }
  const marked = await filesWithMarkers(where.path, files);
  if (marked.length > 0) {
    return { ...done, note: `conflict markers remain in ${marked.join(", ")}` };
  }
  try {
    await commitResolution(
      where.path,
      `codex-swarm merge: ${item.worktree.branch} (task ${item.taskId}), resolved by task ${taskId}`,
    );
  } catch (error) {
    // The task committed or aborted the merge itself, or left the index unusable.
    return { ...done, note: `committing the resolution failed: ${messageOf(error)}` };
  }
  return done;
}

/** The end: the diff stat, the fast-forward of the target (`apply`), the clean-up. */
async function end(
  request: MergeRequest,
  state: MergeState,
  where: Integration,
  host: MergeHost,
): Promise<MergeEnd> {
  const commit = await headOf(where.path);
  const diff = await diffStat(request.repoRoot, request.targetCommit, commit);
  let applied = false;
  let applyNote: string | null = null;
  const byHand = `apply it by hand: git -C ${request.repoRoot} merge --ff-only ${where.branch} ` +
    `(with "${request.target}" checked out)`;
  if (request.apply) {
    host.step(`Fast-forwarding "${request.target}" to ${where.branch}`);
    const ff = await host.repoLock(() =>
      fastForward(request.repoRoot, request.target, request.targetCommit, commit)
    );
    applied = ff.applied;
    if (!ff.applied) applyNote = `not applied: ${ff.reason}; ${byHand}`;
  } else {
    const tip = await branchTip({ cwd: request.repoRoot }, request.target);
    applyNote = tip !== request.targetCommit
      ? `branch "${request.target}" moved during the merge: not applied; ${byHand}`
      : `not applied (apply: false); ${byHand}`;
  }
  const cleaned: string[] = [];
  if (applied && request.cleanup) {
    const inResult = new Set(state.steps.filter(landed).map((s) => s.taskId));
    for (const item of request.items.filter((i) => inResult.has(i.taskId))) {
      await host.discard(item.worktree).then(() => cleaned.push(item.taskId), () => {});
    }
  }
  // The result is the branch (with `cleanup` and applied, the target is); its worktree goes.
  await host.repoLock(() => closeIntegration(where, applied && request.cleanup));
  return { commit, diff, applied, applyNote, cleaned };
}
