/**
 * The rules every merge of codex-swarm follows, shared by `codex_worktree merge` (one task branch
 * into the user's checkout) and the merge queue of `codex_merge` (task branches into an
 * integration branch, then a fast-forward of the target): a target must be a local branch by
 * name; a branch with nothing new is not merged; and a merge or checkout never writes over a file
 * git does not track in the user's checkout (git itself overwrites ignored files such as `.env`).
 * The pure parts are in ./merge_safety.ts; these ask git and the file system.
 *
 * @example
 * ```ts ignore
 * // Needs a repository on disk.
 * const opts = { cwd: "/src/app" };
 * if (await localBranchKind("main", opts) !== "ok") throw new Error("not a local branch");
 * const why = await nothingToMerge({ branch: "codex-swarm/ab12", tip, baseCommit, into: "main", intoTip }, opts);
 * const written = await writtenPaths([`${intoTip}...${tip}`], opts);
 * const inTheWay = await untrackedInTheWay(written, opts);
 * ```
 * @module
 */

import { join } from "node:path";
import { git, type GitOptions, runGit } from "./git.ts";
import { batches, literalPathspec, parentPaths, PATHSPEC_BATCH } from "./merge_safety.ts";

/**
 * Whether `name` is exactly the name of a local branch in the repository at `opts.cwd`:
 * `malformed` for revision syntax (`main~0`, `main@{0}`, `^0`), `HEAD` or a commit id, `missing`
 * for a branch name no branch has.
 */
export async function localBranchKind(
  name: string,
  opts: GitOptions,
): Promise<"ok" | "malformed" | "missing"> {
  if (name === "HEAD" || name.startsWith("-") || /[~^:?*[\\\s]|@\{|\.\.|\0/.test(name)) {
    return "malformed";
  }
  const format = await runGit(["check-ref-format", `refs/heads/${name}`], opts);
  if (format.code !== 0) return "malformed";
  const ref = await runGit(["show-ref", "--verify", "--quiet", `refs/heads/${name}`], opts);
  if (ref.code === 0) return "ok";
  // A commit id that is no branch name is a revision, not a branch.
  const commit = await runGit(
    ["rev-parse", "--verify", "--quiet", "--end-of-options", `${name}^{commit}`],
    opts,
  );
  return commit.code === 0 ? "malformed" : "missing";
}

/** What {@link nothingToMerge} compares. */
export interface MergeCandidate {
  /** The task branch, e.g. `codex-swarm/<id>`. */
  branch: string;
  /** Its head. */
  tip: string;
  /** The commit it started from. */
  baseCommit: string;
  /** The branch it would be merged into. */
  into: string;
  /** That branch's head. */
  intoTip: string;
}

/**
 * Why merging `c.branch` into `c.into` would add nothing (the branch holds no commit past its
 * base, or `c.into` already contains its head), or null when it adds something.
 */
export async function nothingToMerge(c: MergeCandidate, opts: GitOptions): Promise<string | null> {
  if (c.tip === c.baseCommit) {
    return `branch ${c.branch} holds no commit past its base ${
      c.baseCommit.slice(0, 12)
    } (the task committed nothing)`;
  }
  const count = await git(["rev-list", "--count", c.tip, "--not", c.intoTip], opts);
  if (Number.parseInt(count.trim(), 10) === 0) {
    return `branch "${c.into}" already contains the head ${
      c.tip.slice(0, 12)
    } of branch ${c.branch}`;
  }
  return null;
}

/**
 * The paths a checkout or merge writes for a diff (`[from, to]`, or `[ours...theirs]` for what a
 * branch changed since the merge base): every path that exists afterwards, renames split.
 */
export async function writtenPaths(range: string[], opts: GitOptions): Promise<string[]> {
  return splitZ(
    await git(
      ["diff", "--name-only", "--no-renames", "--diff-filter=d", "-z", ...range, "--"],
      opts,
    ),
  );
}

/**
 * Of the `paths` a checkout or merge writes, the files git does not track in the checkout at
 * `opts.cwd` that are in the way: an untracked or ignored file at a path, at a directory above it,
 * or under a directory at a path. Only what exists on disk is asked about.
 */
export async function untrackedInTheWay(
  paths: string[],
  opts: GitOptions,
): Promise<{ files: string[]; ignored: Set<string> }> {
  const root = opts.cwd;
  const present = new Set<string>();
  for (const path of new Set(paths)) {
    if (await Deno.lstat(join(root, path)).then(() => true, () => false)) present.add(path);
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

/** The changed files of the checkout at `opts.cwd` (`git status`), untracked ones with `all`. */
export async function changedFiles(untracked: "all" | "no", opts: GitOptions): Promise<string[]> {
  const out = await git(["status", "--porcelain=v1", "-z", `--untracked-files=${untracked}`], opts);
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

/** The fields of `git ... -z` output, empty ones left out. */
export function splitZ(out: string): string[] {
  return out.split("\0").filter((field) => field !== "");
}
