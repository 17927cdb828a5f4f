import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { branchName, isWorktreeInfo } from "./worktree.ts";
import { uncommittedFiles } from "./worktree_dirs.ts";
import {
  commitIn,
  exists,
  head,
  initRepo,
  porcelain,
  rejects,
  run,
  withFixture,
  worktreeList,
  write,
} from "../../tests/support/worktree_fixture.ts";

Deno.test("resolveRepo returns the top level and the subdirectory", async () => {
  await withFixture(async ({ repo, manager }) => {
    assert.deepEqual(await manager.resolveRepo(repo), { root: repo, subdir: "" });
    assert.deepEqual(await manager.resolveRepo(join(repo, "src", "nested")), {
      root: repo,
      subdir: "src/nested",
    });
  });
});

Deno.test("resolveRepo rejects a directory outside any repository", async () => {
  await withFixture(async ({ tmp, manager }) => {
    const outside = join(tmp, "plain");
    await Deno.mkdir(outside);
    await rejects(
      manager.resolveRepo(outside),
      new RegExp(`^Cannot use a worktree for "${outside}" as it is not inside a git repository`),
    );
    await rejects(
      manager.resolveRepo(join(tmp, "missing")),
      `Cannot use a worktree for "${join(tmp, "missing")}" as the directory does not exist`,
    );
  });
});

Deno.test("resolveRepo rejects a repository with no commits", async () => {
  await withFixture(async ({ tmp, manager }) => {
    const empty = join(tmp, "empty");
    await initRepo(empty);
    await rejects(
      manager.resolveRepo(empty),
      `Cannot use a worktree for "${empty}" as repository ${empty} has no commits yet (no HEAD)`,
    );
    await rejects(manager.create("t1", empty), /has no commits yet/);
  });
});

Deno.test("create makes a worktree on codex-swarm/<id> from HEAD", async () => {
  await withFixture(async ({ repo, worktreeDir, manager }) => {
    const info = await manager.create("task-1", repo);
    const hash = createHash("sha256").update(repo).digest("hex").slice(0, 8);
    const path = join(worktreeDir, `project-${hash}`, "task-1");
    assert.deepEqual(info, {
      repoRoot: repo,
      path,
      branch: "codex-swarm/task-1",
      baseRef: "main",
      baseCommit: await head(repo),
      cwd: path,
    });
    assert.equal(await Deno.readTextFile(join(path, "README.md")), "hello\n");
    assert.equal(await run(path, "branch", "--show-current"), "codex-swarm/task-1");
    assert.deepEqual(await worktreeList(repo), [repo, path]);
    assert.equal(await porcelain(repo), "");
    assert.equal(branchName("task-1"), info.branch);
    const saved: unknown = JSON.parse(JSON.stringify(info));
    assert.ok(isWorktreeInfo(saved));
    assert.deepEqual(saved, info);
  });
});

Deno.test("create starts from a base ref", async () => {
  await withFixture(async ({ repo, manager }) => {
    const first = await head(repo);
    await run(repo, "tag", "v1");
    await commitIn(repo, { "README.md": "hello again\n" }, "second");
    await run(repo, "branch", "old", first);

    const fromTag = await manager.create("from-tag", repo, "v1");
    assert.equal(fromTag.baseRef, "v1");
    assert.equal(fromTag.baseCommit, first);
    assert.equal(await Deno.readTextFile(join(fromTag.path, "README.md")), "hello\n");

    const fromBranch = await manager.create("from-branch", repo, "old");
    assert.equal(fromBranch.baseCommit, first);
    assert.equal(await head(fromBranch.path), first);

    const fromHead = await manager.create("from-head", repo);
    assert.equal(await Deno.readTextFile(join(fromHead.path, "README.md")), "hello again\n");
  });
});

Deno.test("create maps the cwd subdirectory into the worktree", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("sub", join(repo, "src", "nested"));
    assert.equal(info.cwd, join(info.path, "src", "nested"));
    assert.equal(await Deno.readTextFile(join(info.cwd, "keep.txt")), "keep\n");

    // A directory with no tracked files is created in the worktree so Codex can start there.
    await Deno.mkdir(join(repo, "scratch", "deep"), { recursive: true });
    const untracked = await manager.create("untracked", join(repo, "scratch", "deep"));
    assert.equal(untracked.cwd, join(untracked.path, "scratch", "deep"));
    assert.ok((await Deno.stat(untracked.cwd)).isDirectory);
  });
});

