/**
 * End-to-end: `codex_fork` with the real Codex app-server against the fake Responses API. A
 * finished task's thread is forked into several prompts at once; each fork's first model request
 * carries the parent's conversation and then its own prompt (as the fake received it), forks
 * differ only in their prompts, each completes, and a reply to a fork continues the fork's own
 * thread. With `worktree: true` each fork gets its own branch from the parent's worktree commit:
 * the parent's committed file is in every fork, one fork's edits are in no other.
 */

import assert from "node:assert/strict";
import type { ConversationMessage, SeenRequest } from "./support/fake_responses.ts";
import type { Client } from "./support/sdk_client.ts";
import { makeWorld, startServer, textOf } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type View = {
  task_id: string;
  phase: string;
  failure: string | null;
  cwd: string | null;
  final_message: string | null;
  thread_id: string | null;
  forked_from: string | null;
  forked_from_task: string | null;
  worktree: {
    path: string;
    branch: string;
    base_commit: string;
    commit: string | null;
    files: Array<{ path: string }>;
  } | null;
};

type Forked = {
  thread_id: string;
  tasks: Array<{ task_id: string; phase: string; prompt: string; branch?: string }>;
  next: string;
};

async function runTask(client: Client, args: Record<string, unknown>): Promise<View> {
  const started = await call(client, "codex_async", { sandbox: "workspace-write", ...args });
  assert.equal(started.isError, undefined, textOf(started));
  const [view] = await waitAll<View>(client, [
    (started.structuredContent as { task_id: string }).task_id,
  ]);
  assert.equal(view!.phase, "completed", view!.failure ?? "");
  return view!;
}

async function fork(client: Client, args: Record<string, unknown>): Promise<Forked> {
  const result = await call(client, "codex_fork", { sandbox: "workspace-write", ...args });
  assert.equal(result.isError, undefined, textOf(result));
  return result.structuredContent as Forked;
}

/** The first request the fake got whose newest prompt is `prompt`. */
function firstRequest(requests: SeenRequest[], prompt: string): SeenRequest {
  const found = requests.find((r) => r.prompt === prompt);
  assert.ok(found, `the model never got ${JSON.stringify(prompt)}`);
  return found;
}

function user(text: string): ConversationMessage {
  return { role: "user", text };
}

function assistant(text: string): ConversationMessage {
  return { role: "assistant", text };
}

