/**
 * Making and removing the worktree of a task: where the repository of a directory is, where a
 * task's worktree goes, `git worktree add` on a new branch, and removal (with what in the
 * worktree is not committed). No locking here: {@linkcode WorktreeManager} (./worktree.ts) runs
 * these under its per-repository lock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commitIdentityArgs, git } from "./git.ts";
 * import { addWorktree, removeWorktree, resolveRepo } from "./worktree_dirs.ts";
 *
 * const tmp = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${tmp}/project/src`, { recursive: true });
 * const at = (cwd: string) => ({ cwd, timeoutMs: 60_000 });
 * await git(["init", "--quiet", "--initial-branch=main"], at(`${tmp}/project`));
 * await Deno.writeTextFile(`${tmp}/project/src/a.ts`, "export {};\n");
 * await git(["add", "src"], at(`${tmp}/project`));
 * await git([...await commitIdentityArgs(at(tmp)), "commit", "-qm", "a"], at(`${tmp}/project`));
 *
 * const repo = await resolveRepo(at, `${tmp}/project/src`);
 * assert.deepEqual(repo, { root: `${tmp}/project`, subdir: "src" });
 * const info = await addWorktree(at, `${tmp}/worktrees`, repo, "fix-1");
 * assert.match(info.cwd, /\/worktrees\/project-[0-9a-f]{8}\/fix-1\/src$/);
 * await removeWorktree(at, `${tmp}/worktrees`, info, "fix-1"); // the branch stays
 * await Deno.remove(tmp, { recursive: true });
 * ```
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { git, type GitOptions, runGit } from "./git.ts";
import {
  branchExists,
  changedFiles,
  currentBranch,
  type GitAt,
  gitSays,
  isDirectory,
  pathExists,
  resolveCommit,
  worktreeList,
} from "./repo_state.ts";
import { messageOf } from "../base/errors.ts";
import { branchName, type RepoLocation, type WorktreeInfo } from "./worktree_info.ts";

/**
 * The top level of the repository containing `cwd`, and `cwd` relative to it.
 *
 * Throws when `cwd` does not exist, is not inside a git checkout, or the repository has no
 * commits yet.
 */
export async function resolveRepo(at: GitAt, cwd: string): Promise<RepoLocation> {
  const dir = resolve(cwd);
  if (!(await isDirectory(dir))) {
    throw new Error(`Cannot use a worktree for "${dir}" as the directory does not exist`);
  }
  const opts = at(dir);
  const inside = await runGit(["rev-parse", "--is-inside-work-tree"], opts);
  if (inside.code !== 0) {
    throw new Error(
      `Cannot use a worktree for "${dir}" as it is not inside a git repository${
        gitSays(inside.stderr)
      }`,
    );
  }
  if (inside.stdout.trim() !== "true") {
    throw new Error(
      `Cannot use a worktree for "${dir}" as it is not inside a checkout (a bare repository or a .git directory)`,
    );
  }
  const [top = "", prefix = "", common = ""] =
    (await git(["rev-parse", "--show-toplevel", "--show-prefix", "--git-common-dir"], opts))
      .split("\n");
  const checkout = await Deno.realPath(top);
  // A linked worktree's common git directory is the main checkout's `.git`: the repository is
  // that checkout's, so a worktree made here is the repository's, not the linked one's.
  const commonDir = await Deno.realPath(resolve(dir, common)).catch(() => null);
  const main = commonDir !== null && basename(commonDir) === ".git" ? dirname(commonDir) : null;
  const root = main !== null && main !== checkout ? main : checkout;
  if (await resolveCommit(opts, "HEAD") === null) {
    throw new Error(
      `Cannot use a worktree for "${dir}" as repository ${root} has no commits yet (no HEAD)`,
    );
  }
  return {
    root,
    subdir: prefix.replace(/\/+$/, ""),
    ...(root !== checkout ? { linked: checkout } : {}),
  };
}

/**
 * Where the worktree of `taskId` for the repository at `repoRoot` lives:
 * `<worktreeDir>/<repo-name>-<first 8 hex of sha256(repoRoot)>/<taskId>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { worktreePath } from "./worktree_dirs.ts";
 *
 * assert.match(worktreePath("/wt", "/src/project", "fix-1"), /^\/wt\/project-[0-9a-f]{8}\/fix-1$/);
 * ```
 */
export function worktreePath(worktreeDir: string, repoRoot: string, taskId: string): string {
  const name = basename(repoRoot).replace(/[^A-Za-z0-9._-]/g, "_") || "repo";
  const hash = createHash("sha256").update(repoRoot).digest("hex").slice(0, 8);
  return join(worktreeDir, `${name}-${hash}`, taskId);
}

/**
 * Adds the worktree of `taskId` on a new branch `codex-swarm/<taskId>` from `base` (default: the
 * head of the directory's checkout) to the repository at `repo`, under `worktreeDir`.
 *
 * Throws when `base` is not a commit, the branch already exists or the worktree path is taken.
 */
