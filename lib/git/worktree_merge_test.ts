import assert from "node:assert/strict";
import { join } from "node:path";
import {
  commitIn,
  exists,
  head,
  porcelain,
  rejects,
  run,
  runGitQuiet,
  withFixture,
  write,
} from "../../tests/support/worktree_fixture.ts";

Deno.test("merge brings the task branch into the main checkout with a merge commit", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("feat", repo);
    await write(join(info.path, "feature.txt"), "feature\n");
    await manager.commitAll(info, "feature");
    await commitIn(repo, { "main.txt": "main\n" }, "main moved on");
    const before = await head(repo);

    const result = await manager.merge(info);
    assert.deepEqual(result, { merged: true, commit: await head(repo), target: "main" });
    assert.equal(
      await run(repo, "log", "-1", "--format=%s %p", "--abbrev=40"),
      [
        "Merge branch 'codex-swarm/feat'",
        before,
        await head(repo, info.branch),
      ].join(" "),
    );
    assert.equal(await Deno.readTextFile(join(repo, "feature.txt")), "feature\n");
    assert.equal(await porcelain(repo), "");
    assert.equal(await manager.branchHasUnmergedCommits(info), false);
  });
});

Deno.test("merge checks out the target branch first; untracked files do not block", async () => {
  await withFixture(async ({ repo, manager }) => {
    await run(repo, "branch", "release");
    const info = await manager.create("rel", repo);
    await write(join(info.path, "fix.txt"), "fix\n");
    await manager.commitAll(info, "fix");
    await write(join(repo, "notes.untracked"), "mine\n");

    const result = await manager.merge(info, "release");
    assert.equal(result.merged, true);
    assert.equal(result.target, "release");
    assert.equal(await run(repo, "branch", "--show-current"), "release");
    assert.equal(await Deno.readTextFile(join(repo, "fix.txt")), "fix\n");
    assert.equal(await run(repo, "ls-tree", "--name-only", "main", "fix.txt"), "");
    assert.equal(await Deno.readTextFile(join(repo, "notes.untracked")), "mine\n");

    await rejects(
      manager.merge(info, "no-such-branch"),
      `Cannot merge task "rel" into branch "no-such-branch" as it does not exist: repository is ${repo}`,
    );
  });
});

Deno.test("merge refuses a main checkout with uncommitted changes", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("dirty", repo);
    await write(join(info.path, "feature.txt"), "feature\n");
    await manager.commitAll(info, "feature");
    const before = await head(repo);
    await write(join(repo, "README.md"), "edited by the user\n");
    await write(join(repo, "src", "app.ts"), "staged\n");
    await run(repo, "add", "src/app.ts");

    await rejects(
      manager.merge(info),
      `Cannot merge task "dirty" into ${repo} as its checkout has uncommitted changes: README.md, src/app.ts`,
    );
    assert.equal(await head(repo), before);
    assert.equal(await Deno.readTextFile(join(repo, "README.md")), "edited by the user\n");
    assert.equal(await exists(join(repo, "feature.txt")), false);
  });
});

Deno.test("merge conflict is aborted and the conflicting files listed", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("clash", repo);
    await write(join(info.path, "README.md"), "theirs\n");
    await write(join(info.path, "src", "app.ts"), "theirs\n");
    await write(join(info.path, "clean.txt"), "clean\n");
    await manager.commitAll(info, "theirs");
    await commitIn(repo, { "README.md": "ours\n", "src/app.ts": "ours\n" }, "ours");
    const before = await head(repo);

    assert.deepEqual(await manager.merge(info), {
      merged: false,
      conflicts: ["README.md", "src/app.ts"],
      target: "main",
    });
    assert.equal(await head(repo), before);
    assert.equal(await porcelain(repo), "");
    assert.equal(await Deno.readTextFile(join(repo, "README.md")), "ours\n");
    assert.equal(await exists(join(repo, "clean.txt")), false);
    assert.equal(await exists(join(repo, ".git", "MERGE_HEAD")), false);
    assert.equal(await manager.branchHasUnmergedCommits(info), true);
  });
});

Deno.test("merge conflict into another target checks the previous branch out again", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("clash2", repo);
    await write(join(info.path, "README.md"), "theirs\n");
    await manager.commitAll(info, "theirs");
    await commitIn(repo, { "README.md": "ours\n" }, "ours");
    await run(repo, "checkout", "--quiet", "-b", "feature");
    await commitIn(repo, { "feature.txt": "f\n" }, "feature work");
    const before = await head(repo);

    const result = await manager.merge(info, "main");
    assert.deepEqual(result, { merged: false, conflicts: ["README.md"], target: "main" });
    assert.equal(await run(repo, "branch", "--show-current"), "feature");
    assert.equal(await head(repo), before);
    assert.equal(await porcelain(repo), "");
  });
});

Deno.test("merge takes the branch even when a tag has the same name", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("tagged", repo);
    await write(join(info.path, "feature.txt"), "feature\n");
    await manager.commitAll(info, "feature");
    await run(repo, "tag", "codex-swarm/tagged", "main");
    const result = await manager.merge(info);
    assert.equal(result.merged, true);
    assert.equal(await Deno.readTextFile(join(repo, "feature.txt")), "feature\n");
  });
});

Deno.test("merge refuses while a merge is in progress in the main checkout", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("busy", repo);
    await run(repo, "checkout", "--quiet", "-b", "side");
    await commitIn(repo, { "README.md": "side\n" }, "side");
    await run(repo, "checkout", "--quiet", "main");
    await commitIn(repo, { "README.md": "main\n" }, "main");
    const conflicted = await runGitQuiet(repo, ["merge", "side"]);
    assert.notEqual(conflicted, 0);
    await rejects(
      manager.merge(info),
      `Cannot merge task "busy" into ${repo} as a merge is in progress there`,
    );
  });
});

Deno.test("merge refuses a detached main checkout without a target and the task branch as target", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("det", repo);
    await run(repo, "checkout", "--quiet", "--detach");
    await rejects(
      manager.merge(info),
      `Cannot merge task "det" into ${repo} as its HEAD is detached: name a target branch`,
    );
    await rejects(manager.merge(info, "codex-swarm/det"), /is the task branch codex-swarm\/det/);
  });
});

Deno.test("merge target must be a local branch: revisions and commits are refused", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("tgt", repo);
    await write(join(info.path, "t.txt"), "t\n");
    await manager.commitAll(info, "t");
    const before = await head(repo);
    await rejects(manager.merge(info, "nope"), /into branch "nope" as it does not exist/);
    for (const target of ["main~0", "main@{0}", "main^0", "^0", before, "HEAD", "-main"]) {
      await rejects(
        manager.merge(info, target),
        new RegExp(
          `into "${target.replace(/[\^$.*+?()[\]{}|\\]/g, "\\$&")}" as it is not a local branch`,
        ),
      );
    }
    assert.equal(await head(repo), before);
    assert.equal(await run(repo, "symbolic-ref", "--short", "HEAD"), "main");
    const merged = await manager.merge(info, "main");
    assert.equal(merged.merged, true);
  });
});
