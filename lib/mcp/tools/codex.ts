/**
 * The `codex` tool: runs a Codex session to its end, like the official `codex mcp-server`'s tool.
 * It also supports the MCP Tasks primitive (spec 2025-11-25, `taskSupport: "optional"`), backed
 * by the task engine: a task-aware client may call `codex` with `task` in its params, gets a task
 * at once, and then uses `tasks/get`, `tasks/result`, `tasks/list` and `tasks/cancel`; every other
 * client sees a plain tool.
 *
 * MCP task ids are engine task ids, so `codex_status` and the resources show the same tasks.
 *
 * @module
 */

import { z } from "zod";
import { startTask } from "../../request/plans.ts";
import type { Engine } from "../../tasks/engine_api.ts";
import type { McpServer, McpTaskStore, types } from "../sdk.ts";
import { isFinal, type TaskSnapshot } from "../../tasks/task.ts";
import { withCaller } from "../../request/caller.ts";
import { engineFields, runFields, RUNS_CODEX_ANNOTATIONS, toTaskRequest } from "./run_params.ts";
import { type RunContext, runOutputSchema, runResult, runToEnd } from "./run_to_end.ts";
import type { ToolContext, ToolOptions } from "./tool.ts";

/** The input schema of `codex`. */
export const codexInputSchema = {
  prompt: z.string().min(1).describe("The initial user prompt to start the Codex conversation."),
  ...runFields,
  ...engineFields,
};

type CodexArgs = z.infer<z.ZodObject<typeof codexInputSchema>>;

/** The task request of a `codex` call: its arguments and its caller (from `_meta`). */
function requestOf(args: unknown, meta: unknown) {
  return withCaller(toTaskRequest(args as CodexArgs), meta);
}

/** Registers `codex`. */
export function registerCodexTool(tools: ToolContext): void {
  const { server, engine, session, options } = tools;
  server.experimental.tasks.registerToolTask("codex", {
    title: "Codex",
    description: "Run a Codex session to its end and return its final message and thread id. " +
      "Accepts the configuration parameters of the official Codex MCP server. For long work, " +
      "use codex_async and codex_wait instead. Sends progress while it runs.",
    inputSchema: z.strictObject(codexInputSchema),
    outputSchema: runOutputSchema,
    annotations: RUNS_CODEX_ANNOTATIONS,
    execution: { taskSupport: "optional" },
  }, {
    createTask: async (args, extra) => ({
      task: toMcpTask(await startTask(engine, requestOf(args, extra._meta), await session())),
    }),
    getTask: (_args, extra) => toMcpTask(knownTask(engine, extra.taskId)),
    getTaskResult: async (_args, extra) => runResult(await engine.finished(extra.taskId), options),
  });
  answerPlainCallsDirectly(server, (args, extra) => {
    const context = extra as RunContext & { _meta?: unknown };
    return runToEnd(tools, requestOf(args, context._meta), context);
  });
}

/** How often a task-aware client is told to poll `tasks/get`, in ms. */
export const TASK_POLL_INTERVAL_MS = 2000;

/** Maps an engine task to an MCP task. */
export function toMcpTask(task: TaskSnapshot): types.Task {
  const { meta } = task;
  // Completed and cancelled are MCP statuses too; every other end is failed.
  const status: types.Task["status"] = meta.phase === "completed" || meta.phase === "cancelled"
    ? meta.phase
    : isFinal(meta.phase)
    ? "failed"
    : "working";
  return {
    taskId: meta.id,
    status,
    ttl: null,
    createdAt: meta.createdAt,
    lastUpdatedAt: meta.endedAt ?? meta.startedAt ?? meta.createdAt,
    pollInterval: TASK_POLL_INTERVAL_MS,
    statusMessage: meta.failure ?? meta.phase,
  };
}

/** The task `taskId` of `engine`; throws when no such task is known. */
export function knownTask(engine: Engine, taskId: string): TaskSnapshot {
  const task = engine.get(taskId);
  if (!task) throw new Error(`Cannot find task "${taskId}" as no such task is known`);
  return task;
}

/** The SDK's task store interface, answered by the engine (which keeps tasks on disk). */
export function engineTaskStore(engine: Engine, options: ToolOptions): McpTaskStore {
  return {
    // Tasks are created by the tool's createTask handler through the engine, never here.
    createTask: () =>
      Promise.reject(new Error("Cannot create a task through the store: call a tool")),
    getTask: (taskId) => {
      const task = engine.get(taskId);
      return Promise.resolve(task ? toMcpTask(task) : null);
    },
    // The engine records results itself.
    storeTaskResult: () => Promise.resolve(),
    getTaskResult: async (taskId) => {
      knownTask(engine, taskId);
      return runResult(await engine.finished(taskId), options) as types.Result;
    },
    updateTaskStatus: async (taskId, status) => {
      knownTask(engine, taskId);
      if (status === "cancelled") await engine.cancel(taskId);
    },
    listTasks: () => Promise.resolve({ tasks: engine.list().map(toMcpTask) }),
  };
}

/**
 * The SDK answers a plain (not task-augmented) call to a tool with optional task support by
 * creating a task and polling it every `pollInterval` ms, which would add up to that much latency
 * to every plain `codex` call. This replaces that path with `direct`, which runs the call and
 * answers the moment it ends. Throws if the SDK no longer has the hook (caught by the tests).
 */
export function answerPlainCallsDirectly(
  server: McpServer,
  direct: (args: unknown, extra: unknown) => Promise<unknown>,
): void {
  // Private methods of the SDK's McpServer.
  type Hook = (...args: unknown[]) => Promise<unknown>;
  const hooks = server as unknown as Record<string, Hook | undefined>;
  const original = hooks.handleAutomaticTaskPolling;
  const validate = hooks.validateToolInput;
  if (typeof original !== "function" || typeof validate !== "function") {
    throw new Error("Cannot answer plain task-tool calls directly: the MCP SDK changed");
  }
  hooks.handleAutomaticTaskPolling = async (tool, request, extra) => {
    const params = (request as { params: { name: string; arguments?: unknown } }).params;
    if (params.name !== "codex") return original.call(server, tool, request, extra);
    const args = await validate.call(server, tool, params.arguments, params.name);
    return direct(args, extra);
  };
}
