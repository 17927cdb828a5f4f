/**
 * What a task's worktree is, as stored with the task: {@linkcode WorktreeInfo} (plain JSON, used
 * again after a restart), the branch naming `codex-swarm/<taskId>`, and the check of a stored
 * record. The operations on worktrees are {@linkcode WorktreeManager}'s (./worktree.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { branchName, isWorktreeInfo } from "./worktree_info.ts";
 *
 * assert.equal(branchName("abc"), "codex-swarm/abc");
 * assert.equal(isWorktreeInfo(JSON.parse('{"repoRoot":"/r"}')), false);
 * ```
 *
 * @module
 */

import { isAbsolute } from "node:path";
import { isTaskId } from "../base/task_id.ts";

/** Every task branch is named `codex-swarm/<taskId>`. */
export const BRANCH_PREFIX = "codex-swarm/";

/**
 * A merge queue's integration branch is `codex-swarm-merge/<merge id>` (lib/git/integration.ts):
 * not a task branch, and no branch that keeps a task's commits for the sweep.
 */
export const MERGE_BRANCH_PREFIX = "codex-swarm-merge/";

/** Where a task's worktree lives. Plain JSON: store it with the task, read it back later. */
export interface WorktreeInfo {
  /** Top level of the main checkout the worktree was created from. */
  repoRoot: string;
  /** The worktree: `<worktreeDir>/<repo-name>-<hash8 of repoRoot>/<taskId>`. */
  path: string;
  /** The task's branch: `codex-swarm/<taskId>`. */
  branch: string;
  /** The base as given, or the main checkout's branch name (`HEAD` when detached). */
  baseRef: string;
  /** The commit the branch started from; diffs are taken against it. */
  baseCommit: string;
  /** The caller's cwd mapped into the worktree (same subdirectory). */
  cwd: string;
}

/** A repository's top level and a directory's place inside it. */
export interface RepoLocation {
  /**
   * Top level of the repository's main checkout (real path). For a directory inside a linked
   * worktree (another task's, or one of the user's), the main checkout's, not the worktree's.
   */
  root: string;
  /** The directory relative to its checkout's top level, with `/` separators; `""` at the top. */
  subdir: string;
  /** The linked worktree the directory is in (real path), when it is not the main checkout. */
  linked?: string;
}

/** Whether a task's worktree directory and branch are still there. */
export interface WorktreeState {
  /** The worktree directory exists and is a checkout. */
  worktree: boolean;
  /** The branch `codex-swarm/<taskId>` exists. */
  branch: boolean;
}

/**
 * The branch of a task: `codex-swarm/<taskId>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { branchName } from "./worktree_info.ts";
 *
 * assert.equal(branchName("abc"), "codex-swarm/abc");
 * ```
 */
export function branchName(taskId: string): string {
  return `${BRANCH_PREFIX}${taskId}`;
}

/**
 * Whether `value` has the shape of a {@linkcode WorktreeInfo}, e.g. after `JSON.parse`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isWorktreeInfo } from "./worktree_info.ts";
 *
 * const saved: unknown = JSON.parse('{"repoRoot":"/r"}');
 * assert.equal(isWorktreeInfo(saved), false);
 * ```
 */
export function isWorktreeInfo(value: unknown): value is WorktreeInfo {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  const fields = ["repoRoot", "path", "branch", "baseRef", "baseCommit", "cwd"];
  if (!fields.every((field) => typeof record[field] === "string")) return false;
  const branch = record.branch as string;
  return branch.startsWith(BRANCH_PREFIX) && isTaskId(branch.slice(BRANCH_PREFIX.length)) &&
    isAbsolute(record.repoRoot as string) && isAbsolute(record.path as string);
}

/** Validates `info` and returns its task id. */
export function checkInfo(info: WorktreeInfo): string {
  if (!isWorktreeInfo(info)) {
    throw new TypeError(
      `Cannot use worktree info ${
        JSON.stringify(info)
      } as it lacks string fields repoRoot, path, branch (codex-swarm/<taskId>), baseRef, baseCommit, cwd`,
    );
  }
  return info.branch.slice(BRANCH_PREFIX.length);
}
