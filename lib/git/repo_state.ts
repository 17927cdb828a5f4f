/**
 * What git and the disk say about a repository, for the worktree operations: commits and refs,
 * local branches, changed files, an operation in progress. Each query takes the git options of
 * the checkout it asks about (`cwd`, time limit, environment) and changes nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { git } from "./git.ts";
 * import { branchExists, changedFiles, resolveCommit } from "./repo_state.ts";
 *
 * const repo = await Deno.makeTempDir();
 * await git(["init", "--quiet", "--initial-branch=main"], { cwd: repo });
 * const opts = { cwd: repo, timeoutMs: 60_000 };
 * assert.equal(await resolveCommit(opts, "HEAD"), null); // no commit yet
 * assert.equal(await branchExists(opts, "main"), false);
 * await Deno.writeTextFile(`${repo}/new.txt`, "new\n");
 * assert.deepEqual(await changedFiles(opts, "all"), ["new.txt"]);
 * await Deno.remove(repo, { recursive: true });
 * ```
 *
 * @module
 */

import { git, type GitOptions, runGit } from "./git.ts";

/** The git options (timeout, environment) for commands run in `cwd`. */
export type GitAt = (cwd: string) => GitOptions;

/** The commit `rev` names in the repository at `opts.cwd`, or null when it names none. */
export async function resolveCommit(opts: GitOptions, rev: string): Promise<string | null> {
  const result = await runGit(
    ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`],
    opts,
  );
  return result.code === 0 ? result.stdout.trim() : null;
}

/** The head commit of local branch `branch`, or null when it does not exist. */
export async function branchTip(opts: GitOptions, branch: string): Promise<string | null> {
  return await resolveCommit(opts, `refs/heads/${branch}`);
}

/** Whether local branch `branch` exists. */
export async function branchExists(opts: GitOptions, branch: string): Promise<boolean> {
  return await refExists(opts, `refs/heads/${branch}`);
}

/** Whether `ref` (e.g. `MERGE_HEAD`) names anything. */
export async function refExists(opts: GitOptions, ref: string): Promise<boolean> {
  const result = await runGit(["rev-parse", "--verify", "--quiet", ref], opts);
  return result.code === 0;
}

/** The object `rev` names; throws when it names none. */
export async function revParse(opts: GitOptions, rev: string): Promise<string> {
  return (await git(["rev-parse", "--verify", rev], opts)).trim();
}

/** `git rev-list --count` of `revs`. */
export async function countCommits(opts: GitOptions, revs: string[]): Promise<number> {
  const out = await git(["rev-list", "--count", ...revs], opts);
  return Number.parseInt(out.trim(), 10);
}

/**
 * The branch checked out at `opts.cwd` (`main` for `refs/heads/main`), or null when its HEAD is
 * detached.
 */
export async function currentBranch(opts: GitOptions): Promise<string | null> {
  const head = await runGit(["symbolic-ref", "--quiet", "HEAD"], opts);
  const ref = head.stdout.trim();
  return head.code === 0 && ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null;
}

/**
 * The checkouts of the repository at `opts.cwd` (the main one first) and their branches (`main`
 * for `refs/heads/main`; none when detached).
 */
export async function worktreeList(
  opts: GitOptions,
): Promise<Array<{ path: string; branch?: string }>> {
  const out = await git(["worktree", "list", "--porcelain", "-z"], opts);
  const list: Array<{ path: string; branch?: string }> = [];
  for (const field of out.split("\0")) {
    const [, key, value = ""] = /^(\w+) (.*)$/s.exec(field) ?? [];
    if (key === "worktree") list.push({ path: value });
    if (key === "branch") list.at(-1)!.branch = value.replace(/^refs\/heads\//, "");
  }
  return list;
}

/**
 * Whether `name` is exactly the name of a local branch: `malformed` for revision syntax
 * (`main~0`, `main@{0}`, `^0`), `HEAD` or a commit id, `missing` for a branch name no branch has.
 */
export async function localBranch(
  opts: GitOptions,
  name: string,
): Promise<"ok" | "malformed" | "missing"> {
  if (name === "HEAD" || name.startsWith("-") || /[~^:?*[\\\s]|@\{|\.\.|\0/.test(name)) {
    return "malformed";
  }
  const format = await runGit(["check-ref-format", `refs/heads/${name}`], opts);
  if (format.code !== 0) return "malformed";
  const ref = await runGit(["show-ref", "--verify", "--quiet", `refs/heads/${name}`], opts);
  if (ref.code === 0) return "ok";
  // A commit id that is no branch name is a revision, not a branch.
  return (await resolveCommit(opts, name)) === null ? "missing" : "malformed";
}

/** The changed files of a checkout (`git status`), untracked ones with `all`. */
export async function changedFiles(opts: GitOptions, untracked: "all" | "no"): Promise<string[]> {
  const out = await git(
    ["status", "--porcelain=v1", "-z", `--untracked-files=${untracked}`],
    opts,
  );
  const files: string[] = [];
  const fields = out.split("\0");
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] ?? "";
    if (entry.length < 4) continue;
    files.push(entry.slice(3));
    // A rename or copy is followed by its source path.
    if (entry[0] === "R" || entry[0] === "C") i++;
  }
  return files;
}

/** The operation in progress in the checkout at `opts.cwd` ("a merge", "a rebase", ...), or null. */
export async function operationInProgress(opts: GitOptions): Promise<string | null> {
  for (
    const [ref, name] of [
      ["MERGE_HEAD", "a merge"],
      ["CHERRY_PICK_HEAD", "a cherry-pick"],
      ["REVERT_HEAD", "a revert"],
    ] as const
  ) {
    if (await refExists(opts, ref)) return name;
  }
  const rebaseDirs = ["--git-path", "rebase-merge", "--git-path", "rebase-apply"];
  const paths = await git(["rev-parse", "--path-format=absolute", ...rebaseDirs], opts);
  for (const path of paths.split("\n").filter((line) => line !== "")) {
    if (await pathExists(path)) return "a rebase";
  }
  return null;
}

/** The fields of git's `-z` output. */
export function splitZ(out: string): string[] {
  return out.split("\0").filter((field) => field !== "");
}

/** Up to 20 files, comma-separated, the rest counted. */
export function listFiles(files: string[]): string {
  const shown = files.slice(0, 20).join(", ");
  return files.length > 20 ? `${shown} and ${files.length - 20} more` : shown;
}

/** The last lines of git's stderr as `: git says "..."`, or "" when it said nothing. */
export function gitSays(stderr: string): string {
  const text = stderr.trim().split("\n").slice(-3).map((line) => line.trim()).join(" / ");
  return text === "" ? "" : `: git says "${text}"`;
}

/** Whether anything (a file, a directory, a dangling link) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Whether `path` is a directory (following links). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}
