import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { git, runGit } from "./git.ts";
import { branchName, isWorktreeInfo, type WorktreeInfo, WorktreeManager } from "./worktree.ts";

interface Fixture {
  /** Real path of the main checkout. */
  repo: string;
  /** Real path of the worktree directory given to the manager. */
  worktreeDir: string;
  /** Temp directory holding everything. */
  tmp: string;
  manager: WorktreeManager;
}

const APP_TS = "export const a = 1;\nexport const b = 2;\nexport const c = 3;\n";

async function run(cwd: string, ...args: string[]): Promise<string> {
  return (await git(args, { cwd })).trim();
}

async function runGitQuiet(cwd: string, args: string[]): Promise<number> {
  return (await runGit(args, { cwd })).code;
}

async function write(path: string, text: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

async function initRepo(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await run(dir, "init", "--quiet", "--initial-branch=main");
  await run(dir, "config", "user.name", "Test");
  await run(dir, "config", "user.email", "test@example.com");
  await run(dir, "config", "commit.gpgsign", "false");
}

/** A repository with a few committed files, a worktree directory and a manager. */
async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "worktree_test_" }));
  try {
    const repo = join(tmp, "project");
    await initRepo(repo);
    await write(join(repo, "README.md"), "hello\n");
    await write(join(repo, "src", "app.ts"), APP_TS);
    await write(join(repo, "src", "nested", "keep.txt"), "keep\n");
    await write(join(repo, "docs", "guide.md"), "guide\n");
    await write(join(repo, ".gitignore"), "*.log\n");
    await run(repo, "add", "--all");
    await run(repo, "commit", "--quiet", "-m", "initial");
    const worktreeDir = join(tmp, "worktrees");
    await fn({ repo, worktreeDir, tmp, manager: new WorktreeManager({ worktreeDir }) });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function rejects(promise: Promise<unknown>, expected: RegExp | string): Promise<Error> {
  const error = await promise.then(
    () => assert.fail(`expected an error matching ${expected}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof Error, `not an Error: ${String(error)}`);
  if (typeof expected === "string") assert.equal(error.message, expected);
  else assert.match(error.message, expected);
  return error;
}

async function head(cwd: string, rev = "HEAD"): Promise<string> {
  return await run(cwd, "rev-parse", rev);
}

async function porcelain(cwd: string): Promise<string> {
  return await run(cwd, "status", "--porcelain");
}

async function worktreeList(repo: string): Promise<string[]> {
  const out = await run(repo, "worktree", "list", "--porcelain");
  return out.split("\n").filter((line) => line.startsWith("worktree ")).map((line) =>
    line.slice("worktree ".length)
  );
}

/** Commits `files` in the worktree with plain git, as Codex itself might. */
async function commitIn(cwd: string, files: Record<string, string>, message: string) {
  for (const [name, text] of Object.entries(files)) await write(join(cwd, name), text);
  await run(cwd, "add", "--all");
  await run(cwd, "commit", "--quiet", "-m", message);
}

// resolveRepo

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

// create

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

Deno.test("8 creates at once on one repository all succeed", async () => {
  await withFixture(async ({ repo, tmp, manager }) => {
    const other = join(tmp, "other");
    await initRepo(other);
    await commitIn(other, { "x.txt": "x\n" }, "x");
    const ids = Array.from({ length: 8 }, (_, i) => `par-${i}`);
    const settled = await Promise.allSettled([
      ...ids.map((id) => manager.create(id, repo)),
      ...ids.map((id) => manager.create(id, other)),
    ]);
    const infos: WorktreeInfo[] = [];
    for (const result of settled) {
      if (result.status === "rejected") assert.fail(String(result.reason));
      infos.push(result.value);
    }
    const otherInfos = infos.splice(8);
    assert.deepEqual(infos.map((info) => info.branch), ids.map(branchName));
    assert.equal(new Set(infos.map((info) => info.path)).size, 8);
    for (const info of [...infos, ...otherInfos]) {
      assert.ok(await exists(join(info.path, ".git")), info.path);
    }
    assert.equal((await worktreeList(repo)).length, 9);
    assert.equal((await worktreeList(other)).length, 9);
    assert.equal(
      await run(
        repo,
        "for-each-ref",
        "--count=100",
        "--format=%(refname:short)",
        "refs/heads/codex-swarm/",
      ),
      ids.map(branchName).sort().join("\n"),
    );
    // Same task ids, different repositories: different directories.
    assert.notEqual(infos[0]?.path, otherInfos[0]?.path);
  });
});

Deno.test("creates on one repository never overlap; different repositories overlap", async () => {
  await withFixture(async ({ repo, tmp }) => {
    const other = join(tmp, "other");
    await initRepo(other);
    await commitIn(other, { "x.txt": "x\n" }, "x");
    // A git in front of the real one (hooks do not run) notes when another `worktree add` of the
    // same repository, or of any, is in progress.
    const real = await new Deno.Command("sh", { args: ["-c", "command -v git"] }).output();
    const realGit = new TextDecoder().decode(real.stdout).trim();
    const bin = join(tmp, "bin");
    await write(
      join(bin, "git"),
      [
        "#!/bin/sh",
        'case " $* " in *" worktree add "*)',
        '  name=$(basename "$PWD")',
        `  if ! mkdir "${tmp}/busy-$name" 2>/dev/null; then echo "$name" >> "${tmp}/overlaps"; fi`,
        `  if ! mkdir "${tmp}/busy-any" 2>/dev/null; then echo any >> "${tmp}/overlaps"; fi`,
        "  sleep 0.2",
        `  rmdir "${tmp}/busy-$name" "${tmp}/busy-any" 2>/dev/null ;;`,
        "esac",
        `exec ${realGit} "$@"`,
        "",
      ].join("\n"),
    );
    await Deno.chmod(join(bin, "git"), 0o755);
    const manager = new WorktreeManager({
      worktreeDir: join(tmp, "worktrees"),
      env: { PATH: `${bin}:${Deno.env.get("PATH") ?? ""}` },
    });
    const ids = Array.from({ length: 6 }, (_, i) => `lock-${i}`);
    // allSettled: a failure must not let the fixture be deleted under running creates.
    const results = await Promise.allSettled([
      ...ids.map((id) => manager.create(id, repo)),
      ...ids.map((id) => manager.create(id, other)),
    ]);
    assert.deepEqual(results.filter((r) => r.status === "rejected"), []);
    const overlaps = (await Deno.readTextFile(join(tmp, "overlaps")).catch(() => "")).split("\n");
    assert.equal(overlaps.filter((line) => line === "project" || line === "other").length, 0);
    assert.ok(overlaps.includes("any"), "the two repositories were worked on in parallel");
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

    for (const bad of ["a b", "../up", "x.lock", "-x", "", "a/b", "x..y"]) {
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

// commitAll

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

// diffSummary and diff

Deno.test("diffSummary counts lines per file; binary files count 0/0", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("diff", repo);
    await write(join(info.path, "README.md"), "hello\nworld\n");
    await write(join(info.path, "new.txt"), "1\n2\n3\n");
    await Deno.remove(join(info.path, "src", "app.ts"));
    await Deno.writeFile(join(info.path, "image.bin"), new Uint8Array([0, 1, 2, 0, 255]));
    await run(info.path, "mv", "docs/guide.md", "docs/manual.md");
    await manager.commitAll(info, "diff");

    const summary = await manager.diffSummary(info);
    const byPath = new Map(summary.files.map((file) => [file.path, file]));
    assert.equal(summary.files.length, 5);
    assert.deepEqual(byPath.get("README.md"), {
      path: "README.md",
      insertions: 1,
      deletions: 0,
      binary: false,
    });
    assert.deepEqual(byPath.get("new.txt"), {
      path: "new.txt",
      insertions: 3,
      deletions: 0,
      binary: false,
    });
    assert.deepEqual(byPath.get("src/app.ts"), {
      path: "src/app.ts",
      insertions: 0,
      deletions: 3,
      binary: false,
    });
    assert.deepEqual(byPath.get("image.bin"), {
      path: "image.bin",
      insertions: 0,
      deletions: 0,
      binary: true,
    });
    assert.deepEqual(byPath.get("docs/manual.md"), {
      path: "docs/manual.md",
      oldPath: "docs/guide.md",
      insertions: 0,
      deletions: 0,
      binary: false,
    });
    assert.equal(summary.insertions, 4);
    assert.equal(summary.deletions, 3);

    const idle = await manager.create("idle", repo);
    assert.deepEqual(await manager.diffSummary(idle), { files: [], insertions: 0, deletions: 0 });
  });
});

Deno.test("diff returns the patch and truncates at a line end", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("patch", repo);
    await write(join(info.path, "README.md"), "hello\nworld\n");
    await write(join(info.path, "big.txt"), "ünïcödé line\n".repeat(500));
    await manager.commitAll(info, "patch");

    const full = await manager.diff(info);
    assert.equal(full.truncated, false);
    assert.match(full.patch, /^diff --git a\/README\.md b\/README\.md\n/);
    assert.match(full.patch, /\n\+world\n/);
    assert.match(full.patch, /\+\+\+ b\/big\.txt\n/);

    const cut = await manager.diff(info, { maxBytes: 301 });
    assert.equal(cut.truncated, true);
    assert.ok(new TextEncoder().encode(cut.patch).byteLength <= 301);
    assert.ok(cut.patch.endsWith("\n"));
    assert.ok(full.patch.startsWith(cut.patch));
    assert.ok(!cut.patch.includes("\uFFFD"));

    const idle = await manager.create("idle", repo);
    assert.deepEqual(await manager.diff(idle), { patch: "", truncated: false });
  });
});

Deno.test("diffSummary and diff name a missing branch", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("lost", repo);
    await manager.discard(info);
    await rejects(
      manager.diffSummary(info),
      `Cannot summarise the changes of task "lost" as branch codex-swarm/lost does not exist: repository is ${repo}`,
    );
    await rejects(manager.diff(info), /^Cannot show the diff of task "lost" as branch/);
  });
});

// merge

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

Deno.test("a branch's commits on another task's branch are unmerged; on the user's, merged", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("parent", repo);
    await write(join(info.path, "feature.txt"), "feature\n");
    await manager.commitAll(info, "feature");
    // A fork's branch (and any other codex-swarm/* branch) holds the commit: not merged.
    await run(repo, "branch", "codex-swarm/fork", info.branch);
    await run(repo, "branch", "codex-swarm/nested/deep", info.branch);
    assert.equal(await manager.branchHasUnmergedCommits(info), true);
    // A branch of the user's (merged by hand, or through a pull request): merged.
    await run(repo, "branch", "feature", info.branch);
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

// discard, removeWorktreeKeepBranch, branchHasUnmergedCommits, exists

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

Deno.test("removeWorktreeKeepBranch keeps the branch; branchHasUnmergedCommits sees the work", async () => {
  await withFixture(async ({ repo, manager }) => {
    const idle = await manager.create("idle", repo);
    assert.equal(await manager.branchHasUnmergedCommits(idle), false);

    const info = await manager.create("old", repo);
    await write(join(info.path, "work.txt"), "work\n");
    await manager.commitAll(info, "work");
    assert.equal(await manager.branchHasUnmergedCommits(info), true);

    await manager.removeWorktreeKeepBranch(info);
    assert.deepEqual(await manager.exists(info), { worktree: false, branch: true });
    assert.deepEqual(await worktreeList(repo), [repo, idle.path]);
    assert.equal(await manager.branchHasUnmergedCommits(info), true);
    await manager.removeWorktreeKeepBranch(info); // again: fine

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

Deno.test("operations reject malformed worktree info", async () => {
  await withFixture(async ({ manager }) => {
    const bogus = { repoRoot: "/r", path: "/p", branch: "main" } as unknown as WorktreeInfo;
    const error = await rejects(manager.discard(bogus), /^Cannot use worktree info /);
    assert.ok(error instanceof TypeError);
    assert.equal(isWorktreeInfo(null), false);
    assert.equal(isWorktreeInfo({ ...bogus, baseRef: "", baseCommit: "", cwd: "/p" }), false);
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

Deno.test("clean-up removes a worktree only when everything in it is committed", async () => {
  await withFixture(async ({ repo, manager }) => {
    const info = await manager.create("keepme", repo);
    await write(join(info.path, "new.txt"), "uncommitted\n");
    await write(join(info.path, "debug.log"), "ignored\n");
    assert.deepEqual(await manager.uncommittedFiles(info), ["new.txt"]);
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
