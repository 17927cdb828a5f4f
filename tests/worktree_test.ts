/**
 * End-to-end: tasks in git worktrees, with real Codex editing files through shell commands (the
 * fake Responses API scripts them), driven through the MCP client.
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import { makeWorld, startServer, textOf } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type View = {
  task_id: string;
  phase: string;
  failure: string | null;
  final_message: string | null;
  thread_id: string | null;
  worktree: {
    path: string;
    branch: string;
    commit: string | null;
    files: Array<{ path: string; insertions: number; deletions: number }>;
    insertions: number;
    deletions: number;
  } | null;
};

/** A task that may write its worktree. */
function startWriter(client: Client, args: Record<string, unknown>): Promise<string> {
  return startTask(client, { sandbox: "workspace-write", ...args });
}

Deno.test(
  "three tasks in parallel on one repository: branches, diffs, merge, conflict, discard",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    await using server = await startServer(world);
    const { client } = server;

    const ids = [
      await startWriter(client, {
        prompt: "task a RUN=echo alpha > a.txt && echo 'from a' >> shared.txt",
        cwd: repo,
        worktree: true,
      }),
      await startWriter(client, {
        prompt: "task b RUN=echo beta > b.txt && echo 'from b' >> shared.txt",
        cwd: repo,
        worktree: true,
      }),
      await startWriter(client, {
        prompt: "task c RUN=pwd && echo gamma > c.txt && rm keep.txt",
        cwd: `${repo}/sub`,
        worktree: true,
      }),
    ];
    const tasks = await waitAll<View>(client, ids);

    await t.step(
      "each branch holds exactly its task's changes; the main checkout is untouched",
      async () => {
        for (const task of tasks) assert.equal(task.phase, "completed", task.failure ?? "");
        const [a, b, c] = tasks as [View, View, View];
        assert.equal(a.worktree!.branch, `codex-swarm/${a.task_id}`);
        assert.match(a.worktree!.commit ?? "", /^[0-9a-f]{40}$/);
        assert.deepEqual(a.worktree!.files.map((f) => f.path).sort(), ["a.txt", "shared.txt"]);
        assert.deepEqual(b.worktree!.files.map((f) => f.path).sort(), ["b.txt", "shared.txt"]);
        assert.deepEqual(c.worktree!.files.map((f) => f.path).sort(), [
          "sub/c.txt",
          "sub/keep.txt",
        ]);
        assert.equal(a.worktree!.insertions, 2);
        // The cwd inside the repository maps to the same subdirectory of the worktree.
        assert.ok(c.final_message!.includes(`${c.worktree!.path}/sub`), c.final_message ?? "");
        const names = await git(repo, "diff", "--name-only", "main", a.worktree!.branch);
        assert.deepEqual(names.split("\n").sort(), ["a.txt", "shared.txt"]);
        assert.equal(await git(repo, "status", "--porcelain"), "");
        assert.equal(await Deno.readTextFile(`${repo}/shared.txt`), "line one\n");
        const message = await git(repo, "log", "-1", "--format=%s", a.worktree!.branch);
        assert.match(message, new RegExp(`task ${a.task_id}: task a`));
      },
    );

    await t.step("codex_status reports branch, commit and diff summary", async () => {
      const result = await call(client, "codex_status", { task_ids: [ids[0]], detail: "full" });
      assert.match(
        textOf(result),
        /codex-swarm\/[0-9a-f]{12}, commit [0-9a-f]{12} \(2 files, \+2 -0\)/,
      );
    });

    await t.step("diff shows the patch", async () => {
      const result = await call(client, "codex_worktree", { task_id: ids[0], action: "diff" });
      assert.equal(result.isError, undefined, textOf(result));
      assert.match(textOf(result), /\+alpha/);
      assert.match(textOf(result), /\+from a/);
    });

    await t.step(
      "merge two, a conflicting merge is aborted cleanly, then drop it",
      async (st) => {
        const merged = await call(client, "codex_worktree", { task_id: ids[0], action: "merge" });
        assert.equal(merged.isError, undefined, textOf(merged));
        assert.equal(await Deno.readTextFile(`${repo}/a.txt`), "alpha\n");
        const second = await call(client, "codex_worktree", { task_id: ids[2], action: "merge" });
        assert.equal(second.isError, undefined, textOf(second));
        assert.equal(await Deno.readTextFile(`${repo}/sub/c.txt`), "gamma\n");
        await assert.rejects(Deno.stat(`${repo}/sub/keep.txt`));
        const conflict = await call(client, "codex_worktree", { task_id: ids[1], action: "merge" });
        assert.equal(conflict.isError, true);
        assert.match(textOf(conflict), /conflicts in: shared\.txt/);
        assert.equal(await git(repo, "status", "--porcelain"), "");
        assert.equal(await Deno.readTextFile(`${repo}/shared.txt`), "line one\nfrom a\n");
        const log = await git(repo, "log", "--format=%s", "-2");
        assert.match(log, /Merge branch 'codex-swarm\//);

        await st.step("merge refuses a main checkout with uncommitted changes", async () => {
          await Deno.writeTextFile(`${repo}/shared.txt`, "dirty\n");
          const result = await call(client, "codex_worktree", { task_id: ids[1], action: "merge" });
          assert.equal(result.isError, true);
          assert.match(textOf(result), /shared\.txt/);
          await git(repo, "checkout", "--", "shared.txt");
        });

        const discarded = await call(client, "codex_worktree", {
          task_id: ids[1],
          action: "discard",
        });
        assert.equal(discarded.isError, undefined, textOf(discarded));
        assert.equal(await git(repo, "branch", "--list", `codex-swarm/${ids[1]}`), "");
        await assert.rejects(Deno.stat(tasks[1]!.worktree!.path));
      },
    );
  },
);

