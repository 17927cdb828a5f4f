import assert from "node:assert/strict";
import { join } from "node:path";
import { git, repoWithBranches } from "../../tests/support/repo.ts";
import {
  closeIntegration,
  commitResolution,
  diffStat,
  fastForward,
  filesWithMarkers,
  hasConflictMarkers,
  headOf,
  type Integration,
  integrationBranch,
  mergeBranch,
  openIntegration,
  parseShortstat,
  resetTo,
} from "./integration.ts";
import { branchTip } from "./repo_state.ts";

/** A repository on main with `a.txt`, a branch `codex-swarm/<name>` per entry of `branches`. */
async function withRepo(
  branches: Record<string, Record<string, string>>,
  fn: (repo: string, where: Integration, base: string) => Promise<void>,
): Promise<void> {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "integration_test_" }));
  try {
    const initial = { "a.txt": "a\n", ".gitignore": ".env\n" };
    const { repo, base } = await repoWithBranches(tmp, branches, initial);
    const where = { repoRoot: repo, path: join(tmp, "merge-m1"), branch: integrationBranch("m1") };
    await fn(repo, where, base);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function tipOf(repo: string, name: string) {
  return {
    branch: `codex-swarm/${name}`,
    tip: (await branchTip({ cwd: repo }, `codex-swarm/${name}`))!,
  };
}

Deno.test("mergeBranch: merged with --no-ff, nothing new, a conflict left for resolution", async () => {
  const branches = { x: { "x.txt": "x\n" }, y: { "a.txt": "y\n" }, z: { "a.txt": "z\n" } };
  await withRepo(branches, async (repo, where, base) => {
    await openIntegration(where, base);
    assert.equal(await headOf(where.path), base);
    const x = await mergeBranch(where.path, { ...await tipOf(repo, "x"), baseCommit: base }, "m x");
    assert.equal(x.kind, "merged");
    // A merge commit (two parents), on the integration branch only.
    assert.equal(
      (await git(repo, "rev-list", "--parents", "-n1", where.branch)).split(" ").length,
      3,
    );
    assert.equal(await git(repo, "rev-parse", "main"), base);
    const again = await mergeBranch(
      where.path,
      { ...await tipOf(repo, "x"), baseCommit: base },
      "m",
    );
    assert.equal(again.kind, "nothing");
    const y = await mergeBranch(where.path, { ...await tipOf(repo, "y"), baseCommit: base }, "m y");
    assert.equal(y.kind, "merged");
    const good = await headOf(where.path);
    const z = await mergeBranch(where.path, { ...await tipOf(repo, "z"), baseCommit: base }, "m z");
    assert.deepEqual(z, { kind: "conflict", files: ["a.txt"] });
    assert.deepEqual(await filesWithMarkers(where.path, ["a.txt"]), ["a.txt"]);
    await Deno.writeTextFile(join(where.path, "a.txt"), "y and z\n");
    assert.deepEqual(await filesWithMarkers(where.path, ["a.txt"]), []);
    const resolved = await commitResolution(where.path, "resolved");
    assert.notEqual(resolved, good);
    assert.equal((await git(repo, "rev-list", "--parents", "-n1", resolved)).split(" ").length, 3);
    assert.deepEqual(parseShortstat(" 2 files changed, 2 insertions(+), 1 deletion(-)"), {
      files: 2,
      insertions: 2,
      deletions: 1,
    });
    assert.deepEqual(await diffStat(repo, base, resolved), {
      files: 2,
      insertions: 2,
      deletions: 1,
    });
    // Undo: back to the last good step, with what a check left removed.
    await Deno.writeTextFile(join(where.path, "left.txt"), "check output\n");
    await resetTo(where.path, good);
    assert.equal(await headOf(where.path), good);
    assert.equal(await git(where.path, "status", "--porcelain"), "");
  });
});

Deno.test("resetTo: a conflicted merge in progress is aborted", async () => {
  const branches = { y: { "a.txt": "y\n" }, z: { "a.txt": "z\n" } };
  await withRepo(branches, async (repo, where, base) => {
    await openIntegration(where, base);
    await mergeBranch(where.path, { ...await tipOf(repo, "y"), baseCommit: base }, "m y");
    const good = await headOf(where.path);
    await mergeBranch(where.path, { ...await tipOf(repo, "z"), baseCommit: base }, "m z");
    await resetTo(where.path, good);
    assert.equal(await headOf(where.path), good);
    assert.equal(await Deno.readTextFile(join(where.path, "a.txt")), "y\n");
    const merging = await git(where.path, "rev-parse", "--verify", "--quiet", "MERGE_HEAD")
      .then(() => true, () => false);
    assert.equal(merging, false);
  });
});

Deno.test("openIntegration: a resumed merge's worktree is checked out again on its branch", async () => {
  await withRepo({ x: { "x.txt": "x\n" }, y: { "x.txt": "y\n" } }, async (repo, where, base) => {
    await openIntegration(where, base);
    await mergeBranch(where.path, { ...await tipOf(repo, "x"), baseCommit: base }, "m x");
    const head = await headOf(where.path);
    await closeIntegration(where, false);
    assert.equal(await branchTip({ cwd: repo }, where.branch), head);
    await openIntegration(where, base);
    assert.equal(await headOf(where.path), head);
    // A git killed mid-merge leaves its lock and the merge: both go.
    await mergeBranch(where.path, { ...await tipOf(repo, "y"), baseCommit: base }, "m y");
    const gitDir = await git(where.path, "rev-parse", "--path-format=absolute", "--git-dir");
    await Deno.writeTextFile(join(gitDir, "index.lock"), "");
    await openIntegration(where, base);
    await resetTo(where.path, head);
    assert.equal(await headOf(where.path), head);
    await closeIntegration(where, true);
    assert.equal(await branchTip({ cwd: repo }, where.branch), null);
  });
});

Deno.test("fastForward: only when the user's checkout allows it", async () => {
  await withRepo({ x: { "x.txt": "x\n", ".env": "theirs\n" } }, async (repo, where, base) => {
    await git(repo, "checkout", "--quiet", "codex-swarm/x", "--", ".");
    await git(repo, "reset", "--quiet");
    await Deno.remove(join(repo, "x.txt"));
    // The branch tracks .env (force-added); the user's own .env is ignored here.
    await Deno.writeTextFile(join(repo, ".env"), "mine\n");
    await openIntegration(where, base);
    const x = await tipOf(repo, "x");
    await mergeBranch(where.path, { ...x, baseCommit: base }, "m x");
    const result = await headOf(where.path);
    // The branch wrote no .env (it is ignored there), so nothing is in the way.
    await Deno.writeTextFile(join(repo, "x.txt"), "user's own\n");
    const inTheWay = await fastForward(repo, "main", base, result);
    assert.deepEqual(inTheWay, {
      applied: false,
      reason: `it would overwrite files git does not track in ${repo}: x.txt (untracked)`,
    });
    await Deno.remove(join(repo, "x.txt"));
    await Deno.writeTextFile(join(repo, "a.txt"), "changed\n");
    const dirty = await fastForward(repo, "main", base, result);
    assert.deepEqual(dirty, {
      applied: false,
      reason: `the checkout ${repo} has uncommitted changes: a.txt`,
    });
    await git(repo, "checkout", "--", "a.txt");
    const moved = await fastForward(repo, "main", result, result);
    assert.equal(moved.applied, false);
    assert.match((moved as { reason: string }).reason, /^branch "main" moved during the merge/);
    assert.deepEqual(await fastForward(repo, "main", base, result), { applied: true });
    assert.equal(await git(repo, "rev-parse", "main"), result);
    assert.equal(await Deno.readTextFile(join(repo, ".env")), "mine\n");
    assert.equal(await Deno.readTextFile(join(repo, "x.txt")), "x\n");
  });
});

Deno.test("fastForward: a target not checked out moves by its ref, one checked out elsewhere not", async () => {
  await withRepo({ x: { "x.txt": "x\n" } }, async (repo, where, base) => {
    await git(repo, "branch", "release", base);
    await openIntegration(where, base);
    await mergeBranch(where.path, { ...await tipOf(repo, "x"), baseCommit: base }, "m x");
    const result = await headOf(where.path);
    assert.deepEqual(await fastForward(repo, "release", base, result), { applied: true });
    assert.equal(await git(repo, "rev-parse", "release"), result);
    const other = join(where.path, "..", "other");
    await git(repo, "worktree", "add", "--quiet", other, "-b", "side", base);
    const refused = await fastForward(repo, "side", base, result);
    assert.deepEqual(refused, {
      applied: false,
      reason: `branch "side" is checked out in ${other}`,
    });
    assert.equal(await git(repo, "rev-parse", "side"), base);
  });
});

Deno.test("hasConflictMarkers: markers at a line start only", () => {
  assert.equal(hasConflictMarkers("<<<<<<< HEAD\na\n=======\nb\n>>>>>>> x\n"), true);
  assert.equal(hasConflictMarkers("a\n=======\n"), true);
  assert.equal(hasConflictMarkers("a <<<<<<< b\n========\n"), false);
});
