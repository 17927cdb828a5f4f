import assert from "node:assert/strict";
import {
  batches,
  literalPathspec,
  nothingToMerge,
  parentPaths,
  PATHSPEC_BATCH,
  untrackedRefusal,
} from "./merge_safety.ts";

Deno.test("parentPaths: every directory above a path, outermost first", () => {
  assert.deepEqual(parentPaths("a/b/c.txt"), ["a", "a/b"]);
  assert.deepEqual(parentPaths("top.txt"), []);
});

Deno.test("literalPathspec: no glob, no magic", () => {
  assert.equal(literalPathspec("*.env"), ":(literal)*.env");
});

Deno.test("batches: none larger than asked, nothing lost", () => {
  assert.deepEqual(batches([1, 2, 3], 2), [[1, 2], [3]]);
  assert.deepEqual(batches([], 2), []);
  const many = Array.from({ length: PATHSPEC_BATCH * 2 + 1 }, (_, i) => i);
  assert.deepEqual(batches(many, PATHSPEC_BATCH).map((b) => b.length), [
    PATHSPEC_BATCH,
    PATHSPEC_BATCH,
    1,
  ]);
});

Deno.test("untrackedRefusal: sorted, marked, the rest counted", () => {
  assert.equal(untrackedRefusal(["b", "a", "b"], new Set(["b"])), "a (untracked), b (ignored)");
  const files = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, "0")}`);
  const text = untrackedRefusal(files, new Set());
  assert.match(text, /^f00 \(untracked\), .* f19 \(untracked\) and 3 more$/);
});

Deno.test("nothingToMerge: no commit past the base, or the target holds the head", () => {
  const facts = { branch: "codex-swarm/a", baseCommit: "b".repeat(40), target: "main" };
  assert.equal(
    nothingToMerge({ ...facts, tip: facts.baseCommit, aheadOfTarget: 0 }),
    "branch codex-swarm/a holds no commit past its base bbbbbbbbbbbb (the task committed nothing)",
  );
  assert.equal(
    nothingToMerge({ ...facts, tip: "c".repeat(40), aheadOfTarget: 0 }),
    'branch "main" already contains the head cccccccccccc of branch codex-swarm/a',
  );
  assert.equal(nothingToMerge({ ...facts, tip: "c".repeat(40), aheadOfTarget: 2 }), null);
});
