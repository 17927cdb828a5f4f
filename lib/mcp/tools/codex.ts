/**
 * The `codex` tool: runs a Codex session to its end, like the official `codex mcp-server`'s tool.
 * It also supports the MCP Tasks primitive (`taskSupport: "optional"`): a task-aware client gets a
 * task at once and collects the result with `tasks/result`.
 *
 * @module
 */

import { z } from "zod";
import { startTask } from "../../request/plans.ts";
import { answerPlainCallsDirectly, knownTask, toMcpTask } from "../mcp_tasks.ts";
import { withCaller } from "../../request/caller.ts";
import { engineFields, runFields, RUNS_CODEX_ANNOTATIONS, toTaskRequest } from "./run_params.ts";
import { type RunContext, runOutputSchema, runResult, runToEnd } from "./run_to_end.ts";
import type { ToolContext } from "./tool.ts";

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
export function registerCodexTool({ server, engine, session, options }: ToolContext): void {
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
  answerPlainCallsDirectly(server, "codex", (args, extra) => {
    const context = extra as RunContext & { _meta?: unknown };
    return runToEnd(engine, session, requestOf(args, context._meta), context, options);
  });
}
