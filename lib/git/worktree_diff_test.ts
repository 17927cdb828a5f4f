import assert from "node:assert/strict";
import { join } from "node:path";
import { rejects, run, withFixture, write } from "../../tests/support/worktree_fixture.ts";

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

    const cut = await manager.diff(info, 301);
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