export async function addWorktree(
  at: GitAt,
  worktreeDir: string,
  repo: RepoLocation,
  taskId: string,
  base?: string,
): Promise<WorktreeInfo> {
  const root = repo.root;
  const branch = branchName(taskId);
  const what = `Cannot create worktree for task "${taskId}"`;
  const opts = at(root);
  // Without a base, the new branch starts where the directory's checkout is: the main
  // checkout's current branch, or the head of the linked worktree (another task's branch).
  const from = repo.linked ?? root;
  const baseRef = base ?? await currentBranch(at(from)) ?? "HEAD";
  const baseCommit = await resolveCommit(at(base === undefined ? from : root), base ?? "HEAD");
  if (baseCommit === null) {
    throw new Error(`${what} as base "${base}" is not a commit: repository is ${root}`);
  }
  if (await branchExists(at(root), branch)) {
    throw new Error(`${what} as branch ${branch} exists: repository is ${root}`);
  }
  const parent = dirname(worktreePath(worktreeDir, root, taskId));
  // Worktrees hold the user's code: 0700, like the task records.
  await Deno.mkdir(parent, { recursive: true, mode: 0o700 });
  const path = join(await Deno.realPath(parent), taskId);
  if (await pathExists(path)) {
    throw new Error(`${what} as path ${path} exists: repository is ${root}`);
  }
  try {
    await git(["worktree", "add", "--quiet", "-b", branch, path, baseCommit], opts);
  } catch (error) {
    // `git worktree add` removes its half-made checkout but not the branch it made.
    if (await branchExists(at(root), branch)) {
      await runGit(["branch", "-D", branch], opts);
    }
    throw new Error(`${what} at ${path}: ${messageOf(error)}`, { cause: error });
  }
  const taskCwd = repo.subdir === "" ? path : join(path, repo.subdir);
  // The subdirectory may hold no tracked files at `base`; Codex still needs to start there.
  await Deno.mkdir(taskCwd, { recursive: true });
  return { repoRoot: root, path, branch, baseRef, baseCommit, cwd: taskCwd };
}

/**
 * Removes the worktree directory of `info` (changes and all) and unregisters it; the branch
 * stays. A directory git no longer knows is deleted only inside `worktreeDir`.
 */
export async function removeWorktree(
  at: GitAt,
  worktreeDir: string,
  info: WorktreeInfo,
  taskId: string,
): Promise<void> {
  const opts = at(info.repoRoot);
  const what = `Cannot remove the worktree of task "${taskId}" at ${info.path}`;
  const checkouts = await worktreeList(at(info.repoRoot));
  if (checkouts.some((checkout) => resolve(checkout.path) === resolve(info.path))) {
    // Also unregisters a worktree whose directory is already gone.
    const removed = await runGit(["worktree", "remove", "--force", info.path], opts);
    if (removed.code === 0) return;
    if (await pathExists(info.path)) {
      throw new Error(`${what}${gitSays(removed.stderr)}: repository is ${info.repoRoot}`);
    }
    await git(["worktree", "prune"], opts);
    return;
  }
  if (!(await pathExists(info.path))) return;
  // A directory git no longer knows: delete it only inside our own worktree directory.
  const inside = relative(worktreeDir, info.path);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
    throw new Error(
      `${what} as it is not a worktree of ${info.repoRoot} and lies outside ${worktreeDir}`,
    );
  }
  await Deno.remove(info.path, { recursive: true });
}

/**
 * What in the worktree is not committed on the task branch: changed, new and deleted files
 * (ignored files excepted), or `HEAD` when the worktree is on another branch or detached.
 * Empty when the worktree directory is gone.
 */
export async function uncommittedFiles(at: GitAt, info: WorktreeInfo): Promise<string[]> {
  if (!(await isDirectory(info.path))) return [];
  if (await currentBranch(at(info.path)) !== info.branch) return ["HEAD"];
  return await changedFiles(at(info.path), "all");
}

/**
 * Puts the worktree back to the task branch's commit (tracked files restored, new files removed,
 * ignored files kept); returns what was dropped.
 */
export async function dropUncommitted(at: GitAt, info: WorktreeInfo): Promise<string[]> {
  const dropped = await uncommittedFiles(at, info);
  if (dropped.length === 0 || dropped[0] === "HEAD") return [];
  const opts = at(info.path);
  await git(["reset", "--hard", "--quiet"], opts);
  await git(["clean", "-d", "--force", "--quiet"], opts);
  return dropped;
}

/**
 * Removes the `index.lock` a killed git left behind in the checkout at `opts.cwd`; returns whether
 * there was one.
 */
export async function removeIndexLock(opts: GitOptions): Promise<boolean> {
  const gitDir = await git(["rev-parse", "--path-format=absolute", "--git-dir"], opts);
  const lock = join(gitDir.trim(), "index.lock");
  if (!(await pathExists(lock))) return false;
  await Deno.remove(lock);
  return true;
}
