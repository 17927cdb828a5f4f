/**
 * End-to-end: the task engine through its tools (`codex_async`, `codex_status`, `codex_wait`,
 * `codex_cancel`, `codex_list`), with the real Codex CLI against the fake Responses API.
 */

import assert from "node:assert/strict";
import { bareCodexWallMs } from "./support/bare_codex.ts";
import {
  eventually,
  makeWorld,
  processesMatching,
  startHarness,
  startServer,
  supervisorsOf,
  textOf,
} from "./support/harness.ts";
import type { Client } from "./support/sdk_client.ts";
import { startTask } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type View = {
  task_id: string;
  phase: string;
  final_message: string | null;
  failure: string | null;
  thread_id: string | null;
  tool_calls: { total: number; commands: number };
  last_tool: { summary: string; status: string } | null;
  reasoning: string | null;
};

async function status(client: Client, ids: string[]): Promise<View[]> {
  const result = await client.callTool({
    name: "codex_status",
    arguments: { task_ids: ids, detail: "full" },
  });
  assert.equal(result.isError, undefined, textOf(result));
  return (result.structuredContent as { tasks: View[] }).tasks;
}

async function wait(client: Client, ids: string[], extra: Record<string, unknown> = {}) {
  const result = await client.callTool(
    { name: "codex_wait", arguments: { task_ids: ids, timeout: 60, ...extra } },
    undefined,
    { timeout: 120_000 },
  );
  assert.equal(result.isError, undefined, textOf(result));
  return result.structuredContent as { satisfied: boolean; done: number; tasks: View[] };
}

Deno.test("8 tasks run truly in parallel, about as fast as 8 bare codex exec", e2e, async () => {
  await using h = await startHarness();
  const n = 8;
  const prompt = (i: number) => `parallel ${i} SLEEP=2000`;
  const bare = await bareCodexWallMs(h.world, n, prompt);
  const start = performance.now();
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(await startTask(h.client, { prompt: prompt(i) }));
  const result = await wait(h.client, ids);
  const wall = performance.now() - start;
  assert.equal(result.satisfied, true);
  for (const [i, task] of result.tasks.entries()) {
    assert.equal(task.phase, "completed", task.failure ?? "");
    assert.equal(task.final_message, `MOCK-DONE ${prompt(i)}`);
  }
  // Serial runs would take n times as long; a generous bound that still proves parallelism.
  assert.ok(wall < bare * 3, `server ${wall.toFixed(0)} ms vs bare ${bare.toFixed(0)} ms`);
});

