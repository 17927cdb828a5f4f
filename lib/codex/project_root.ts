/**
 * Where a thread's project is, as Codex 0.169 finds it: the project root is the nearest directory
 * from the cwd up (the cwd included) that holds one of `project_root_markers` (`.git` by default: a
 * directory, or a file as in a git worktree); for a linked worktree, the trust of the main
 * repository counts too.
 *
 * Nothing of the repository runs: markers are only looked at, and the one git command
 * (`rev-parse`) goes through the hardened runner of lib/git/git.ts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const app = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${app}/.git`);
 * await Deno.mkdir(`${app}/lib`);
 * assert.equal(await findProjectRoot(`${app}/lib`, [".git"]), app);
 * // For a linked worktree, mainRepositoryRoot(root) is its main repository (git rev-parse).
 * await Deno.remove(app, { recursive: true });
 * ```
 * @module
 */

import { dirname, isAbsolute, resolve } from "node:path";
import { runGit } from "../git/git.ts";

/** `dir` and every directory above it, nearest first. */
export function ancestors(dir: string): string[] {
  const found: string[] = [];
  for (let at = resolve(dir);; at = dirname(at)) {
    found.push(at);
    if (dirname(at) === at) return found;
  }
}

/**
 * The nearest directory from `cwd` up that holds one of `markers`; null when none does (or
 * `markers` is empty, which Codex reads as "no parent traversal").
 */
export async function findProjectRoot(
  cwd: string,
  markers: readonly string[],
): Promise<string | null> {
  if (markers.length === 0) return null;
  for (const dir of ancestors(cwd)) {
    for (const marker of markers) {
      // It exists (following symlinks, as Codex looks at a marker).
      if (await Deno.stat(`${dir}/${marker}`).then(() => true, () => false)) return dir;
    }
  }
  return null;
}

/**
 * For a linked git worktree rooted at `root` (its `.git` a file), the root of its main repository:
 * the directory above the common git directory (`git rev-parse --git-common-dir`). Null for any
 * other root, and for a `.git` file whose worktree git directory does not name this checkout back
 * (its `gitdir` file), so a `.git` file a task writes cannot borrow another repository's trust.
 */
export async function mainRepositoryRoot(root: string): Promise<string | null> {
  const dotGit = `${root}/.git`;
  const info = await Deno.lstat(dotGit).catch(() => null);
  if (info === null || !info.isFile) return null;
  const result = await runGit(
    ["rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir"],
    { cwd: root, timeoutMs: GIT_TIMEOUT_MS },
  ).catch(() => null);
  if (result === null || result.code !== 0) return null;
  const [gitDir, commonDir] = result.stdout.trim().split("\n");
  if (!gitDir || !commonDir || gitDir === commonDir) return null;
  const back = await Deno.readTextFile(`${gitDir}/gitdir`).catch(() => null);
  if (back === null) return null;
  // It names this checkout's `.git` back (the same file, after symlinks).
  const named = back.trim();
  if (!isAbsolute(named)) return null;
  const [x, y] = await Promise.all([named, dotGit].map((p) => Deno.realPath(p).catch(() => null)));
  return x !== null && x === y ? await Deno.realPath(dirname(commonDir)).catch(() => null) : null;
}

/** How long `rev-parse` may take: it reads a few files, so a stuck one is not worth waiting for. */
const GIT_TIMEOUT_MS = 10_000;
