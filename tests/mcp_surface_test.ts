/**
 * End-to-end: the MCP surface beyond tools — resources and their update notifications, the MCP
 * Tasks primitive on `codex`, logging notifications — and the periodic clean-up of old tasks.
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { types } from "../lib/mcp/sdk.ts";
import { eventually, makeWorld, startHarness, startServer, textOf } from "./support/harness.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

function json(result: { contents: Array<object> }) {
  const first = result.contents[0] as { text?: string };
  return JSON.parse(first.text ?? "null");
}

Deno.test(
  "resources: server info, config, tasks, one task, and update notifications",
  e2e,
  async (t) => {
    await using h = await startHarness({
      args: ["-c", 'model="from-server"', "--max-parallel", "3"],
    });
    const { client } = h;

    await t.step("server-info and config tell the version, limits and defaults", async () => {
      const info = json(await client.readResource({ uri: "codex-swarm://server-info" }));
      assert.equal(info.version, denoJson.version);
      assert.equal(info.limits.max_parallel, 3);
      assert.equal(info.task_dir, h.world.taskDir);
      const { tools } = await client.listTools();
      assert.deepEqual(
        info.tools.toSorted(),
        tools.map((tool) => tool.name).toSorted(),
        "server-info lists every tool the server offers",
      );
      const config = json(await client.readResource({ uri: "codex-swarm://config" }));
      assert.deepEqual(config.config_overrides, ['model="from-server"']);
      assert.equal(config.policy.maxSandbox, null);
      assert.ok(config.policy.allowConfig.includes("model_reasoning_effort"));
      assert.ok(!config.policy.allowConfig.includes("notify"));
    });

    await t.step("a subscribed task sends resources/updated as it changes", async () => {
      const updated: string[] = [];
      client.setNotificationHandler(types.ResourceUpdatedNotificationSchema, (n) => {
        updated.push(n.params.uri);
      });
      const started = await client.callTool({
        name: "codex_async",
        arguments: { prompt: "subscribe RUN=echo sub", sandbox: "danger-full-access" },
      });
      const id = (started.structuredContent as { task_id: string }).task_id;
      const uri = `codex-swarm://tasks/${id}`;
      await client.subscribeResource({ uri });
      await client.callTool({ name: "codex_wait", arguments: { task_ids: [id] } });
      assert.ok(await eventually(() => updated.includes(uri), 5000), JSON.stringify(updated));
      const task = json(await client.readResource({ uri }));
      assert.equal(task.task_id, id);
      assert.equal(task.phase, "completed");
      const all = json(await client.readResource({ uri: "codex-swarm://tasks" }));
      assert.ok(all.tasks.some((x: { task_id: string }) => x.task_id === id));
      const { resources } = await client.listResources();
      assert.ok(resources.some((r) => r.uri === uri), "the task is listed as a resource");
      await client.unsubscribeResource({ uri });
    });

    await t.step("an unknown task resource is a clear error", async () => {
      await assert.rejects(
        client.readResource({ uri: "codex-swarm://tasks/nope" }),
        /"nope" as no such task is known/,
      );
    });
  },
);

Deno.test(
  "MCP Tasks: a task-augmented codex call, tasks/get, tasks/result, tasks/list, tasks/cancel",
  e2e,
  async () => {
    await using h = await startHarness();
    const { client } = h;
    const created = await client.request(
      {
        method: "tools/call",
        params: {
          name: "codex",
          arguments: { prompt: "as a task SLEEP=500" },
          task: { ttl: 60_000 },
        },
      },
      types.CreateTaskResultSchema,
    );
    const taskId = created.task.taskId;
    assert.match(taskId, /^[0-9a-f]{12}$/);
    assert.equal(created.task.status, "working");
    const result = await client.experimental.tasks.getTaskResult(
      taskId,
      types.CallToolResultSchema,
    );
    assert.equal(
      (result.structuredContent as { content: string }).content,
      "MOCK-DONE as a task SLEEP=500",
    );
    const got = await client.experimental.tasks.getTask(taskId);
    assert.equal(got.status, "completed");
    const listed = await client.experimental.tasks.listTasks();
    assert.ok(listed.tasks.some((x) => x.taskId === taskId));
    // The same task is visible to codex_status.
    const status = await client.callTool({
      name: "codex_status",
      arguments: { task_ids: [taskId] },
    });
    assert.match(textOf(status), /completed/);

    const long = await client.request(
      {
        method: "tools/call",
        params: { name: "codex", arguments: { prompt: "cancel me SLEEP=20000" }, task: {} },
      },
      types.CreateTaskResultSchema,
    );
    const cancelled = await client.experimental.tasks.cancelTask(long.task.taskId);
    assert.equal(cancelled.status, "cancelled");
  },
);

Deno.test("logging: the client gets notifications/message for task events", e2e, async () => {
  await using h = await startHarness();
  const messages: string[] = [];
  h.client.setNotificationHandler(types.LoggingMessageNotificationSchema, (n) => {
    messages.push(JSON.stringify(n.params.data));
  });
  await h.client.setLoggingLevel("info");
  await h.client.callTool({ name: "codex", arguments: { prompt: "log me" } });
  assert.ok(
    await eventually(() => messages.some((m) => /completed/.test(m)), 5000),
    messages.join("\n"),
  );
});

Deno.test(
  "old finished tasks are swept periodically; branches with unmerged work are kept",
  e2e,
  async () => {
    await using world = await makeWorld();
    const repo = await Deno.realPath(await Deno.makeTempDir({ prefix: "sweep-repo-" }));
    const git = (...args: string[]) => new Deno.Command("git", { args, cwd: repo }).output();
    await git("init", "-q", "-b", "main");
    await Deno.writeTextFile(`${repo}/f.txt`, "x\n");
    await git("add", "-A");
    await git("-c", "user.email=t@e", "-c", "user.name=T", "commit", "-q", "-m", "init");
    await using server = await startServer(world, { env: { CODEX_SWARM_TASK_MAX_AGE: "1" } });
    const started = await server.client.callTool({
      name: "codex_async",
      arguments: {
        prompt: "sweep RUN=echo y > y.txt",
        cwd: repo,
        worktree: true,
        sandbox: "workspace-write",
      },
    });
    const id = (started.structuredContent as { task_id: string }).task_id;
    await server.client.callTool({ name: "codex_wait", arguments: { task_ids: [id] } });
    const full = await server.client.callTool({
      name: "codex_status",
      arguments: { task_ids: [id], detail: "full" },
    });
    const view = (full.structuredContent as { tasks: Array<{ worktree: { path: string } }> })
      .tasks[0]!;
    const gone = await eventually(async () => {
      const list = await server.client.callTool({ name: "codex_list", arguments: {} });
      return (list.structuredContent as { tasks: unknown[] }).tasks.length === 0;
    }, 15_000);
    assert.ok(gone, "the old task was not swept");
    await assert.rejects(Deno.stat(`${world.taskDir}/${id}`));
    await assert.rejects(Deno.stat(view.worktree.path));
    const branch = await new Deno.Command("git", {
      args: ["branch", "--list", `codex-swarm/${id}`],
      cwd: repo,
    }).output();
    assert.match(new TextDecoder().decode(branch.stdout), new RegExp(`codex-swarm/${id}`));
  },
);

Deno.test("the log file has no prompts unless the level is debug", e2e, async () => {
  for (const level of ["info", "debug"]) {
    await using world = await makeWorld();
    await using server = await startServer(world, { env: { CODEX_SWARM_LOG_LEVEL: level } });
    await server.client.callTool({ name: "codex", arguments: { prompt: "secret-prompt-4711" } });
    const log = await Deno.readTextFile(`${world.taskDir}/../server.log`);
    assert.match(log, /Task [0-9a-f]{12} completed/);
    assert.equal(log.includes("secret-prompt-4711"), level === "debug", `level ${level}`);
  }
});
