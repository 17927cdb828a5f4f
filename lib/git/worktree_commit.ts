/**
 * Committing a task's work on its branch, and whether the branch holds work no other branch has.
 * No locking here: {@linkcode WorktreeManager} (./worktree.ts) runs these under its
 * per-repository lock.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a task worktree; WorktreeManager.commitAll is the caller
 * import { commitWorktree } from "./worktree_commit.ts";
 *
 * const at = (cwd: string) => ({ cwd, timeoutMs: 60_000 });
 * const { commit, created } = await commitWorktree(at, info, "codex-swarm: fix-1");
 * ```
 *
 * @module
 */

import { commitIdentityArgs, exitError, git, runGit } from "./git.ts";
import {
  branchTip,
  countCommits,
  currentBranch,
  type GitAt,
  isDirectory,
  resolveCommit,
} from "./repo_state.ts";
import {
  BRANCH_PREFIX,
  checkInfo,
  MERGE_BRANCH_PREFIX,
  type WorktreeInfo,
} from "./worktree_info.ts";

/** What {@linkcode commitWorktree} did. */
export interface CommitResult {
  /**
   * The branch head when the branch holds commits past `baseCommit` (made now or by Codex itself);
   * `null` when the task changed nothing. No empty commit is ever made.
   */
  commit: string | null;
  /** True when this call made a commit. */
  created: boolean;
}

/**
 * Commits everything changed in the worktree (new, modified and deleted files; ignored files
 * stay out) on the task branch, without hooks. Makes no empty commit. Commits Codex made itself
 * count: `commit` is the branch head whenever it is past `baseCommit`.
 *
 * Throws when the worktree is missing or is no longer on the task branch.
 */
export async function commitWorktree(
  at: GitAt,
  info: WorktreeInfo,
  message: string,
): Promise<CommitResult> {
  const taskId = checkInfo(info);
  const what = `Cannot commit the work of task "${taskId}"`;
  if (!(await isDirectory(info.path))) {
    throw new Error(
      `${what} as its worktree ${info.path} is missing: repository is ${info.repoRoot}`,
    );
  }
  const opts = at(info.path);
  const branch = await currentBranch(opts);
  if (branch !== info.branch) {
    const on = branch === null ? "a detached HEAD" : `branch ${branch}`;
    throw new Error(
      `${what} as its worktree ${info.path} is on ${on} instead of branch ${info.branch}`,
    );
  }
  await git(["add", "--all"], opts);
  const quiet = ["diff", "--cached", "--quiet"];
  const staged = await runGit(quiet, opts);
  if (staged.code > 1) throw exitError(quiet, info.path, staged);
  const created = staged.code === 1;
  if (created) {
    const text = message.trim() === "" ? `codex-swarm: task ${taskId}` : message;
    const identity = await commitIdentityArgs(opts);
    await git([...identity, "commit", "--quiet", "--no-verify", "--message", text], opts);
  }
  const root = at(info.repoRoot);
  const tip = await branchTip(root, info.branch);
  const ahead = tip === null ? 0 : await countCommits(root, [tip, "--not", info.baseCommit]);
  return { commit: ahead > 0 ? tip : null, created };
}

/**
 * Whether the task branch holds commits made after `baseCommit` that no local branch outside
 * `codex-swarm/*` and `codex-swarm-merge/*` contains; false when the branch is gone.
 */
export async function hasUnmergedCommits(at: GitAt, info: WorktreeInfo): Promise<boolean> {
  const tip = await branchTip(at(info.repoRoot), info.branch);
  if (tip === null) return false;
  const base = await resolveCommit(at(info.repoRoot), info.baseCommit);
  const count = await countCommits(at(info.repoRoot), [
    tip,
    "--not",
    ...(base === null ? [] : [base]),
    // Patterns for --branches leave out "refs/heads/"; `*` also matches "/" here.
    `--exclude=${BRANCH_PREFIX}*`,
    // Nor does a merge queue's integration branch: it is not applied yet, and may never be.
    `--exclude=${MERGE_BRANCH_PREFIX}*`,
    "--branches",
  ]);
  return count > 0;
}
