import assert from "node:assert/strict";
import { join } from "node:path";
import { WorktreeManager } from "./worktree.ts";
import {
  APP_TS,
  commitIn,
  exists,
  head,
  porcelain,
  rejects,
  run,
  withFixture,
  worktreeList,
  write,
} from "../../tests/support/worktree_fixture.ts";

Deno.test("commitAll commits exactly the worktree's changes and leaves the main checkout alone", async () => {
  await withFixture(async ({ repo, manager }) => {
    const mainHead = await head(repo);
    const info = await manager.create("work", repo);
    await write(join(info.path, "new.txt"), "new\n");
    await write(join(info.path, "README.md"), "hello\nworld\n");
    await Deno.remove(join(info.path, "src", "app.ts"));
    await write(join(info.path, "debug.log"), "ignored\n");

    const result = await manager.commitAll(info, "codex-swarm: work");
    assert.equal(result.created, true);
    assert.ok(result.commit !== null);
    assert.equal(result.commit, await head(repo, "codex-swarm/work"));
    assert.equal(await head(repo, `${result.commit}^`), info.baseCommit);
    assert.equal(await run(repo, "log", "-1", "--format=%s", result.commit), "codex-swarm: work");
    assert.equal(
      await run(repo, "show", "--name-status", "--format=", result.commit),
      "M\tREADME.md\nA\tnew.txt\nD\tsrc/app.ts",
    );
    assert.equal(await porcelain(info.path), "");
    assert.ok(await exists(join(info.path, "debug.log")), "ignored file stays, uncommitted");

    // Main checkout untouched.
    assert.equal(await head(repo), mainHead);
    assert.equal(await porcelain(repo), "");
    assert.equal(await Deno.readTextFile(join(repo, "README.md")), "hello\n");
    assert.equal(await Deno.readTextFile(join(repo, "src", "app.ts")), APP_TS);
    assert.equal(await exists(join(repo, "new.txt")), false);

    // Nothing new: no empty commit; the branch head is still reported.
    assert.deepEqual(await manager.commitAll(info, "again"), {
      commit: result.commit,
      created: false,
    });
    assert.equal(await head(repo, "codex-swarm/work"), result.commit);
  });
});

Deno.test("commitAll returns null when the task changed nothing", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("idle", repo);
    assert.deepEqual(await manager.commitAll(info, "nothing"), { commit: null, created: false });
    assert.equal(await head(repo, info.branch), info.baseCommit);
  });
});

Deno.test("commitAll counts commits Codex made itself", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("self", repo);
    await commitIn(info.path, { "by-codex.txt": "1\n" }, "codex did this");
    const own = await head(info.path);
    assert.deepEqual(await manager.commitAll(info, "final"), { commit: own, created: false });

    await write(join(info.path, "later.txt"), "2\n");
    const result = await manager.commitAll(info, "final");
    assert.equal(result.created, true);
    assert.equal(await head(repo, `${result.commit}^`), own);
  });
});

Deno.test("commitAll refuses a missing worktree or one on another branch", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("moved", repo);
    await run(info.path, "checkout", "--quiet", "-b", "elsewhere");
    await rejects(
      manager.commitAll(info, "x"),
      `Cannot commit the work of task "moved" as its worktree ${info.path} is on branch elsewhere instead of branch codex-swarm/moved`,
    );
    await run(info.path, "checkout", "--quiet", "--detach");
    await rejects(manager.commitAll(info, "x"), /is on a detached HEAD instead of branch/);

    const gone = await manager.create("gone", repo);
    await Deno.remove(gone.path, { recursive: true });
    await rejects(
      manager.commitAll(gone, "x"),
      `Cannot commit the work of task "gone" as its worktree ${gone.path} is missing: repository is ${repo}`,
    );
  });
});

Deno.test("commitAll and merge use a fallback identity when none is configured", async () => {
  await withFixture(async ({ repo, tmp, worktreeDir }) => {
    await run(repo, "config", "--unset", "user.name");
    await run(repo, "config", "--unset", "user.email");
    const emptyConfig = join(tmp, "empty-gitconfig");
    await Deno.writeTextFile(emptyConfig, "");
    const manager = new WorktreeManager({
      worktreeDir,
      env: {
        HOME: tmp,
        XDG_CONFIG_HOME: tmp,
        GIT_CONFIG_GLOBAL: emptyConfig,
        GIT_CONFIG_NOSYSTEM: "1",
      },
    });
    const info = await manager.create("anon", repo);
    await write(join(info.path, "a.txt"), "a\n");
    const { commit } = await manager.commitAll(info, "anon work");
    assert.ok(commit !== null);
    assert.equal(
      await run(repo, "log", "-1", "--format=%an <%ae>", commit),
      "codex-swarm <codex-swarm@localhost>",
    );
    const merged = await manager.merge(info);
    assert.equal(merged.merged, true);
  });
});

Deno.test("a branch's commits on another task's branch are unmerged; on the user's, merged", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("parent", repo);
    await write(join(info.path, "feature.txt"), "feature\n");
    await manager.commitAll(info, "feature");
    // A fork's branch (and any other codex-swarm/* branch) holds the commit: not merged.
    await run(repo, "branch", "codex-swarm/fork", info.branch);
    await run(repo, "branch", "codex-swarm/nested/deep", info.branch);
    assert.equal(await manager.branchHasUnmergedCommits(info), true);
    // So does a merge queue's integration branch (codex_merge, not applied).
    await run(repo, "branch", "codex-swarm-merge/m1", info.branch);
    assert.equal(await manager.branchHasUnmergedCommits(info), true);
    // A branch of the user's (merged by hand, or through a pull request): merged.
    await run(repo, "branch", "feature", info.branch);
    assert.equal(await manager.branchHasUnmergedCommits(info), false);
  });
});

Deno.test("removeWorktreeIfCommitted keeps the branch; branchHasUnmergedCommits sees the work", async () => {
  await withFixture(async ({ repo, manager }) => {
    const idle = await manager.create("idle", repo);
    assert.equal(await manager.branchHasUnmergedCommits(idle), false);

    const info = await manager.create("old", repo);
    await write(join(info.path, "work.txt"), "work\n");
    await manager.commitAll(info, "work");
    assert.equal(await manager.branchHasUnmergedCommits(info), true);

    assert.deepEqual(await manager.removeWorktreeIfCommitted(info), {
      removed: true,
      uncommitted: [],
    });
    assert.deepEqual(await manager.exists(info), { worktree: false, branch: true });
    assert.deepEqual(await worktreeList(repo), [repo, idle.path]);
    assert.equal(await manager.branchHasUnmergedCommits(info), true);
    await manager.removeWorktreeIfCommitted(info); // again: fine

    // The kept branch still merges, after which nothing is unmerged.
    const merged = await manager.merge(info);
    assert.equal(merged.merged, true);
    assert.equal(await manager.branchHasUnmergedCommits(info), false);

    // Work contained in another local branch counts as merged too.
    const other = await manager.create("copied", repo);
    await write(join(other.path, "c.txt"), "c\n");
    await manager.commitAll(other, "c");
    await run(repo, "branch", "keep", other.branch);
    assert.equal(await manager.branchHasUnmergedCommits(other), false);

    await manager.discard(other);
    assert.equal(await manager.branchHasUnmergedCommits(other), false);
  });
});