Deno.test("create rejects an unknown base, a taken branch, a taken path and a bad id", async () => {
  await withFixture(async ({ repo, manager }) => {
    await rejects(
      manager.create("t1", repo, "no-such-ref"),
      `Cannot create worktree for task "t1" as base "no-such-ref" is not a commit: repository is ${repo}`,
    );
    await rejects(manager.create("t1", repo, "--all"), /as base "--all" is not a commit/);

    await run(repo, "branch", "codex-swarm/taken");
    await rejects(
      manager.create("taken", repo),
      `Cannot create worktree for task "taken" as branch codex-swarm/taken exists: repository is ${repo}`,
    );

    const first = await manager.create("twice", repo);
    await rejects(manager.create("twice", repo), /as branch codex-swarm\/twice exists/);

    const path = manager.worktreePath(repo, "squatted");
    await Deno.mkdir(path, { recursive: true });
    await rejects(
      manager.create("squatted", repo),
      `Cannot create worktree for task "squatted" as path ${path} exists: repository is ${repo}`,
    );

    // The task-id rule of base/task_id.ts: no ".", at most 64 characters.
    for (const bad of ["a b", "../up", "x.lock", "-x", "", "a/b", "x..y", "a.b", "x".repeat(65)]) {
      await rejects(
        manager.create(bad, repo),
        new RegExp(
          `^Cannot create worktree for task ${
            JSON.stringify(bad).replace(/[.]/g, "\\.")
          } as the task id is not usable in a branch name`,
        ),
      );
    }
    // Failures leave no branches or worktrees behind.
    assert.equal(
      await run(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/codex-swarm/"),
      "codex-swarm/taken\ncodex-swarm/twice",
    );
    assert.deepEqual(await worktreeList(repo), [repo, first.path]);
  });
});

Deno.test("dropUncommitted puts the worktree back to its commit; ignored files stay", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("checked", repo);
    await commitIn(info.path, { "fix.ts": "fixed\n" }, "the task's work");
    const commit = await head(info.path);
    // What a check leaves: a changed tracked file, new files, ignored output.
    await write(join(info.path, "README.md"), "rewritten by the check\n");
    await write(join(info.path, "coverage", "lcov.info"), "x\n");
    await write(join(info.path, "test.log"), "ignored\n");
    const dropped = await manager.dropUncommitted(info);
    assert.deepEqual(dropped.sort(), ["README.md", "coverage/lcov.info"]);
    assert.equal(await porcelain(info.path), "");
    assert.equal(await head(info.path), commit);
    assert.equal(await Deno.readTextFile(join(info.path, "fix.ts")), "fixed\n");
    assert.ok(await exists(join(info.path, "test.log")), "an ignored file was removed");
    assert.deepEqual(await manager.dropUncommitted(info), []);
  });
});

Deno.test("discard removes the worktree and the branch, even with changes", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("bin", repo);
    await write(join(info.path, "uncommitted.txt"), "x\n");
    assert.deepEqual(await manager.exists(info), { worktree: true, branch: true });

    await manager.discard(info);
    assert.deepEqual(await manager.exists(info), { worktree: false, branch: false });
    assert.equal(await exists(info.path), false);
    assert.deepEqual(await worktreeList(repo), [repo]);
    await manager.discard(info); // again: nothing left, no error
  });
});

Deno.test("discard tolerates a worktree directory that is already gone", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("vanished", repo);
    await Deno.remove(info.path, { recursive: true });
    assert.deepEqual(await manager.exists(info), { worktree: false, branch: true });
    await manager.discard(info);
    assert.deepEqual(await worktreeList(repo), [repo]);
    assert.deepEqual(await manager.exists(info), { worktree: false, branch: false });
    // The id can be used again.
    const again = await manager.create("vanished", repo);
    assert.equal(again.path, info.path);
  });
});

Deno.test("clean-up removes a worktree only when everything in it is committed", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("keepme", repo);
    await write(join(info.path, "new.txt"), "uncommitted\n");
    await write(join(info.path, "debug.log"), "ignored\n");
    assert.deepEqual(await uncommittedFiles((cwd) => ({ cwd }), info), ["new.txt"]);
    assert.deepEqual(await manager.removeWorktreeIfCommitted(info), {
      removed: false,
      uncommitted: ["new.txt"],
    });
    assert.equal(await Deno.readTextFile(join(info.path, "new.txt")), "uncommitted\n");
    await manager.commitAll(info, "now committed");
    assert.deepEqual(await manager.removeWorktreeIfCommitted(info), {
      removed: true,
      uncommitted: [],
    });
    assert.deepEqual(await manager.exists(info), { worktree: false, branch: true });
  });
});
