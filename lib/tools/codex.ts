/**
 * The `codex` tool: runs a Codex session to its end, like the official `codex mcp-server`'s tool.
 *
 * @module
 */

import { z } from "zod";
import type { TaskEngine } from "../engine.ts";
import type { McpServer } from "../sdk.ts";
import { engineFields, runFields, toTaskRequest } from "./run_params.ts";
import { runOutputSchema, runToEnd } from "./run_to_end.ts";

/** The input schema of `codex`. */
export const codexInputSchema = {
  prompt: z.string().min(1).describe("The initial user prompt to start the Codex conversation."),
  ...runFields,
  ...engineFields,
};

/** Registers `codex`. */
export function registerCodexTool(server: McpServer, engine: TaskEngine): void {
  server.registerTool("codex", {
    title: "Codex",
    description: "Run a Codex session to its end and return its final message and thread id. " +
      "Accepts the configuration parameters of the official Codex MCP server. For long work, " +
      "use codex_async and codex_wait instead: many clients give up on a call after about 60 s.",
    inputSchema: codexInputSchema,
    outputSchema: runOutputSchema,
    annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  }, (args, extra) => runToEnd(engine, toTaskRequest(args), extra));
}
