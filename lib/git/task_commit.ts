/**
 * Committing a task's work on its branch when it ends, for any engine: retried when git fails
 * (a stale `index.lock` from a killed server, a busy repository), reported with its cause when it
 * keeps failing, and limited to what this task did: a reply reports its own commit and files, not
 * the thread's, and none when it changed nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const info = {
 *   repoRoot: "/src/app",
 *   path: "/wt/app-1a2b3c4d/abc",
 *   branch: "codex-swarm/abc",
 *   baseRef: "main",
 *   baseCommit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
 *   cwd: "/wt/app-1a2b3c4d/abc",
 * };
 * // The engine passes its WorktreeManager; this one fails once, as a stale index.lock would.
 * let attempts = 0;
 * const worktrees = {
 *   commitAll: () => ++attempts === 1 ? Promise.reject(new Error("index.lock exists")) : Promise.resolve(),
 *   branchHead: () => Promise.resolve("c0ffee"),
 *   diffSummary: () =>
 *     Promise.resolve({ files: [{ path: "a.ts", insertions: 2, deletions: 1 }], insertions: 2, deletions: 1 }),
 * } as unknown as Parameters<typeof commitTaskWork>[0];
 * const startHead = "beef"; // worktrees.branchHead(info) when the task started
 * const outcome = await commitTaskWork(worktrees, info, "codex-swarm: task abc: fix", startHead, [1]);
 * assert.deepEqual(outcome, {
 *   commit: "c0ffee",
 *   files: [{ path: "a.ts", insertions: 2, deletions: 1 }],
 *   insertions: 2,
 *   deletions: 1,
 * });
 * ```
 * @module
 */

import type { WorktreeInfo, WorktreeManager } from "./worktree.ts";
import { messageOf } from "../base/errors.ts";
import { delay } from "../base/delay.ts";

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

/** What a task that committed nothing reports; with `error`, why its work is not committed. */
export function noCommit(error?: string): WorktreeOutcome {
  return { commit: null, files: [], insertions: 0, deletions: 0, ...(error ? { error } : {}) };
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
    if (attempt > 0) await delay(retryMs[attempt - 1] ?? 0);
    try {
      await worktrees.commitAll(info, message);
      const head = await worktrees.branchHead(info);
      if (head === null || head === startHead) return noCommit();
      const summary = await worktrees.diffSummary(info, startHead ?? undefined);
      const files = summary.files.map((f) => ({
        path: f.path,
        insertions: f.insertions,
        deletions: f.deletions,
      }));
      return { commit: head, files, insertions: summary.insertions, deletions: summary.deletions };
    } catch (error) {
      lastError = messageOf(error);
    }
  }
  const attempts = retryMs.length + 1;
  return noCommit(`${lastError} (after ${attempts} attempts; the work is still in ${info.path})`);
}