Deno.test("status, wait any/all/timeout, cancel, list", e2e, async (t) => {
  await using h = await startHarness();
  const { client } = h;

  await t.step("status shows the live state of a running task", async () => {
    const id = await startTask(client, {
      prompt: "watch me REASON=pondering RUN=sleep 1.5; echo watched",
      sandbox: "danger-full-access",
    });
    assert.ok(
      await eventually(async () => (await status(client, [id]))[0]!.last_tool !== null),
      "no tool seen",
    );
    const [live] = await status(client, [id]);
    assert.equal(live!.phase, "running");
    assert.match(live!.last_tool!.summary, /sleep 1.5; echo watched/);
    assert.equal(live!.last_tool!.status, "in_progress");
    assert.match(live!.reasoning ?? "", /pondering/);
    assert.match(live!.thread_id ?? "", /^[0-9a-f-]{36}$/);
    const done = await wait(client, [id]);
    assert.equal(done.tasks[0]!.phase, "completed");
    assert.match(done.tasks[0]!.final_message ?? "", /watched/);
    assert.equal((await status(client, [id]))[0]!.tool_calls.commands, 1);
  });

  await t.step(
    "wait any returns when the first task is done, timeout returns the rest live",
    async () => {
      const fast = await startTask(client, { prompt: "fast" });
      const slow = await startTask(client, { prompt: "slow SLEEP=12000" });
      const any = await wait(client, [fast, slow], { mode: "any" });
      assert.equal(any.satisfied, true);
      assert.equal(any.tasks.find((x) => x.task_id === fast)!.phase, "completed");
      assert.notEqual(any.tasks.find((x) => x.task_id === slow)!.phase, "completed");
      const timedOut = await wait(client, [slow], { timeout: 0.5 });
      assert.equal(timedOut.satisfied, false);
      assert.equal(timedOut.tasks[0]!.phase, "running", "a wait timeout must not stop a task");
      const progress: string[] = [];
      const allResult = await client.callTool(
        { name: "codex_wait", arguments: { task_ids: [fast, slow], timeout: 60 } },
        undefined,
        {
          timeout: 120_000,
          onprogress: (p: { message?: string }) => progress.push(p.message ?? ""),
        },
      );
      const all = allResult.structuredContent as { satisfied: boolean; tasks: View[] };
      assert.equal(all.satisfied, true);
      assert.ok(
        progress.some((m) => m.startsWith("2/2 done")),
        `no progress for the phase change: ${JSON.stringify(progress)}`,
      );
      assert.equal(all.tasks[1]!.final_message, "MOCK-DONE slow SLEEP=12000");
    },
  );

  await t.step("cancel stops the task and the command it runs; cancel is idempotent", async () => {
    const marker = "sleep 41.375";
    const id = await startTask(client, {
      prompt: `cancel me RUN=${marker}`,
      sandbox: "danger-full-access",
    });
    assert.ok(
      await eventually(() => processesMatching(marker).length > 0),
      "the command never started",
    );
    const first = await client.callTool({ name: "codex_cancel", arguments: { task_id: id } });
    assert.match(textOf(first), /cancelled/);
    assert.equal(processesMatching(marker).length, 0, JSON.stringify(processesMatching(marker)));
    assert.equal((await status(client, [id]))[0]!.phase, "cancelled");
    const again = await client.callTool({ name: "codex_cancel", arguments: { task_ids: [id] } });
    assert.match(textOf(again), /had already finished \(cancelled\)/);
  });

  await t.step("status and wait without task_ids cover every unfinished task", async () => {
    const a = await startTask(client, { prompt: "unnamed a SLEEP=300" });
    const b = await startTask(client, { prompt: "unnamed b SLEEP=300" });
    const live = await client.callTool({ name: "codex_status", arguments: {} });
    const liveIds = (live.structuredContent as { tasks: View[] }).tasks.map((x) => x.task_id);
    assert.deepEqual(liveIds.sort(), [a, b].sort());
    const result = await client.callTool({ name: "codex_wait", arguments: {} });
    const waited = result.structuredContent as { satisfied: boolean; tasks: View[] };
    assert.equal(waited.satisfied, true);
    assert.deepEqual(waited.tasks.map((x) => x.phase), ["completed", "completed"]);
    const none = await client.callTool({ name: "codex_status", arguments: {} });
    assert.match(textOf(none), /No unfinished tasks/);
  });

  await t.step("list shows tasks newest first and filters by phase", async () => {
    const list = await client.callTool({
      name: "codex_list",
      arguments: { phases: ["cancelled"] },
    });
    const tasks = (list.structuredContent as { tasks: Array<{ phase: string }> }).tasks;
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0]!.phase, "cancelled");
    const all = await client.callTool({ name: "codex_list", arguments: {} });
    const allTasks = (all.structuredContent as { tasks: Array<{ created_at: string }> }).tasks;
    assert.equal(allTasks.length, 6);
    assert.ok(allTasks[0]!.created_at >= allTasks[5]!.created_at);
  });

  await t.step("unknown task ids are clear errors", async () => {
    const result = await client.callTool({
      name: "codex_status",
      arguments: { task_ids: ["nope"] },
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /"nope" as no such task is known/);
    const cancel = await client.callTool({ name: "codex_cancel", arguments: { task_id: "nope" } });
    assert.equal(cancel.isError, true);
  });
});

