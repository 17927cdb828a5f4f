/**
 * The rules of a merge of a task branch into the user's checkout:
 *
 * - it must not touch files git does not track there (untracked or git-ignored, such as `.env`).
 *   Git's merge and checkout overwrite ignored files by default; codex-swarm checks the paths the
 *   branch would write first and refuses, naming them;
 * - there is nothing to merge when the branch holds no commit past its base, or the target
 *   already contains its head; nothing is done then.
 *
 * Pure: lib/git/worktree_merge.ts asks git and the file system.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parentPaths("a/b/c.txt"), ["a", "a/b"]);
 * assert.equal(literalPathspec("*.env"), ":(literal)*.env");
 * assert.equal(
 *   untrackedRefusal([".env", "notes.txt"], new Set([".env"])),
 *   ".env (ignored), notes.txt (untracked)",
 * );
 * assert.equal(
 *   nothingToMerge({ branch: "codex-swarm/a", baseCommit: "b1", tip: "b1", target: "main", aheadOfTarget: 0 }),
 *   "branch codex-swarm/a holds no commit past its base b1 (the task committed nothing)",
 * );
 * ```
 * @module
 */

/** Longest list of files named in a refusal; the rest are counted. */
const NAMED_FILES = 20;

/**
 * Pathspecs given to one git command: a few hundred paths stay far below the argument size limit
 * of every system (128 kB and more) even when each is long.
 */
export const PATHSPEC_BATCH = 200;

/**
 * The directories above `path`, outermost first: a file the user keeps at one of them is in the
 * way of `path` too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parentPaths("a/b/c.txt"), ["a", "a/b"]);
 * assert.deepEqual(parentPaths("top.txt"), []);
 * ```
 */
export function parentPaths(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/**
 * `path` as a pathspec that matches itself only (and what lies under it): no glob or magic.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(literalPathspec("[a].txt"), ":(literal)[a].txt");
 * ```
 */
export function literalPathspec(path: string): string {
  return `:(literal)${path}`;
}

/**
 * `items` in batches of at most `size`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(batches([1, 2, 3], 2), [[1, 2], [3]]);
 * ```
 */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The files a merge would overwrite, each marked ignored or untracked, at most
 * {@linkcode NAMED_FILES} named.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(untrackedRefusal(["b", "a"], new Set(["b"])), "a (untracked), b (ignored)");
 * ```
 */
export function untrackedRefusal(files: readonly string[], ignored: ReadonlySet<string>): string {
  const sorted = [...new Set(files)].sort();
  const named = sorted.slice(0, NAMED_FILES)
    .map((file) => `${file} (${ignored.has(file) ? "ignored" : "untracked"})`).join(", ");
  const more = sorted.length - NAMED_FILES;
  return more > 0 ? `${named} and ${more} more` : named;
}

/** What decides whether a task branch has anything to merge. */
export interface MergeFacts {
  /** The task branch, `codex-swarm/<taskId>`. */
  branch: string;
  /** The commit the task branch started from. */
  baseCommit: string;
  /** The task branch's head. */
  tip: string;
  /** The branch to merge into. */
  target: string;
  /** How many commits of `tip` the target does not contain (`git rev-list --count tip ^target`). */
  aheadOfTarget: number;
}

/**
 * Why there is nothing to merge, or null when there is: the task branch holds no commit past its
 * base, or the target already contains its head.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const facts = { branch: "codex-swarm/a", baseCommit: "b1", tip: "c2", target: "main" };
 * assert.equal(
 *   nothingToMerge({ ...facts, aheadOfTarget: 0 }),
 *   'branch "main" already contains the head c2 of branch codex-swarm/a',
 * );
 * assert.equal(nothingToMerge({ ...facts, aheadOfTarget: 1 }), null);
 * ```
 */
export function nothingToMerge(facts: MergeFacts): string | null {
  if (facts.tip === facts.baseCommit) {
    return `branch ${facts.branch} holds no commit past its base ${
      facts.baseCommit.slice(0, 12)
    } (the task committed nothing)`;
  }
  if (facts.aheadOfTarget === 0) {
    return `branch "${facts.target}" already contains the head ${
      facts.tip.slice(0, 12)
    } of branch ${facts.branch}`;
  }
  return null;
}
