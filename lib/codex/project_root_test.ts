import assert from "node:assert/strict";
import { git, makeRepo } from "../../tests/support/repo.ts";
import { withTempDir } from "../../tests/support/temp_dir.ts";
import { ancestors, findProjectRoot, mainRepositoryRoot } from "./project_root.ts";

/** A temporary directory (real path), removed after `fn`. */
const inTempDir = (fn: (dir: string) => Promise<void>) => withTempDir("project-root-test-", fn);

Deno.test("ancestors: the directory and every one above it, nearest first", () => {
  assert.deepEqual(ancestors("/a/b/c"), ["/a/b/c", "/a/b", "/a", "/"]);
  assert.deepEqual(ancestors("/a/b/"), ["/a/b", "/a", "/"]);
  assert.deepEqual(ancestors("/"), ["/"]);
});

Deno.test("findProjectRoot: the nearest directory holding a marker, a .git file or directory", async () => {
  await inTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/repo/.git`, { recursive: true });
    await Deno.mkdir(`${dir}/repo/a/wt/b`, { recursive: true });
    assert.equal(await findProjectRoot(`${dir}/repo/a`, [".git"]), `${dir}/repo`);
    assert.equal(await findProjectRoot(`${dir}/repo`, [".git"]), `${dir}/repo`);
    // A worktree's `.git` is a file.
    await Deno.writeTextFile(`${dir}/repo/a/wt/.git`, "gitdir: /elsewhere\n");
    assert.equal(await findProjectRoot(`${dir}/repo/a/wt/b`, [".git"]), `${dir}/repo/a/wt`);
    // Other markers; none found; none to look for.
    await Deno.writeTextFile(`${dir}/repo/a/.hg`, "");
    assert.equal(await findProjectRoot(`${dir}/repo/a`, [".hg", ".git"]), `${dir}/repo/a`);
    assert.equal(await findProjectRoot(`${dir}/repo/a`, ["no-such-marker"]), null);
    assert.equal(await findProjectRoot(`${dir}/repo/a`, []), null);
  });
});

Deno.test("mainRepositoryRoot: a linked worktree's main repository; null for a main checkout", async () => {
  await inTempDir(async (dir) => {
    const repo = await makeRepo(dir);
    await git(repo, "worktree", "add", "-q", "-b", "side", `${dir}/wt`);
    assert.equal(await mainRepositoryRoot(`${dir}/wt`), repo);
    assert.equal(await mainRepositoryRoot(repo), null);
    assert.equal(await mainRepositoryRoot(`${dir}/wt/sub`), null);
  });
});

Deno.test("mainRepositoryRoot: a .git file that its worktree directory does not name back is no worktree", async () => {
  await inTempDir(async (dir) => {
    const repo = await makeRepo(dir);
    await git(repo, "worktree", "add", "-q", "-b", "side", `${dir}/wt`);
    // A `.git` file planted elsewhere, pointing at the real worktree's git directory...
    await Deno.mkdir(`${dir}/planted`);
    await Deno.copyFile(`${dir}/wt/.git`, `${dir}/planted/.git`);
    assert.equal(await mainRepositoryRoot(`${dir}/planted`), null);
    // ...or at the repository's own git directory.
    await Deno.writeTextFile(`${dir}/planted/.git`, `gitdir: ${repo}/.git\n`);
    assert.equal(await mainRepositoryRoot(`${dir}/planted`), null);
    // Not a repository at all.
    await Deno.writeTextFile(`${dir}/planted/.git`, "gitdir: /nowhere\n");
    assert.equal(await mainRepositoryRoot(`${dir}/planted`), null);
  });
});