Deno.test(
  "tasks over --max-parallel queue in FIFO order; time limits end tasks timed_out",
  e2e,
  async () => {
    await using h = await startHarness({ args: ["--max-parallel", "2"] });
    const { client } = h;
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await startTask(client, { prompt: `q${i} SLEEP=1500` }));
    const early = await status(client, ids);
    assert.deepEqual(early.slice(2).map((x) => x.phase), ["queued", "queued"]);
    const done = await wait(client, ids);
    assert.deepEqual(done.tasks.map((x) => x.phase), [
      "completed",
      "completed",
      "completed",
      "completed",
    ]);

    const slow = await startTask(client, { prompt: "too slow SLEEP=20000", timeout_s: 1 });
    const result = await wait(client, [slow]);
    assert.equal(result.tasks[0]!.phase, "timed_out");
    assert.match(result.tasks[0]!.failure ?? "", /time limit \(1 s\)/);
  },
);

Deno.test(
  "tasks outlive their client; a supervisor killed with SIGKILL loses no task record",
  e2e,
  async () => {
    await using world = await makeWorld();
    // A cap of 6 leaves two tasks queued when the first client goes away.
    const first = await startServer(world, { args: ["--max-parallel", "6"] });
    const ids = [];
    for (let i = 0; i < 8; i++) {
      ids.push(await startTask(first.client, { prompt: `survive ${i} SLEEP=2500` }));
    }
    const before = await status(first.client, ids);
    assert.ok(before.some((x) => x.phase === "queued"), "some tasks should still be queued");
    await first.stop();
    await using second = await startServer(world, { args: ["--max-parallel", "6"] });
    const result = await wait(second.client, ids);
    for (const [i, task] of result.tasks.entries()) {
      assert.equal(task.phase, "completed", task.failure ?? "");
      assert.equal(task.final_message, `MOCK-DONE survive ${i} SLEEP=2500`);
    }

    // SIGKILL the supervisor while one task runs and one waits in the queue (cap 1 now).
    await second.stop();
    await world.stopSupervisor();
    const third = await startServer(world, { args: ["--max-parallel", "1"] });
    const running = await startTask(third.client, { prompt: "cut short HOLD=60000" });
    const queued = await startTask(third.client, { prompt: "never started yet" });
    assert.ok(
      await eventually(async () => (await status(third.client, [running]))[0]!.phase === "running"),
    );
    assert.equal((await status(third.client, [queued]))[0]!.phase, "queued");
    // The model has the request (held): the turn is under way when the supervisor dies.
    assert.ok(
      await eventually(() => world.fake.requests.some((r) => r.prompt.includes("cut short"))),
    );
    for (const p of supervisorsOf(world.taskDir)) Deno.kill(p.pid, "SIGKILL");
    await third.stop().catch(() => {});
    await using fourth = await startServer(world, { args: ["--max-parallel", "1"] });
    const after = await wait(fourth.client, [running, queued]);
    const [cut, later] = after.tasks;
    // What ran is final and says why, with its thread; what never started runs now.
    assert.equal(cut!.phase, "interrupted");
    assert.match(cut!.failure ?? "", /stopped while it ran.*codex-reply/);
    assert.ok(cut!.thread_id);
    assert.equal(later!.phase, "completed", later!.failure ?? "");
    // Nothing that ran ran again by itself: the model saw "cut short" once.
    assert.equal(world.fake.requests.filter((r) => r.prompt.includes("cut short")).length, 1);
    const reply = await fourth.client.callTool({
      name: "codex-reply",
      arguments: { threadId: cut!.thread_id, prompt: "go on" },
    });
    assert.equal(reply.isError, undefined, textOf(reply));
    assert.match(textOf(reply), /^MOCK-DONE .*go on$/);
  },
);