Deno.test(
  "cancel keeps the worktree and commits the partial work; replies and restarts keep the link",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    const first = await startServer(world);

    const id = await startWriter(first.client, {
      prompt: "partial RUN=echo partial > p.txt && sleep 45.5",
      cwd: repo,
      worktree: true,
    });
    const done = await startWriter(first.client, {
      prompt: "quick RUN=echo quick > q.txt",
      cwd: repo,
      worktree: true,
    });
    const [quick] = await waitAll<View>(first.client, [done]);

    await t.step(
      "a cancelled task keeps its worktree and branch, with its edit committed",
      async () => {
        const path = `${world.worktreeDir}`;
        let view: View | undefined;
        for (let i = 0; i < 200; i++) {
          const status = await call(first.client, "codex_status", {
            task_ids: [id],
            detail: "full",
          });
          view = (status.structuredContent as { tasks: View[] }).tasks[0];
          const exists = await Deno.stat(`${view!.worktree!.path}/p.txt`).then(
            () => true,
            () => false,
          );
          if (exists) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await call(first.client, "codex_cancel", { task_id: id });
        const [after] = await waitAll<View>(first.client, [id]);
        assert.equal(after!.phase, "cancelled");
        assert.ok(after!.worktree!.path.startsWith(path));
        assert.ok((await Deno.stat(after!.worktree!.path)).isDirectory);
        assert.deepEqual(after!.worktree!.files.map((f) => f.path), ["p.txt"]);
        assert.equal(await git(repo, "show", `codex-swarm/${id}:p.txt`), "partial");
      },
    );

    await t.step("with commit: false the edit stays uncommitted in the worktree", async () => {
      const id = await startWriter(first.client, {
        prompt: "no commit RUN=echo loose > loose.txt",
        cwd: repo,
        worktree: true,
        commit: false,
      });
      const [view] = await waitAll<View>(first.client, [id]);
      assert.equal(view!.phase, "completed", view!.failure ?? "");
      assert.equal(view!.worktree!.commit, null);
      assert.equal(await Deno.readTextFile(`${view!.worktree!.path}/loose.txt`), "loose\n");
      assert.equal(
        await git(repo, "rev-parse", `codex-swarm/${id}`),
        await git(repo, "rev-parse", "main"),
      );
    });

    await t.step("a reply to a worktree thread runs in the same worktree", async () => {
      const result = await call(first.client, "codex-reply", {
        threadId: quick!.thread_id,
        prompt: "again RUN=pwd && echo more >> q.txt",
        sandbox: "workspace-write",
      });
      assert.equal(result.isError, undefined, textOf(result));
      assert.ok(textOf(result).includes(quick!.worktree!.path), textOf(result));
      assert.equal(
        await git(repo, "show", `codex-swarm/${done}:q.txt`),
        "quick\nmore",
      );
    });

    await first.stop();
    await world.stopSupervisor();
    await using second = await startServer(world);

    await t.step("after a restart the task still knows its worktree and branch", async () => {
      const diff = await call(second.client, "codex_worktree", { task_id: done, action: "diff" });
      assert.equal(diff.isError, undefined, textOf(diff));
      assert.match(textOf(diff), /\+quick/);
      const status = await call(second.client, "codex_status", { task_ids: [done] });
      const view = (status.structuredContent as { tasks: Array<{ branch: string }> }).tasks[0]!;
      assert.equal(view.branch, `codex-swarm/${done}`);
    });
  },
);

Deno.test("worktree errors are clear and the server keeps serving", e2e, async () => {
  await using world = await makeWorld();
  await using server = await startServer(world);
  const plain = await Deno.makeTempDir({ prefix: "not-a-repo-" });
  const outside = await call(server.client, "codex_async", {
    prompt: "x",
    cwd: plain,
    worktree: true,
  });
  assert.equal(outside.isError, true);
  assert.match(textOf(outside), /not inside a git repository/);

  const empty = await Deno.makeTempDir({ prefix: "empty-repo-" });
  await git(empty, "init", "-q");
  const noCommits = await call(server.client, "codex_async", {
    prompt: "x",
    cwd: empty,
    worktree: true,
  });
  assert.equal(noCommits.isError, true);
  assert.match(textOf(noCommits), /no commits/);

  const repo = await makeRepo();
  const badBase = await call(server.client, "codex_async", {
    prompt: "x",
    cwd: repo,
    worktree: true,
    base: "no-such-ref",
  });
  assert.equal(badBase.isError, true);
  assert.match(textOf(badBase), /no-such-ref/);

  const notWorktree = await call(server.client, "codex_worktree", {
    task_id: "nope",
    action: "diff",
  });
  assert.equal(notWorktree.isError, true);
  const { tools } = await server.client.listTools();
  assert.ok(tools.length > 0);
});
