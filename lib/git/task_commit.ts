/**
 * Committing a task's work on its branch when it ends, for any engine: retried when git fails
 * (a stale `index.lock` from a killed server, a busy repository), reported with its cause when it
 * keeps failing, and limited to what this task did: a reply reports its own commit and files, not
 * the thread's, and none when it changed nothing.
 *
 * @example
 * ```ts
 * import { commitTaskWork } from "./task_commit.ts";
 *
 * const startHead = await worktrees.branchHead(info); // when the task starts
 * // ... Codex runs ...
 * const outcome = await commitTaskWork(worktrees, info, "codex-swarm: task abc: fix", startHead);
 * if (outcome.error) console.error(outcome.error); // the work is still in the worktree
 * ```
 * @module
 */

import type { WorktreeInfo, WorktreeManager } from "./worktree.ts";

/** What a task's worktree holds once the task ended. */
export interface WorktreeOutcome {
  /** The commit made on the branch, or null when there was nothing to commit. */
  commit: string | null;
  files: Array<{ path: string; insertions: number; deletions: number }>;
  insertions: number;
  deletions: number;
  /** Set when committing or diffing failed: the work is still in the worktree. */
  error?: string;
}

/** Default waits between attempts, in milliseconds (three attempts in all). */
export const DEFAULT_COMMIT_RETRY_MS: readonly number[] = [250, 1000];

/**
 * Commits everything in the worktree and summarises what this task committed.
 *
 * @param worktrees The manager.
 * @param info The task's worktree.
 * @param message The commit message.
 * @param startHead The branch head when the task started (null: count from the base).
 * @param retryMs Waits between attempts.
 * @returns The task's own commit (null when it changed nothing) and files; on failure `error`
 * holds the cause of the last attempt, and the work is still in the worktree.
 */
export async function commitTaskWork(
  worktrees: Pick<WorktreeManager, "commitAll" | "diffSummary" | "branchHead">,
  info: WorktreeInfo,
  message: string,
  startHead: string | null,
  retryMs: readonly number[] = DEFAULT_COMMIT_RETRY_MS,
): Promise<WorktreeOutcome> {
  let lastError = "";
  for (let attempt = 0; attempt <= retryMs.length; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, retryMs[attempt - 1]));
    try {
      await worktrees.commitAll(info, message);
      const head = await worktrees.branchHead(info);
      if (head === null || head === startHead) {
        return { commit: null, files: [], insertions: 0, deletions: 0 };
      }
      const summary = await worktrees.diffSummary(info, startHead ?? undefined);
      const files = summary.files.map((f) => ({
        path: f.path,
        insertions: f.insertions,
        deletions: f.deletions,
      }));
      return { commit: head, files, insertions: summary.insertions, deletions: summary.deletions };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
  }
  return {
    commit: null,
    files: [],
    insertions: 0,
    deletions: 0,
    error: `${lastError} (after ${retryMs.length + 1} attempts; the work is still in ${info.path})`,
  };
}
