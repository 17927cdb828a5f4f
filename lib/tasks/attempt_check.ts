/**
 * A task's `check`: the shell command (e.g. `npm test`) run in its worktree once its turn
 * completed, whose outcome ranks the attempts of a group (attempt_group.ts). The order is fixed:
 *
 * 1. the task's work is committed on its branch first, so the check runs on exactly what a merge
 *    takes, and nothing the check writes (build output, coverage, a rewritten snapshot) is ever
 *    committed;
 * 2. the check runs (in the task's sandbox and time limit: the engine's `run`);
 * 3. what the check left in the worktree is dropped (tracked files restored, new files removed,
 *    ignored files kept), so the worktree is its commit again: the sweep removes it like any
 *    other, and `codex_worktree merge`/`discard` see nothing uncommitted.
 *
 * With `commit: false` the work stays uncommitted: the check runs on it and nothing is dropped
 * (the check's leftovers then stay mixed with the work). A check that exits non-zero does not fail
 * the task: it is data. A check stopped by a cancel or the time limit says so; the task's own
 * flags make it `cancelled` or `timed_out`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // The engine's steps: commitTaskWork (git/task_commit.ts), runSandboxed in the task's sandbox
 * // (codex/sandboxed_command.ts), its worktree's dropUncommitted. Here, a check that fails.
 * const check = await runTaskCheck("npm test", {
 *   commit: () => Promise.resolve(null), // a task with commit: false
 *   running: () => {},
 *   run: (command) =>
 *     Promise.resolve({
 *       command,
 *       exitCode: 1,
 *       tail: "1 failing",
 *       timedOut: false,
 *       cancelled: false,
 *       durationMs: 900,
 *     }),
 *   dropLeftovers: () => Promise.resolve([]),
 *   timedOut: () => false,
 * });
 * assert.equal(check.passed, false);
 * assert.equal(check.exitCode, 1);
 * ```
 * @module
 */

import type { CommandOutcome } from "../codex/sandboxed_command.ts";
import type { CheckOutcome } from "./task.ts";
import type { WorktreeOutcome } from "../git/task_commit.ts";
import { messageOf } from "../base/errors.ts";

/** How many dropped paths a check outcome lists. */
export const DROPPED_LISTED = 20;

/** What running a check needs from the engine. */
export interface CheckSteps {
  /** Commits the task's work; null when the task does not commit (`commit: false`). */
  commit(): Promise<WorktreeOutcome | null>;
  /** Told when the check starts (its outcome so far: exitCode null). */
  running(check: CheckOutcome): void;
  /** Runs the command in the task's sandbox and cwd; the task's cancel and time limit stop it. */
  run(command: string): Promise<CommandOutcome>;
  /** Drops what the check left in the worktree; returns the paths. */
  dropLeftovers(): Promise<string[]>;
  /** Whether the task reached its time limit (a stop is then a time-out, not a cancel). */
  timedOut(): boolean;
}

/** Commits, runs the check, drops its leftovers (see the module doc); never throws. */
export async function runTaskCheck(command: string, steps: CheckSteps): Promise<CheckOutcome> {
  const check: CheckOutcome = {
    command,
    exitCode: null,
    passed: false,
    tail: "",
    timedOut: false,
    cancelled: false,
    durationMs: 0,
    startedAt: new Date().toISOString(),
  };
  let committed: WorktreeOutcome | null;
  try {
    committed = await steps.commit();
  } catch (error) {
    return { ...check, skipped: `committing the task's work failed: ${messageOf(error)}` };
  }
  if (committed?.error !== undefined) {
    return { ...check, skipped: `committing the task's work failed: ${committed.error}` };
  }
  steps.running({ ...check });
  let ran: CommandOutcome;
  try {
    ran = await steps.run(command);
  } catch (error) {
    return { ...check, skipped: `Codex could not run it: ${messageOf(error)}` };
  }
  const stopped = ran.cancelled || ran.timedOut;
  const timedOut = ran.timedOut || (ran.cancelled && steps.timedOut());
  const outcome: CheckOutcome = {
    ...check,
    exitCode: ran.exitCode,
    passed: ran.exitCode === 0 && !stopped,
    tail: ran.tail,
    timedOut,
    cancelled: stopped && !timedOut,
    durationMs: ran.durationMs,
  };
  if (committed !== null) {
    const dropped = await steps.dropLeftovers().catch((error) => [
      `(cannot drop what the check left: ${messageOf(error)})`,
    ]);
    if (dropped.length > 0) outcome.dropped = dropped.slice(0, DROPPED_LISTED);
  }
  return outcome;
}

/**
 * One line saying how a check ended, e.g. `check "npm test" failed (exit 1)`; `ended` says the
 * task is final (a check without an exit code then never finished: its supervisor stopped).
 */
export function describeCheck(check: CheckOutcome, ended = false): string {
  const name = `check ${JSON.stringify(check.command)}`;
  if (check.skipped !== undefined) return `${name} did not run: ${check.skipped}`;
  if (check.exitCode === null) return ended ? `${name} did not finish` : `Running ${name}`;
  if (check.timedOut) return `${name} was stopped by the time limit`;
  if (check.cancelled) return `${name} was cancelled`;
  return `${name} ${check.passed ? "passed" : `failed (exit ${check.exitCode})`}`;
}
