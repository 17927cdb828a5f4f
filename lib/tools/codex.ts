/**
 * The `codex` tool: runs a Codex session to its end, like the official `codex mcp-server`'s tool.
 * It also supports the MCP Tasks primitive (`taskSupport: "optional"`): a task-aware client gets a
 * task at once and collects the result with `tasks/result`.
 *
 * @module
 */

import { z } from "zod";
import type { Engine } from "../engine_api.ts";
import { answerPlainCallsDirectly, toMcpTask } from "../mcp_tasks.ts";
import type { McpServer } from "../sdk.ts";
import { engineFields, runFields, toTaskRequest } from "./run_params.ts";
import { type RunContext, runOutputSchema, runResult, runToEnd } from "./run_to_end.ts";

/** The input schema of `codex`. */
export const codexInputSchema = {
  prompt: z.string().min(1).describe("The initial user prompt to start the Codex conversation."),
  ...runFields,
  ...engineFields,
};

type CodexArgs = z.infer<z.ZodObject<typeof codexInputSchema>>;

/** Registers `codex`. */
export function registerCodexTool(server: McpServer, engine: Engine): void {
  server.experimental.tasks.registerToolTask("codex", {
    title: "Codex",
    description: "Run a Codex session to its end and return its final message and thread id. " +
      "Accepts the configuration parameters of the official Codex MCP server. For long work, " +
      "use codex_async and codex_wait instead: many clients give up on a call after about 60 s.",
    inputSchema: z.strictObject(codexInputSchema),
    outputSchema: runOutputSchema,
    annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    execution: { taskSupport: "optional" },
  }, {
    createTask: async (args) => ({
      task: toMcpTask(await engine.start(toTaskRequest(args as CodexArgs))),
    }),
    getTask: (_args, extra) => {
      const task = engine.get(extra.taskId);
      if (!task) throw new Error(`Cannot find task "${extra.taskId}" as no such task is known`);
      return toMcpTask(task);
    },
    getTaskResult: async (_args, extra) => runResult(await engine.finished(extra.taskId)),
  });
  answerPlainCallsDirectly(
    server,
    "codex",
    (args, extra) => runToEnd(engine, toTaskRequest(args as CodexArgs), extra as RunContext),
  );
}
