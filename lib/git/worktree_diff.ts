/**
 * What a task changed on its branch: the files with line counts (`git diff --numstat`) and the
 * patch, cut at a line end when too long. Both are taken from the branch's base commit (or a
 * later commit) to its tip, so they show committed work only.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a task branch; WorktreeManager.diffSummary and .diff are the callers
 * import { branchPatch, changeSummary } from "./worktree_diff.ts";
 *
 * const at = (cwd: string) => ({ cwd, timeoutMs: 60_000 });
 * const summary = await changeSummary(at, info, tip); // { files, insertions, deletions }
 * const { patch, truncated } = await branchPatch(at, info, tip, 10_000);
 * ```
 *
 * @module
 */

import { exitError, git, runGit } from "./git.ts";
import type { GitAt } from "./repo_state.ts";
import type { WorktreeInfo } from "./worktree_info.ts";

/** Default longest patch of {@linkcode branchPatch}, in bytes: 1 MB. */
export const DEFAULT_DIFF_MAX_BYTES = 1_000_000;

/** One changed file in a {@linkcode DiffSummary}. */
export interface FileChange {
  /** Path in the branch (the new path of a rename). */
  path: string;
  /** The old path, for a rename. */
  oldPath?: string;
  /** Lines added; 0 for a binary file. */
  insertions: number;
  /** Lines removed; 0 for a binary file. */
  deletions: number;
  /** True for a binary file. */
  binary: boolean;
}

/** Files changed on a task branch since its base, with line counts. */
export interface DiffSummary {
  /** Changed files, in git's order. */
  files: FileChange[];
  /** Total lines added. */
  insertions: number;
  /** Total lines removed. */
  deletions: number;
}

/** A task branch's patch against its base. */
export interface DiffResult {
  /** Unified diff, cut at a line end when too long. */
  patch: string;
  /** True when the patch was cut at the longest size asked for. */
  truncated: boolean;
}

/** The options and range shared by the task-branch diffs: base commit to tip, renames found. */
function diffRange(info: WorktreeInfo, tip: string, since = info.baseCommit): string[] {
  return ["--find-renames", "--no-ext-diff", "--no-color", since, tip, "--"];
}

/**
 * Files changed from `since` (default: the base commit) to `tip`, with line counts.
 */
export async function changeSummary(
  at: GitAt,
  info: WorktreeInfo,
  tip: string,
  since?: string,
): Promise<DiffSummary> {
  const out = await git(
    ["diff", "--numstat", "-z", ...diffRange(info, tip, since)],
    at(info.repoRoot),
  );
  const files = parseNumstat(out);
  return {
    files,
    insertions: files.reduce((sum, file) => sum + file.insertions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
  };
}

/** The patch from the base commit to `tip`, cut at a line end after `maxBytes`. */
export async function branchPatch(
  at: GitAt,
  info: WorktreeInfo,
  tip: string,
  maxBytes = DEFAULT_DIFF_MAX_BYTES,
): Promise<DiffResult> {
  const args = ["diff", ...diffRange(info, tip)];
  const result = await runGit(args, {
    ...at(info.repoRoot),
    maxStdoutBytes: Math.max(0, maxBytes),
  });
  if (result.code !== 0 && !result.truncated) throw exitError(args, info.repoRoot, result);
  let patch = result.stdout;
  if (result.truncated) {
    const end = patch.lastIndexOf("\n");
    // A cut inside a multi-byte character decodes as U+FFFD; a line end drops it.
    patch = end >= 0 ? patch.slice(0, end + 1) : patch.replace(/\uFFFD$/, "");
  }
  return { patch, truncated: result.truncated };
}

/** Parses `git diff --numstat -z`; a rename is `ins\tdel\t\0old\0new\0`. */
function parseNumstat(out: string): FileChange[] {
  const fields = out.split("\0");
  const files: FileChange[] = [];
  for (let i = 0; i < fields.length; i++) {
    const match = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(fields[i] ?? "");
    if (match === null) continue;
    const [, added = "-", removed = "-", name = ""] = match;
    const binary = added === "-" && removed === "-";
    const change: FileChange = {
      path: name,
      insertions: added === "-" ? 0 : Number(added),
      deletions: removed === "-" ? 0 : Number(removed),
      binary,
    };
    if (name === "") {
      change.oldPath = fields[i + 1] ?? "";
      change.path = fields[i + 2] ?? "";
      i += 2;
    }
    files.push(change);
  }
  return files;
}