Deno.test(
  "codex_fork: three forks of a finished thread see its history and run",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "fork-cwd-" }));
    await using server = await startServer(world);
    const { client } = server;
    try {
      const parent = await runTask(client, { prompt: "parent prompt alpha", cwd: dir });
      const prompts = ["fork one", "fork two", "fork three"];
      const forked = await fork(client, { thread_id: parent.thread_id, prompts });

      await t.step("the three task ids come back at once, in the order of the prompts", () => {
        assert.equal(forked.thread_id, parent.thread_id);
        assert.deepEqual(forked.tasks.map((f) => f.prompt), prompts);
        assert.equal(new Set(forked.tasks.map((f) => f.task_id)).size, 3);
        for (const task of forked.tasks) assert.match(task.phase, /^(queued|starting)$/);
        assert.match(forked.next, /codex_wait/);
      });

      const ids = forked.tasks.map((f) => f.task_id);
      const views = await waitAll<View>(client, ids);

      await t.step("each fork completes on a thread of its own, forked from the parent", () => {
        for (const view of views) {
          assert.equal(view.phase, "completed", view.failure ?? "");
          assert.equal(view.forked_from, parent.thread_id);
          assert.equal(view.forked_from_task, parent.task_id);
          assert.equal(view.cwd, dir);
          assert.equal(view.worktree, null);
        }
        const threads = views.map((v) => v.thread_id);
        assert.equal(new Set([parent.thread_id, ...threads]).size, 4, JSON.stringify(threads));
        assert.deepEqual(views.map((v) => v.final_message), prompts.map((p) => `MOCK-DONE ${p}`));
      });

      await t.step(
        "each fork's first model request holds the parent's history, then its prompt",
        () => {
          const history = [user("parent prompt alpha"), assistant("MOCK-DONE parent prompt alpha")];
          for (const prompt of prompts) {
            assert.deepEqual(firstRequest(world.fake.requests, prompt).conversation, [
              ...history,
              user(prompt),
            ]);
          }
        },
      );

      await t.step("two forks' requests differ only in their prompts", () => {
        // Items get ids of their own in each thread; all else must be the same.
        const inputOf = (prompt: string) =>
          JSON.stringify(
            (firstRequest(world.fake.requests, prompt).body.input as Array<{ id?: string }>)
              .map(({ id: _, ...item }) => item),
          ).replaceAll(prompt, "<PROMPT>");
        assert.equal(inputOf("fork one"), inputOf("fork two"));
        assert.equal(inputOf("fork two"), inputOf("fork three"));
      });

      await t.step("a reply to a fork continues the fork's own thread", async () => {
        const fork2 = views[1]!;
        const reply = await call(client, "codex-reply", {
          threadId: fork2.thread_id,
          prompt: "reply to fork two",
        });
        assert.equal(reply.isError, undefined, textOf(reply));
        assert.equal((reply.structuredContent as { threadId: string }).threadId, fork2.thread_id);
        assert.deepEqual(firstRequest(world.fake.requests, "reply to fork two").conversation, [
          user("parent prompt alpha"),
          assistant("MOCK-DONE parent prompt alpha"),
          user("fork two"),
          assistant("MOCK-DONE fork two"),
          user("reply to fork two"),
        ]);
      });

      await t.step("the parent thread is untouched by its forks", async () => {
        const reply = await call(client, "codex-reply", {
          threadId: parent.thread_id,
          prompt: "back to the parent",
        });
        assert.equal(reply.isError, undefined, textOf(reply));
        assert.deepEqual(firstRequest(world.fake.requests, "back to the parent").conversation, [
          user("parent prompt alpha"),
          assistant("MOCK-DONE parent prompt alpha"),
          user("back to the parent"),
        ]);
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "codex_fork with worktree: each fork branches from the parent's worktree commit",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    await using server = await startServer(world);
    const { client } = server;
    try {
      const parent = await runTask(client, {
        prompt: "parent PATCH=parent.txt",
        cwd: repo,
        worktree: true,
      });
      const parentCommit = parent.worktree!.commit!;
      assert.match(parentCommit, /^[0-9a-f]{40}$/);
      const forked = await fork(client, {
        thread_id: parent.thread_id,
        prompts: ["fork a PATCH=a.txt", "fork b PATCH=b.txt"],
        worktree: true,
      });
      const ids = forked.tasks.map((f) => f.task_id);
      const [a, b] = await waitAll<View>(client, ids) as [View, View];

      await t.step("each fork has its own branch, starting at the parent's commit", async () => {
        for (const [i, view] of [a, b].entries()) {
          assert.equal(view.phase, "completed", view.failure ?? "");
          assert.equal(view.worktree!.branch, `codex-swarm/${view.task_id}`);
          assert.equal(forked.tasks[i]!.branch, view.worktree!.branch);
          assert.equal(view.worktree!.base_commit, parentCommit);
          assert.notEqual(view.worktree!.path, parent.worktree!.path);
          assert.equal(view.cwd, view.worktree!.path);
          const parentOfFork = await git(repo, "rev-parse", `${view.worktree!.commit}^`);
          assert.equal(parentOfFork, parentCommit);
        }
        assert.deepEqual(a.worktree!.files.map((f) => f.path), ["a.txt"]);
        assert.deepEqual(b.worktree!.files.map((f) => f.path), ["b.txt"]);
      });

      await t.step(
        "the parent's file is in each fork; one fork's edits are not in the other",
        async () => {
          const has = (dir: string, file: string) =>
            Deno.stat(`${dir}/${file}`).then(() => true, () => false);
          for (const view of [a, b]) {
            assert.equal(
              await Deno.readTextFile(`${view.worktree!.path}/parent.txt`),
              "MOCK-PATCH parent.txt\n",
            );
          }
          assert.ok(await has(a.worktree!.path, "a.txt"));
          assert.ok(!(await has(a.worktree!.path, "b.txt")), "fork b's edit is in fork a");
          assert.ok(await has(b.worktree!.path, "b.txt"));
          assert.ok(!(await has(b.worktree!.path, "a.txt")), "fork a's edit is in fork b");
          assert.ok(!(await has(parent.worktree!.path, "a.txt")), "a fork edited the parent");
          assert.equal(await git(repo, "status", "--porcelain"), "");
        },
      );

      await t.step("each forked thread runs in its own worktree, never the parent's", () => {
        for (
          const [view, prompt] of [[a, "fork a PATCH=a.txt"], [b, "fork b PATCH=b.txt"]] as const
        ) {
          const request = firstRequest(world.fake.requests, prompt);
          const input = JSON.stringify(request.body.input);
          // The fork's own context comes after the parent's history.
          const cwds = [...input.matchAll(/<cwd>([^<]*)<\/cwd>/g)].map((m) => m[1]);
          assert.equal(cwds.at(-1), view.worktree!.path, JSON.stringify(cwds));
          assert.deepEqual(request.conversation.slice(0, 1), [user("parent PATCH=parent.txt")]);
        }
      });

      await t.step("without worktree: true a fork continues in the parent's worktree", async () => {
        const shared = await fork(client, {
          thread_id: parent.thread_id,
          prompts: ["in the parent's worktree RUN=pwd"],
        });
        assert.equal(shared.tasks[0]!.branch, undefined);
        const [view] = await waitAll<View>(client, [shared.tasks[0]!.task_id]);
        assert.equal(view!.phase, "completed", view!.failure ?? "");
        assert.equal(view!.forked_from, parent.thread_id);
        assert.equal(view!.cwd, parent.worktree!.path);
        assert.equal(view!.worktree!.branch, parent.worktree!.branch);
        assert.ok(view!.final_message!.includes(parent.worktree!.path), view!.final_message ?? "");
      });

      await t.step("a reply to a fork continues in the fork's worktree", async () => {
        const reply = await call(client, "codex-reply", {
          threadId: a.thread_id,
          prompt: "again RUN=pwd",
        });
        assert.equal(reply.isError, undefined, textOf(reply));
        const content = (reply.structuredContent as { content: string }).content;
        assert.ok(content.includes(a.worktree!.path), content);
      });
    } finally {
      await Deno.remove(repo, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "codex_fork: forks take the parent task's model and sandbox unless the call sets them",
  e2e,
  async () => {
    await using world = await makeWorld();
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "fork-inherit-" }));
    await using server = await startServer(world);
    const { client } = server;
    try {
      const parent = await runTask(client, {
        prompt: "parent with settings",
        cwd: dir,
        model: "parent-model",
      });
      const result = await call(client, "codex_fork", {
        thread_id: parent.thread_id,
        prompts: ["inherits all"],
      });
      assert.equal(result.isError, undefined, textOf(result));
      const own = await call(client, "codex_fork", {
        thread_id: parent.thread_id,
        prompts: ["sets its own"],
        model: "fork-model",
        sandbox: "read-only",
      });
      assert.equal(own.isError, undefined, textOf(own));
      const ids = [result, own].map((r) => (r.structuredContent as Forked).tasks[0]!.task_id);
      const [inherits, sets] = await waitAll<View & { sandbox: string | null }>(client, ids);
      assert.equal(inherits!.phase, "completed", inherits!.failure ?? "");
      assert.equal(inherits!.sandbox, "workspace-write");
      assert.equal(firstRequest(world.fake.requests, "inherits all").model, "parent-model");
      assert.equal(sets!.sandbox, "read-only");
      assert.equal(firstRequest(world.fake.requests, "sets its own").model, "fork-model");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
