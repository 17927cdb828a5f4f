/**
 * Merging a task's branch into the user's checkout (`git merge --no-ff`), after checking out the
 * target branch when it is not current. Refuses a checkout with uncommitted changes or an
 * operation in progress, a target that is no local branch, and a merge that would write over a
 * file git does not track there (the rules are ./merge_safety.ts's); answers "nothing to merge"
 * without touching anything. On conflict the merge is aborted and the previous branch checked out
 * again. No locking here: {@linkcode WorktreeManager.merge} (./worktree.ts) runs this under its
 * per-repository lock.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a repository with a task branch; WorktreeManager.merge is the caller
 * import { mergeTaskBranch } from "./worktree_merge.ts";
 *
 * const at = (cwd: string) => ({ cwd, timeoutMs: 60_000 });
 * const result = await mergeTaskBranch(at, info, tip, "main");
 * if (!result.merged && "conflicts" in result) console.log(result.conflicts);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { commitIdentityArgs, git, type GitOptions, type GitResult, runGit } from "./git.ts";
import {
  batches,
  literalPathspec,
  nothingToMerge,
  parentPaths,
  PATHSPEC_BATCH,
  untrackedRefusal,
} from "./merge_safety.ts";
import {
  changedFiles,
  countCommits,
  currentBranch,
  type GitAt,
  gitSays,
  listFiles,
  localBranch,
  operationInProgress,
  pathExists,
  refExists,
  resolveCommit,
  revParse,
  splitZ,
} from "./repo_state.ts";
import { messageOf } from "../base/errors.ts";
import { checkInfo, type WorktreeInfo } from "./worktree_info.ts";

/** Outcome of {@linkcode mergeTaskBranch}. */
export type MergeResult =
  | {
    /** The branch was merged (or was already). */
    merged: true;
    /** The target branch's head after the merge. */
    commit: string;
    /** The branch merged into. */
    target: string;
  }
  | {
    /** The merge conflicted and was aborted; the main checkout is as it was. */
    merged: false;
    /** Files that conflicted, relative to the repository root. */
    conflicts: string[];
    /** The branch that was to be merged into. */
    target: string;
  }
  | {
    /** There was nothing to merge; nothing was done. */
    merged: false;
    /** Why: the task branch holds no commit past its base, or the target already contains it. */
    nothing: string;
    /** The branch that was to be merged into. */
    target: string;
  };

/**
 * Merges the task branch (at `tip`) into `target` (default: the current branch) in the main
 * checkout `info.repoRoot`; see the module doc for what it refuses.
 */
