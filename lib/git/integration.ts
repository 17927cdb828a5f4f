/**
 * The integration worktree of a merge queue (`codex_merge`): a checkout of its own on the branch
 * `codex-swarm-merge/<merge id>`, started from the target, where task branches are merged one by
 * one (`git merge --no-ff`), conflicts are left for a resolving task, and a failed step is undone
 * by resetting to the last good commit. The user's checkout is touched only by
 * {@link fastForward}, under the rules of `codex_worktree merge` (./merge_safety.ts,
 * ./worktree_merge.ts). The sweep's task branches are
 * `codex-swarm/*`; this namespace is not one of them.
 *
 * @example
 * ```ts ignore
 * // Needs a repository on disk.
 * const where = { repoRoot: "/src/app", path: "/tmp/wt/app-1234/merge-ab12", branch: integrationBranch("ab12") };
 * await openIntegration(where, targetTip);
 * const step = await mergeBranch(where.path, { branch: "codex-swarm/cd34", tip, baseCommit }, "Merge cd34");
 * if (step.kind === "conflict") await resetTo(where.path, targetTip);
 * ```
 * @module
 */

import { commitIdentityArgs, git, runGit } from "./git.ts";
import { nothingToMerge, untrackedRefusal } from "./merge_safety.ts";
import {
  branchTip,
  changedFiles,
  countCommits,
  currentBranch,
  listFiles,
  refExists,
  resolveCommit,
  worktreeList,
} from "./repo_state.ts";
import { MERGE_BRANCH_PREFIX } from "./worktree_info.ts";
import { mergeNoFf, untrackedInTheWay, writtenPaths } from "./worktree_merge.ts";
import { removeIndexLock } from "./worktree_dirs.ts";

/**
 * The integration branch of merge `id`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(integrationBranch("ab12"), "codex-swarm-merge/ab12");
 * ```
 */
export function integrationBranch(id: string): string {
  return `${MERGE_BRANCH_PREFIX}${id}`;
}

/** Where a merge queue works. Plain JSON: kept in the merge's record. */
export interface Integration {
  /** The main checkout of the repository. */
  repoRoot: string;
  /** The integration worktree. */
  path: string;
  /** `codex-swarm-merge/<merge id>`. */
  branch: string;
}

/** A task branch to merge. */
export interface BranchToMerge {
  branch: string;
  tip: string;
  baseCommit: string;
}

/** What merging one branch did. */
export type BranchMerge =
  | { kind: "merged"; commit: string }
  | { kind: "nothing"; why: string }
  | { kind: "conflict"; files: string[] };

/** Lines of the diff stat of the result. */
export interface DiffStat {
  files: number;
  insertions: number;
  deletions: number;
}

/**
 * Makes the integration worktree at `where.path` on a new branch from `start`; when the branch
 * exists (a merge resumed), checks it out there again if the directory is gone, or removes the
 * `index.lock` a killed git left there (call it only once no git runs there).
 */
export async function openIntegration(
  where: Integration,
  start: string,
): Promise<void> {
  const root = { cwd: where.repoRoot };
  if (!(await refExists(root, `refs/heads/${where.branch}`))) {
    await git(["worktree", "add", "--quiet", "-b", where.branch, where.path, start], root);
    return;
  }
  if (await Deno.stat(`${where.path}/.git`).then(() => true, () => false)) {
    // A git the dead supervisor ran there was killed (the caller ended every process there).
    await removeIndexLock({ cwd: where.path });
    return;
  }
  await git(["worktree", "prune"], root);
  await git(["worktree", "add", "--quiet", where.path, where.branch], root);
}

/** The commit checked out at `path`. */
export async function headOf(path: string): Promise<string> {
  const head = await resolveCommit({ cwd: path }, "HEAD");
  if (head === null) throw new Error(`Cannot read the commit checked out at ${path}`);
  return head;
}

/**
 * Merges `from` into the branch checked out at `path` with `git merge --no-ff`. A conflict is left
 * in progress (for a resolving task, or {@link resetTo}); a branch with nothing new is not merged.
 */
export async function mergeBranch(
  path: string,
  from: BranchToMerge,
  message: string,
): Promise<BranchMerge> {
  const here = { cwd: path };
  const head = await headOf(path);
  const into = await currentBranch(here) ?? "HEAD";
  // The rule of `codex_worktree merge` (merge_safety.ts).
  const nothing = nothingToMerge({
    ...from,
    target: into,
    aheadOfTarget: await countCommits(here, [from.tip, "--not", head]),
  });
  if (nothing !== null) return { kind: "nothing", why: nothing };
  const { merge, conflicts } = await mergeNoFf(here, [
    "--message",
    message,
    `refs/heads/${from.branch}`,
  ]);
  if (merge.code === 0) return { kind: "merged", commit: await headOf(path) };
  if (conflicts.length > 0) return { kind: "conflict", files: conflicts };
  throw new Error(
    `Cannot merge ${from.branch} into ${into} at ${path}: git merge exited with code ` +
      `${merge.code}: ${merge.stderr.trim().split("\n").slice(-3).join(" / ")}`,
  );
}

/**
 * Whether `text` still holds a conflict marker: a line that starts `<<<<<<<`, `>>>>>>>` or
 * `|||||||` followed by a space or its end, or a line `=======`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(hasConflictMarkers("a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> x\n"), true);
 * assert.equal(hasConflictMarkers("a\n==== not one\n"), false);
 * ```
 */
