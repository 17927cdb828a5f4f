/**
 * Approvals and steering end to end: the real Codex app-server asks, the question reaches the MCP
 * client as an elicitation (accept, decline, dismissed), or waits for `codex_approve` from any
 * client (reported once by `codex_wait`), or goes to the next client when the first is gone;
 * `codex_steer` adds to a running turn. Driven through the SDK client over stdio.
 */

import assert from "node:assert/strict";
import {
  eventually,
  makeWorld,
  startHarness,
  startServer,
  textOf,
  type World,
} from "./support/harness.ts";
import type { Client } from "./support/sdk_client.ts";
import { startTask } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

interface View {
  task_id: string;
  phase: string;
  final_message: string | null;
  failure: string | null;
  approval?: { message: string; command?: string; cwd?: string };
  thread_id: string | null;
  answered: Array<{ decision: string; by: string }>;
}

async function workdir(world: World): Promise<string> {
  const dir = `${world.taskDir}/../work-${crypto.randomUUID().slice(0, 6)}`;
  await Deno.mkdir(dir, { recursive: true });
  return await Deno.realPath(dir);
}

async function view(client: Client, id: string): Promise<View> {
  const result = await client.callTool({
    name: "codex_status",
    arguments: { task_ids: [id], detail: "full" },
  });
  return (result.structuredContent as { tasks: View[] }).tasks[0]!;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test(
  "an untrusted codex call asks the client by elicitation: accept runs it",
  e2e,
  async () => {
    const asked: string[] = [];
    await using h = await startHarness({
      elicit: (params) => {
        asked.push(params.message);
        return Promise.resolve({ action: "accept", content: { decision: "accept" } });
      },
    });
    const cwd = await workdir(h.world);
    const result = await h.client.callTool({
      name: "codex",
      arguments: {
        prompt: "RUN=touch accepted.txt",
        cwd,
        sandbox: "workspace-write",
        "approval-policy": "untrusted",
      },
    });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(asked.length, 1);
    assert.match(asked[0]!, /touch accepted\.txt/);
    assert.ok(asked[0]!.includes(cwd), `the message names the cwd: ${asked[0]}`);
    assert.ok(await exists(`${cwd}/accepted.txt`));
  },
);

Deno.test("a declined elicitation lets the turn go on without the command", e2e, async () => {
  await using h = await startHarness({
    elicit: () => Promise.resolve({ action: "accept", content: { decision: "decline" } }),
  });
  const cwd = await workdir(h.world);
  const id = await startTask(h.client, {
    prompt: "RUN=touch declined.txt",
    cwd,
    sandbox: "workspace-write",
    "approval-policy": "untrusted",
  });
  await h.client.callTool({ name: "codex_wait", arguments: { task_ids: [id] } });
  const task = await view(h.client, id);
  assert.equal(task.phase, "completed", task.failure ?? "");
  assert.equal(await exists(`${cwd}/declined.txt`), false);
  assert.deepEqual(task.answered.map((a) => [a.decision, a.by]), [["decline", "elicitation"]]);
});

Deno.test(
  "without elicitation: codex_wait reports the question once, codex_approve answers it",
  e2e,
  async () => {
    await using h = await startHarness();
    const cwd = await workdir(h.world);
    const id = await startTask(h.client, {
      prompt: "RUN=touch approved.txt",
      cwd,
      sandbox: "workspace-write",
      "approval-policy": "untrusted",
    });
    const first = await h.client.callTool({
      name: "codex_wait",
      arguments: { task_ids: [id], timeout: 60 },
    });
    const waited = first.structuredContent as {
      satisfied: boolean;
      questions?: Array<{ task_id: string; message: string }>;
      tasks: View[];
    };
    assert.equal(waited.satisfied, false);
    assert.equal(waited.questions?.[0]?.task_id, id);
    assert.match(waited.questions![0]!.message, /touch approved\.txt/);
    assert.match(textOf(first), /codex_approve/);
    assert.equal(waited.tasks[0]!.phase, "waiting_approval");
    // Told once: the next wait does not return for the same question.
    const second = await h.client.callTool({
      name: "codex_wait",
      arguments: { task_ids: [id], timeout: 1 },
    });
    assert.equal((second.structuredContent as { questions?: unknown[] }).questions, undefined);
    const answer = await h.client.callTool({
      name: "codex_approve",
      arguments: { task_id: id, decision: "accept" },
    });
    assert.equal(answer.isError, undefined, textOf(answer));
    await h.client.callTool({ name: "codex_wait", arguments: { task_ids: [id] } });
    const task = await view(h.client, id);
    assert.equal(task.phase, "completed", task.failure ?? "");
    assert.ok(await exists(`${cwd}/approved.txt`));
    assert.deepEqual(task.answered.map((a) => [a.decision, a.by]), [["accept", "codex_approve"]]);
    // Nothing is pending any more: a second answer is a clear error.
    const again = await h.client.callTool({
      name: "codex_approve",
      arguments: { task_id: id, decision: "accept" },
    });
    assert.equal(again.isError, true);
    assert.match(textOf(again), /has no pending question/);
  },
);

Deno.test(
  "cancel as the answer ends the task; a dismissed form leaves it waiting",
  e2e,
  async () => {
    let dismissed = 0;
    await using h = await startHarness({
      elicit: () => {
        dismissed++;
        return Promise.resolve({ action: "cancel" });
      },
    });
    const cwd = await workdir(h.world);
    const id = await startTask(h.client, {
      prompt: "RUN=touch never.txt",
      cwd,
      sandbox: "workspace-write",
      "approval-policy": "untrusted",
    });
    assert.ok(
      await eventually(async () => (await view(h.client, id)).phase === "waiting_approval"),
    );
    assert.ok(await eventually(() => dismissed === 1));
    assert.match((await view(h.client, id)).approval?.message ?? "", /touch never\.txt/);
    await h.client.callTool({
      name: "codex_approve",
      arguments: { task_id: id, decision: "cancel" },
    });
    const done = await h.client.callTool({ name: "codex_wait", arguments: { task_ids: [id] } });
    const task = (done.structuredContent as { tasks: View[] }).tasks[0]!;
    assert.equal(task.phase, "cancelled", task.failure ?? "");
    assert.equal(await exists(`${cwd}/never.txt`), false);
  },
);

Deno.test(
  "a question whose client went away goes to the next client that looks at the task",
  e2e,
  async () => {
    await using world = await makeWorld();
    const first = await startServer(world);
    const cwd = await workdir(world);
    const id = await startTask(first.client, {
      prompt: "RUN=touch later.txt",
      cwd,
      sandbox: "workspace-write",
      "approval-policy": "on-request",
    });
    // on-request asks only for escalation: this one runs at once; ESCALATE asks.
    const ask = await startTask(first.client, {
      prompt: "ESCALATE=touch escalated.txt",
      cwd,
      sandbox: "workspace-write",
      "approval-policy": "on-request",
    });
    assert.ok(
      await eventually(async () => (await view(first.client, ask)).phase === "waiting_approval"),
    );
    await first.stop();
    const asked: string[] = [];
    await using second = await startServer(world, {
      elicit: (params) => {
        asked.push(params.message);
        return Promise.resolve({ action: "accept", content: { decision: "accept" } });
      },
    });
    const done = await second.client.callTool({
      name: "codex_wait",
      arguments: { task_ids: [id, ask] },
    });
    const tasks = (done.structuredContent as { tasks: View[] }).tasks;
    assert.deepEqual(tasks.map((t) => t.phase), ["completed", "completed"]);
    assert.equal(asked.length, 1);
    assert.match(asked[0]!, /touch escalated\.txt/);
    assert.ok(await exists(`${cwd}/later.txt`));
  },
);

Deno.test(
  "codex_steer adds to a running turn; reply and steer point to each other",
  e2e,
  async () => {
    await using h = await startHarness();
    const id = await startTask(h.client, { prompt: "HOLD=4000 first words" });
    assert.ok(await eventually(async () => (await view(h.client, id)).phase === "running"));
    const status = await view(h.client, id) as View & { thread_id: string | null };
    assert.ok(
      await eventually(async () => (await view(h.client, id) as typeof status).thread_id !== null),
    );
    const threadId = (await view(h.client, id) as typeof status).thread_id!;
    const reply = await h.client.callTool({
      name: "codex-reply",
      arguments: { threadId, prompt: "too early" },
    });
    assert.equal(reply.isError, true);
    assert.match(textOf(reply), /codex_steer/);
    let steered = await h.client.callTool({
      name: "codex_steer",
      arguments: { task_id: id, prompt: "SECOND-THOUGHT" },
    });
    // The turn id arrives a moment after the phase: try again once if it was not there yet.
    if (steered.isError && /not started yet/.test(textOf(steered))) {
      await new Promise((r) => setTimeout(r, 500));
      steered = await h.client.callTool({
        name: "codex_steer",
        arguments: { task_id: id, prompt: "SECOND-THOUGHT" },
      });
    }
    assert.equal(steered.isError, undefined, textOf(steered));
    const done = await h.client.callTool({ name: "codex_wait", arguments: { task_ids: [id] } });
    const task = (done.structuredContent as { tasks: View[] }).tasks[0]!;
    assert.equal(task.phase, "completed", task.failure ?? "");
    assert.match(task.final_message ?? "", /SECOND-THOUGHT/);
    const late = await h.client.callTool({
      name: "codex_steer",
      arguments: { task_id: id, prompt: "too late" },
    });
    assert.equal(late.isError, true);
    assert.match(textOf(late), /codex-reply/);
  },
);

Deno.test("--approvals human leaves no codex_approve tool", e2e, async () => {
  await using h = await startHarness({ args: ["--approvals", "human"] });
  const { tools } = await h.client.listTools();
  assert.equal(tools.some((t) => t.name === "codex_approve"), false);
  assert.equal(tools.some((t) => t.name === "codex_steer"), true);
});
