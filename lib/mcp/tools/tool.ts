/**
 * What every tool shares: what it is registered with ({@link ToolContext}), the server settings it
 * needs (how long a result may be, how often blocking calls send progress, whether the old reply
 * alias is offered), how a result's room is shared, and its results: one text, its structured
 * content beside it where the tool has one, and errors (`isError` with one sentence saying what
 * failed and why).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(budgets({ maxResultChars: 5000 }), { structured: 3400, text: 1000 });
 * assert.deepEqual(toolError(new Error('Cannot steer task "t1" as it is completed')), {
 *   isError: true,
 *   content: [{ type: "text", text: 'Cannot steer task "t1" as it is completed' }],
 * });
 * assert.deepEqual(toolResult("Steered task t1", { steered: true }), {
 *   content: [{ type: "text", text: "Steered task t1" }],
 *   structuredContent: { steered: true },
 * });
 * ```
 * @module
 */

import type { ServerConfig } from "../server_config.ts";
import type { Engine, SessionSource } from "../../tasks/engine_api.ts";
import type { WorktreeManager } from "../../git/worktree.ts";
import type { McpServer } from "../sdk.ts";
import { messageOf } from "../../base/errors.ts";

/** What the tools take from the server's configuration (see {@link ServerConfig}). */
export type ToolOptions = Pick<ServerConfig, "maxResultChars" | "heartbeatMs" | "replyAlias">;

/**
 * What each tool is registered with: the server, the engine and the task worktrees, the client
 * session the tasks it starts belong to, and the settings.
 */
export interface ToolContext {
  server: McpServer;
  engine: Engine;
  worktrees: WorktreeManager;
  session: SessionSource;
  options: ToolOptions;
}

/** Characters a result's wrapper fields (counts, hints) may take beside its tasks. */
const WRAPPER_CHARS = 600;

/**
 * How a result's characters are shared: most for the structured content (the model's view), a
 * fifth for the text (a short rendering for people).
 */
export function budgets(
  options: Pick<ToolOptions, "maxResultChars">,
): { structured: number; text: number } {
  const text = Math.floor(options.maxResultChars / 5);
  return { structured: options.maxResultChars - text - WRAPPER_CHARS, text };
}

/** The error result for `error` (an Error's message, or the text itself). */
export function toolError(error: unknown) {
  return toolResult(messageOf(error), undefined, true);
}

/** A result of one text, with `structuredContent` and `isError` when given. */
export function toolResult<S extends Record<string, unknown>>(
  text: string,
  structuredContent?: S,
  isError?: boolean,
): { content: [{ type: "text"; text: string }]; structuredContent?: S; isError?: boolean } {
  return {
    content: [{ type: "text", text }],
    ...(structuredContent === undefined ? {} : { structuredContent }),
    ...(isError === undefined ? {} : { isError }),
  };
}