export function hasConflictMarkers(text: string): boolean {
  return /^(<{7}|>{7}|\|{7})( |$)|^={7}$/m.test(text);
}

/** Of `files` (relative to `path`), those that still hold a conflict marker. */
export async function filesWithMarkers(path: string, files: string[]): Promise<string[]> {
  const marked: string[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(`${path}/${file}`).catch(() => "");
    if (hasConflictMarkers(text)) marked.push(file);
  }
  return marked;
}

/** Commits everything in the worktree at `path`: the merge a resolving task finished. */
export async function commitResolution(
  path: string,
  message: string,
): Promise<string> {
  const here = { cwd: path };
  await git(["add", "--all"], here);
  const identity = await commitIdentityArgs(here);
  await git([...identity, "commit", "--quiet", "--no-verify", "--message", message], here);
  return await headOf(path);
}

/**
 * Puts the worktree at `path` back to `commit`: a merge in progress is aborted, tracked files are
 * restored, new files removed; ignored files (dependencies, build output) stay.
 */
export async function resetTo(
  path: string,
  commit: string,
): Promise<void> {
  const here = { cwd: path };
  await runGit(["merge", "--abort"], here);
  await git(["reset", "--hard", "--quiet", commit], here);
  await git(["clean", "-d", "--force", "--quiet"], here);
}

/**
 * Parses `git diff --shortstat`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseShortstat(" 3 files changed, 10 insertions(+), 2 deletions(-)\n"), {
 *   files: 3,
 *   insertions: 10,
 *   deletions: 2,
 * });
 * ```
 */
export function parseShortstat(out: string): DiffStat {
  const count = (pattern: RegExp) => Number(pattern.exec(out)?.[1] ?? 0);
  return {
    files: count(/(\d+) files? changed/),
    insertions: count(/(\d+) insertions?\(\+\)/),
    deletions: count(/(\d+) deletions?\(-\)/),
  };
}

/** What the result changes against the target: `git diff --shortstat from to`. */
export async function diffStat(
  repoRoot: string,
  from: string,
  to: string,
): Promise<DiffStat> {
  return parseShortstat(
    await git(["diff", "--shortstat", from, to, "--"], { cwd: repoRoot }),
  );
}

/**
 * Fast-forwards local branch `target` from `from` to `to` when the user's checkout allows it:
 * `target` is still at `from`; when it is the main checkout's current branch, the checkout has
 * no operation in progress, no tracked change, and no untracked or ignored file where the
 * fast-forward writes; it is checked out in no other worktree. Otherwise nothing is changed and
 * the reason is returned.
 */
export async function fastForward(
  repoRoot: string,
  target: string,
  from: string,
  to: string,
): Promise<{ applied: true } | { applied: false; reason: string }> {
  const root = { cwd: repoRoot };
  const tip = await branchTip(root, target);
  if (tip !== from) {
    return {
      applied: false,
      reason: `branch "${target}" moved during the merge (from ${from.slice(0, 12)} to ${
        tip?.slice(0, 12) ?? "nothing"
      })`,
    };
  }
  if (await currentBranch(root) !== target) {
    // Not the main checkout's branch (the first listed): is it a linked worktree's?
    const elsewhere = (await worktreeList(root)).find((w) => w.branch === target);
    if (elsewhere !== undefined) {
      return { applied: false, reason: `branch "${target}" is checked out in ${elsewhere.path}` };
    }
    // Git refuses to move a branch that is checked out anywhere; its tip was checked just above.
    await git(["branch", "--force", "--no-track", target, to], root);
    return { applied: true };
  }
  const refusal = await checkoutRefusal(repoRoot, from, to);
  if (refusal !== null) return { applied: false, reason: refusal };
  // Backstop: git's default would overwrite ignored files.
  await git(["merge", "--ff-only", "--quiet", "--no-overwrite-ignore", to], root);
  return { applied: true };
}

/** Why the main checkout at `repoRoot` may not be moved from `from` to `to`, or null. */
async function checkoutRefusal(
  repoRoot: string,
  from: string,
  to: string,
): Promise<string | null> {
  const root = { cwd: repoRoot };
  if (await refExists(root, "MERGE_HEAD")) return `a merge is in progress in ${repoRoot}`;
  const dirty = await changedFiles(root, "no");
  if (dirty.length > 0) {
    return `the checkout ${repoRoot} has uncommitted changes: ${listFiles(dirty)}`;
  }
  // The rule of `codex_worktree merge`: no untracked or ignored file where it writes.
  const inTheWay = await untrackedInTheWay(root, await writtenPaths(root, [from, to]));
  if (inTheWay.files.length > 0) {
    return `it would overwrite files git does not track in ${repoRoot}: ${
      untrackedRefusal(inTheWay.files, inTheWay.ignored)
    }`;
  }
  return null;
}

/** Removes the integration worktree (its branch stays unless `dropBranch`). Missing parts are fine. */
export async function closeIntegration(
  where: Integration,
  dropBranch: boolean,
): Promise<void> {
  const root = { cwd: where.repoRoot };
  await runGit(["worktree", "remove", "--force", where.path], root);
  await runGit(["worktree", "prune"], root);
  if (dropBranch) await runGit(["branch", "-D", where.branch], root);
}
