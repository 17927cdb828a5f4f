import assert from "node:assert/strict";
import { join } from "node:path";
import {
  branchExists,
  changedFiles,
  type GitAt,
  gitSays,
  isDirectory,
  listFiles,
  localBranch,
  operationInProgress,
  pathExists,
  resolveCommit,
  splitZ,
} from "./repo_state.ts";
import { head, withFixture, write } from "../../tests/support/worktree_fixture.ts";

const at: GitAt = (cwd) => ({ cwd });

Deno.test("splitZ, listFiles and gitSays shape git's output for messages", () => {
  assert.deepEqual(splitZ("a\0b c\0\0"), ["a", "b c"]);
  const files = Array.from({ length: 22 }, (_, i) => `f${i}`);
  assert.match(listFiles(files), /^f0, .*, f19 and 2 more$/);
  assert.equal(gitSays(""), "");
  assert.equal(gitSays("one\ntwo\nthree\nfour\n"), ': git says "two / three / four"');
});

Deno.test("ref and status queries answer for a real repository", async () => {
  await withFixture(async ({ repo, tmp }) => {
    assert.equal(await resolveCommit(at(repo), "HEAD"), await head(repo));
    assert.equal(await resolveCommit(at(repo), "nope"), null);
    assert.equal(await branchExists(at(repo), "main"), true);
    assert.equal(await localBranch(at(repo), "main"), "ok");
    assert.equal(await localBranch(at(repo), "main~0"), "malformed");
    assert.equal(await localBranch(at(repo), "gone"), "missing");
    assert.equal(await operationInProgress(at(repo)), null);
    await write(join(repo, "README.md"), "changed\n");
    await write(join(repo, "new.txt"), "new\n");
    assert.deepEqual(await changedFiles(at(repo), "no"), ["README.md"]);
    assert.deepEqual((await changedFiles(at(repo), "all")).sort(), ["README.md", "new.txt"]);
    assert.equal(await pathExists(join(tmp, "missing")), false);
    assert.equal(await isDirectory(join(repo, "README.md")), false);
    assert.equal(await isDirectory(repo), true);
  });
});
