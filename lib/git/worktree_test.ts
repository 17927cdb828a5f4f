import assert from "node:assert/strict";
import { join } from "node:path";
import { branchName, isWorktreeInfo, type WorktreeInfo, WorktreeManager } from "./worktree.ts";
import {
  commitIn,
  exists,
  initRepo,
  rejects,
  run,
  withFixture,
  worktreeList,
  write,
} from "../../tests/support/worktree_fixture.ts";

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

Deno.test("operations reject malformed worktree info", async () => {
  await withFixture(async ({ manager }) => {
    const bogus = { repoRoot: "/r", path: "/p", branch: "main" } as unknown as WorktreeInfo;
    const error = await rejects(manager.discard(bogus), /^Cannot use worktree info /);
    assert.ok(error instanceof TypeError);
    assert.equal(isWorktreeInfo(null), false);
    assert.equal(isWorktreeInfo({ ...bogus, baseRef: "", baseCommit: "", cwd: "/p" }), false);
  });
});
