import assert from "node:assert/strict";
import { ThreadLinks } from "./thread_links.ts";

Deno.test("a thread's worktree link survives on disk, in 0600 files in a 0700 directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const links = new ThreadLinks(`${dir}/.threads`);
    const id = "01a23379-8b64-73e0-b586-c4440ada693c";
    const info = {
      repoRoot: "/r",
      path: "/w/r-1/abc",
      branch: "codex-swarm/abc",
      baseRef: "main",
      baseCommit: "0".repeat(40),
      cwd: "/w/r-1/abc",
    };
    assert.equal(links.load(id), null);
    await links.save(id, info);
    assert.deepEqual(new ThreadLinks(`${dir}/.threads`).load(id), info);
    assert.equal(links.load("../x"), null);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(`${dir}/.threads`)).mode! & 0o777, 0o700);
      assert.equal((await Deno.stat(`${dir}/.threads/${id}.json`)).mode! & 0o777, 0o600);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
