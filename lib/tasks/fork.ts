/**
 * Forks of a thread (`codex_fork`): one task per prompt, each on a thread of its own that starts
 * as a fork of the parent thread (`thread/fork`: the parent's history, then the fork's prompt as
 * its first turn). Forks are ordinary tasks afterwards: status, wait, cancel, and `codex-reply` on
 * a fork's thread continues that fork.
 *
 * Where a fork runs, by `worktree`:
 * - omitted: where a reply to the parent would run: in the parent's worktree when it had one,
 *   else in the parent's cwd. Only a single fork may share the parent's worktree, and only while
 *   no other task works there (each task commits what is in the worktree when it ends, so two
 *   would commit each other's half-done files): several forks of a thread with a worktree need
 *   `worktree: true`;
 * - `true`: in a new worktree and branch of its own, created from the head of the parent's branch
 *   (its committed work), or from the HEAD of the parent's cwd when the parent had no worktree;
 * - `false`: in the parent's cwd, never a worktree.
 *
 * Everything is checked before anything is created, and the forks are made all or none: when one
 * cannot be created, the ones made before it are removed again (tasks, worktrees, branches). None
 * starts before all exist.
 *
 * The checks and the plans of forks are lib/request/fork_plan.ts's; the engine creates them
 * (task_creation.ts).
 * @module
 */

import { join, relative } from "node:path";
import type { TaskRequest } from "./task.ts";
import type { WorktreeInfo, WorktreeManager } from "../git/worktree.ts";
import { messageOf } from "../base/errors.ts";

/** The most prompts (forks) one call may ask for. */
export const MAX_FORKS = 8;

/** What `codex_fork` asks for: the thread, the prompts, and the settings every fork shares. */
export interface ForkRequest extends Omit<TaskRequest, "prompt" | "threadId" | "forkOf" | "base"> {
  /** The parent thread. */
  threadId: string;
  /** One fork per prompt, 1 to {@link MAX_FORKS}. */
  prompts: string[];
}

/**
 * The error of a fork that could not be made after `made` before it were: they were removed.
 */
export function forkFailure(threadId: string, made: number, forks: number, error: unknown): Error {
  return new Error(
    `Cannot fork thread "${threadId}" as fork ${made + 1} of ${forks} could not be ` +
      `created (the ${made} made before it were removed): ${messageOf(error)}`,
    { cause: error },
  );
}

/**
 * Creates the worktree of fork `taskId` on a new branch from the head of `parent`'s branch, in
 * the same repository and with the same subdirectory as the parent's cwd.
 */
export async function forkWorktree(
  worktrees: Pick<WorktreeManager, "create">,
  taskId: string,
  parent: WorktreeInfo,
): Promise<WorktreeInfo> {
  const info = await worktrees.create(taskId, parent.repoRoot, parent.branch);
  const subdir = relative(parent.path, parent.cwd);
  if (subdir === "" || subdir.startsWith("..")) return info;
  const cwd = join(info.path, subdir);
  await Deno.mkdir(cwd, { recursive: true });
  return { ...info, cwd };
}