export async function mergeTaskBranch(
  at: GitAt,
  info: WorktreeInfo,
  tip: string,
  target?: string,
): Promise<MergeResult> {
  const taskId = checkInfo(info);
  const root = info.repoRoot;
  const what = `Cannot merge task "${taskId}" into ${root}`;
  const { into, currentBranch } = await mergeTarget(at, info, what, target);
  const before = await revParse(at(root), "HEAD");
  const intoTip = await revParse(at(root), `refs/heads/${into}`);
  const nothing = nothingToMerge({
    branch: info.branch,
    baseCommit: info.baseCommit,
    tip,
    target: into,
    aheadOfTarget: await countCommits(at(root), [tip, "--not", intoTip]),
  });
  if (nothing !== null) return { merged: false, nothing, target: into };
  const switchBack = into !== currentBranch ? currentBranch : undefined;
  const written = [
    ...(switchBack !== undefined ? await writtenPaths(at(root), [before, intoTip]) : []),
    ...await writtenPaths(at(root), [`${intoTip}...${tip}`]),
  ];
  const inTheWay = await untrackedInTheWay(at(root), written);
  if (inTheWay.files.length > 0) {
    throw new Error(
      `${what} as it would overwrite files git does not track there: ${
        untrackedRefusal(inTheWay.files, inTheWay.ignored)
      }. Nothing was changed; move them away (or commit them) and merge again`,
    );
  }
  if (switchBack !== undefined) {
    try {
      // Backstop: git's default would overwrite ignored files.
      await git(["checkout", "--quiet", "--no-overwrite-ignore", into, "--"], at(root));
    } catch (error) {
      throw new Error(`${what} as branch "${into}" could not be checked out: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }
  return await runMerge(at, info, tip, { into, switchBack, before });
}

/**
 * The branch to merge into, after checking the checkout: no operation in progress, no
 * uncommitted change to a tracked file, not detached without a target, and `target` (when given)
 * a local branch other than the task's.
 */
async function mergeTarget(
  at: GitAt,
  info: WorktreeInfo,
  what: string,
  target: string | undefined,
): Promise<{ into: string; currentBranch: string | null }> {
  const root = info.repoRoot;
  const taskId = checkInfo(info);
  const busy = await operationInProgress(at(root));
  if (busy !== null) throw new Error(`${what} as ${busy} is in progress there`);
  const dirty = await changedFiles(at(root), "no");
  if (dirty.length > 0) {
    throw new Error(`${what} as its checkout has uncommitted changes: ${listFiles(dirty)}`);
  }
  const current = await currentBranch(at(root));
  const into = target ?? current;
  if (into === null) {
    throw new Error(`${what} as its HEAD is detached: name a target branch`);
  }
  if (into === info.branch) {
    throw new Error(`${what} as the target is the task branch ${info.branch} itself`);
  }
  if (target !== undefined) {
    const kind = await localBranch(at(root), target);
    if (kind === "malformed") {
      throw new Error(
        `Cannot merge task "${taskId}" into "${target}" as it is not a local branch ` +
          `(a branch name such as "main", not a revision like "main~0" or a commit): ` +
          `repository is ${root}`,
      );
    }
    if (kind === "missing") {
      throw new Error(
        `Cannot merge task "${taskId}" into branch "${target}" as it does not exist: repository is ${root}`,
      );
    }
  }
  return { into, currentBranch: current };
}

/**
 * Runs `git merge --no-ff` of the task branch into the checked-out `into`; on failure aborts it
 * and checks `switchBack` (the branch that was current; null: the detached `before`) out again.
 */
async function runMerge(
  at: GitAt,
  info: WorktreeInfo,
  tip: string,
  where: { into: string; switchBack: string | null | undefined; before: string },
): Promise<MergeResult> {
  const taskId = checkInfo(info);
  const root = info.repoRoot;
  const opts = at(root);
  const { into, switchBack, before } = where;
  // The short name gives git's usual message; a same-named tag would take precedence over it.
  const shortName = await resolveCommit(at(root), info.branch);
  const mergeRev = shortName === tip ? info.branch : `refs/heads/${info.branch}`;
  // Backstop: git's default would overwrite ignored files.
  const { merge, conflicts } = await mergeNoFf(opts, ["--no-overwrite-ignore", mergeRev]);
  if (merge.code === 0) {
    return { merged: true, commit: await revParse(opts, "HEAD"), target: into };
  }
  if (await refExists(opts, "MERGE_HEAD")) await git(["merge", "--abort"], opts);
  let restore = "";
  if (switchBack !== undefined) {
    const back = switchBack === null
      ? await runGit(["checkout", "--quiet", "--detach", before], opts)
      : await runGit(["checkout", "--quiet", switchBack, "--"], opts);
    if (back.code !== 0) {
      restore = `; checking out ${switchBack ?? "the previous HEAD"} again failed${
        gitSays(back.stderr)
      }`;
    }
  }
  if (conflicts.length > 0 && restore === "") return { merged: false, conflicts, target: into };
  const said = conflicts.length > 0
    ? ` as files conflict: ${listFiles(conflicts)}`
    : `: git merge exited with code ${merge.code}${gitSays(merge.stderr)}`;
  throw new Error(`Cannot merge task "${taskId}" into branch "${into}"${said}${restore}`);
}

/**
 * Runs `git merge --no-ff --no-edit <args>` in the checkout of `opts` (under the fallback identity
 * when none is configured); when it stopped on a conflict, the files that conflict (the merge is
 * left in progress).
 */
export async function mergeNoFf(
  opts: GitOptions,
  args: string[],
): Promise<{ merge: GitResult; conflicts: string[] }> {
  const identity = await commitIdentityArgs(opts);
  const merge = await runGit([...identity, "merge", "--no-ff", "--no-edit", ...args], opts);
  const conflicts = merge.code !== 0 && await refExists(opts, "MERGE_HEAD")
    ? splitZ(await git(["diff", "--name-only", "--diff-filter=U", "-z"], opts))
    : [];
  return { merge, conflicts };
}

/**
 * The paths a checkout or merge writes for a diff (`[from, to]`, or `[ours...theirs]` for what
 * the branch changed since the merge base): every path that exists afterwards, renames split.
 */
export async function writtenPaths(opts: GitOptions, range: string[]): Promise<string[]> {
  const args = ["diff", "--name-only", "--no-renames", "--diff-filter=d", "-z", ...range, "--"];
  return splitZ(await git(args, opts));
}

/**
 * Of the `paths` a checkout or merge writes, the files git does not track in the checkout at
 * `opts.cwd` that are in the way: an untracked or ignored file at a path, at a directory above it,
 * or under a directory at a path. Only what exists on disk is asked about.
 */
export async function untrackedInTheWay(
  opts: GitOptions,
  paths: string[],
): Promise<{ files: string[]; ignored: Set<string> }> {
  const root = opts.cwd;
  const present = new Set<string>();
  for (const path of new Set(paths)) {
    if (await pathExists(join(root, path))) present.add(path);
    for (const parent of parentPaths(path)) {
      const stat = await Deno.lstat(join(root, parent)).catch(() => null);
      if (stat !== null && !stat.isDirectory) present.add(parent);
    }
  }
  const files: string[] = [];
  const ignored = new Set<string>();
  for (const batch of batches([...present], PATHSPEC_BATCH)) {
    const specs = ["--", ...batch.map(literalPathspec)];
    // Without --exclude-standard, --others lists ignored files too.
    files.push(...splitZ(await git(["ls-files", "-z", "--others", ...specs], opts)));
    const listed = ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", ...specs];
    for (const file of splitZ(await git(listed, opts))) ignored.add(file);
  }
  return { files, ignored };
}
