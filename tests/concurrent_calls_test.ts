/**
 * End-to-end: two clients of one supervisor call at the same moment (`Promise.all`), with the real
 * Codex app-server against the fake Responses API. One turn per thread: of two replies sent
 * together to a thread, one runs and the other is refused, naming it. Forks may not share their
 * thread's worktree with another task. A reply and a discard of the same worktree are
 * serialized: whichever comes second sees what the first left, and no task ends `failed` in a
 * deleted worktree.
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import { type Harness, makeWorld, startServer, textOf, type World } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, type TaskView, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type View = TaskView;

type Result = Awaited<ReturnType<typeof call>>;

/** Two clients (two front-ends) of the one supervisor of `world`. */
async function twoClients(world: World): Promise<[Harness, Harness]> {
  const first = await startServer(world);
  const second = await startServer(world);
  return [first, second];
}

/** Runs a task to its end; asserts it completed. */
async function runTask(client: Client, args: Record<string, unknown>): Promise<View> {
  const started = await call(client, "codex_async", { sandbox: "workspace-write", ...args });
  assert.equal(started.isError, undefined, textOf(started));
  const [view] = await waitAll<View>(client, [taskIdOf(started)]);
  assert.equal(view!.phase, "completed", view!.failure ?? "");
  return view!;
}

function taskIdOf(result: Result): string {
  return (result.structuredContent as { task_id: string }).task_id;
}

/** Of two results, the one accepted and the one refused; fails unless exactly one was refused. */
function oneOf(results: Result[]): { accepted: Result; refused: Result } {
  const refused = results.filter((r) => r.isError === true);
  assert.equal(
    refused.length,
    1,
    `exactly one of the two calls must be refused:\n${results.map(textOf).join("\n---\n")}`,
  );
  return { accepted: results.find((r) => r.isError !== true)!, refused: refused[0]! };
}

Deno.test(
  "two replies sent together to one thread: one runs, the other is refused naming it",
  e2e,
  async () => {
    await using world = await makeWorld();
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "one-turn-" }));
    const [a, b] = await twoClients(world);
    await using _a = a;
    await using _b = b;
    try {
      const parent = await runTask(a.client, { prompt: "first", cwd: dir });
      const reply = (client: Client, prompt: string) =>
        call(client, "codex_async", { threadId: parent.thread_id, prompt, timeout_s: 60 });
      const { accepted, refused } = oneOf(
        await Promise.all([reply(a.client, "one HOLD=300"), reply(b.client, "two HOLD=300")]),
      );
      const running = taskIdOf(accepted);
      assert.match(
        textOf(refused),
        new RegExp(
          `Cannot reply on thread "${parent.thread_id}" as task ${running} is \\w+ on it ` +
            `\\(one turn per thread\\): use codex_steer \\{task_id: "${running}"`,
        ),
      );
      const [view] = await waitAll<View>(a.client, [running]);
      assert.equal(view!.phase, "completed", view!.failure ?? "");
      // Once the turn ended, the thread takes the next reply.
      const after = await runTask(b.client, { threadId: parent.thread_id, prompt: "three" });
      assert.equal(after.thread_id, parent.thread_id);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "forks of a worktree thread: several need worktree: true; of two single forks sent together one shares the worktree",
  e2e,
  async () => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    const [a, b] = await twoClients(world);
    await using _a = a;
    await using _b = b;
    try {
      const parent = await runTask(a.client, {
        prompt: "parent PATCH=parent.txt",
        cwd: repo,
        worktree: true,
      });
      const fork = (client: Client, prompts: string[]) =>
        call(client, "codex_fork", { thread_id: parent.thread_id, prompts });

      const several = await fork(a.client, ["fork x PATCH=x.txt", "fork y PATCH=y.txt"]);
      assert.equal(several.isError, true, textOf(several));
      assert.match(
        textOf(several),
        /into 2 forks without worktree: true as they would all work in its worktree .* pass worktree: true/,
      );

      const { accepted, refused } = oneOf(
        await Promise.all([
          fork(a.client, ["fork one PATCH=one.txt HOLD=300"]),
          fork(b.client, ["fork two PATCH=two.txt HOLD=300"]),
        ]),
      );
      const shared = (accepted.structuredContent as { tasks: Array<{ task_id: string }> })
        .tasks[0]!.task_id;
      assert.match(
        textOf(refused),
        new RegExp(`in its worktree ${parent.worktree!.path} as task ${shared} \\(\\w+\\) still`),
      );
      const [view] = await waitAll<View>(a.client, [shared]);
      assert.equal(view!.phase, "completed", view!.failure ?? "");
      assert.equal(view!.worktree!.path, parent.worktree!.path);
      const files = view!.worktree!.files.map((f) => f.path);
      assert.equal(files.length, 1, `the fork committed another task's files: ${files}`);
      assert.match(files[0]!, /^(one|two)\.txt$/);
      assert.equal(await git(parent.worktree!.path, "status", "--porcelain"), "");
    } finally {
      await Deno.remove(repo, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "a reply and a discard of its worktree sent together: the second sees what the first left",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    const [a, b] = await twoClients(world);
    await using _a = a;
    await using _b = b;
    try {
      // Either may come first; each round asserts that neither saw a stale state.
      for (const round of [1, 2, 3]) {
        await t.step(`round ${round}`, async () => {
          const parent = await runTask(a.client, {
            prompt: `parent ${round} PATCH=parent${round}.txt`,
            cwd: repo,
            worktree: true,
          });
          const info = parent.worktree!;
          const { accepted, refused } = oneOf(
            await Promise.all([
              call(a.client, "codex_async", {
                threadId: parent.thread_id,
                prompt: `reply ${round} PATCH=reply${round}.txt`,
                sandbox: "workspace-write",
              }),
              call(b.client, "codex_worktree", { task_id: parent.task_id, action: "discard" }),
            ]),
          );
          const discarded = (accepted.structuredContent as { discarded?: boolean }).discarded;
          if (discarded === true) {
            assert.match(textOf(refused), /its worktree .* no longer exists/);
            assert.equal(await Deno.stat(info.path).then(() => true, () => false), false);
            return;
          }
          assert.match(
            textOf(refused),
            new RegExp(
              `Cannot discard task "${parent.task_id}" as task "${taskIdOf(accepted)}" ` +
                `\\(\\w+\\) still works in its worktree`,
            ),
          );
          const [view] = await waitAll<View>(a.client, [taskIdOf(accepted)]);
          assert.equal(view!.phase, "completed", view!.failure ?? "");
          assert.deepEqual(view!.worktree!.files.map((f) => f.path), [`reply${round}.txt`]);
          const discard = await call(b.client, "codex_worktree", {
            task_id: parent.task_id,
            action: "discard",
          });
          assert.equal(discard.isError, undefined, textOf(discard));
        });
      }
    } finally {
      await Deno.remove(repo, { recursive: true }).catch(() => {});
    }
  },
);
