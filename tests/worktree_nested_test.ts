/**
 * A worktree task started in a directory inside another task's worktree (issue 19, item 10): it
 * belongs to the main repository, based at that task's branch head, so it can be diffed, merged
 * and discarded after the other task is gone.
 */

import assert from "node:assert/strict";
import { makeWorld, startServer, textOf } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type View = {
  phase: string;
  final_message: string | null;
  worktree: { path: string; branch: string; commit: string | null } | null;
};

Deno.test(
  "a worktree task started inside another's worktree is the repository's",
  e2e,
  async () => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    try {
      await using h = await startServer(world);
      const first = await startTask(h.client, {
        prompt: "PATCH=first.txt",
        cwd: repo,
        worktree: true,
        sandbox: "workspace-write",
      });
      const [a] = await waitAll<View>(h.client, [first]);
      assert.equal(a!.phase, "completed", a!.final_message ?? "");
      const second = await startTask(h.client, {
        prompt: "PATCH=second.txt",
        cwd: `${a!.worktree!.path}/sub`,
        worktree: true,
        sandbox: "workspace-write",
      });
      const [b] = await waitAll<View>(h.client, [second]);
      assert.equal(b!.phase, "completed", b!.final_message ?? "");
      // Its worktree is the main repository's, based at the first task's branch head.
      assert.equal(await git(b!.worktree!.path, "rev-parse", "--git-common-dir"), `${repo}/.git`);
      assert.equal(
        await git(repo, "merge-base", b!.worktree!.branch, a!.worktree!.branch),
        await git(repo, "rev-parse", a!.worktree!.branch),
      );
      // The first task goes; the second still diffs and merges into the main checkout.
      const discard = await call(h.client, "codex_worktree", { task_id: first, action: "discard" });
      assert.equal(discard.isError, undefined, textOf(discard));
      const diff = await call(h.client, "codex_diff", { task_id: second });
      assert.equal(diff.isError, undefined, textOf(diff));
      assert.match(textOf(diff), /second\.txt/);
      const merge = await call(h.client, "codex_worktree", { task_id: second, action: "merge" });
      assert.equal(merge.isError, undefined, textOf(merge));
      assert.equal(await Deno.readTextFile(`${repo}/sub/second.txt`), "MOCK-PATCH second.txt\n");
      assert.equal(await Deno.readTextFile(`${repo}/first.txt`), "MOCK-PATCH first.txt\n");
    } finally {
      await Deno.remove(repo, { recursive: true });
    }
  },
);
