/**
 * The sweep keeps a finished task's branch while only a fork's branch holds its commits (issue 19,
 * item 3): "on another local branch" counted as merged, so the sweep deleted it, and discarding
 * the fork then left the task's commit on no ref.
 */

import assert from "node:assert/strict";
import { eventually, makeWorld, startServer, textOf } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test("the sweep keeps a task's branch that only a fork's branch holds", e2e, async () => {
  await using world = await makeWorld();
  const repo = await makeRepo();
  try {
    // Finished tasks are swept a second after they end, the sweep running every second.
    await using h = await startServer(world, { args: ["--task-max-age", "1"] });
    const parent = await startTask(h.client, {
      prompt: "PATCH=parent.txt",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    });
    const [done] = await waitAll<{ phase: string; thread_id: string }>(h.client, [parent]);
    assert.equal(done!.phase, "completed");
    const commit = await git(repo, "rev-parse", `codex-swarm/${parent}`);
    const forked = await call(h.client, "codex_fork", {
      thread_id: done!.thread_id,
      prompts: ["PATCH=fork.txt HOLD=4000"],
      worktree: true,
      sandbox: "workspace-write",
    });
    assert.equal(forked.isError, undefined, textOf(forked));
    const forkId = (forked.structuredContent as { tasks: Array<{ task_id: string }> }).tasks[0]!
      .task_id;
    // The sweep takes the parent's worktree (its work is committed) while the fork runs...
    assert.ok(
      await eventually(
        async () => !(await git(repo, "worktree", "list", "--porcelain")).includes(`/${parent}\n`),
        30_000,
      ),
      "the sweep never took the parent's worktree",
    );
    // ...and keeps its branch: only the fork's codex-swarm/* branch holds the commit.
    assert.equal(await git(repo, "rev-parse", `codex-swarm/${parent}`), commit);
    await waitAll(h.client, [forkId]);
    const discard = await call(h.client, "codex_worktree", { task_id: forkId, action: "discard" });
    assert.equal(discard.isError, undefined, textOf(discard));
    assert.equal(await git(repo, "rev-parse", `codex-swarm/${parent}`), commit);
    await git(repo, "cat-file", "-e", `${commit}:parent.txt`);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});
