/**
 * The server settings the tools need (how long a result may be, how often blocking calls send
 * progress, whether the old reply alias is offered), what each tool is registered with, and how a
 * result's room is shared.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(budgets({ maxResultChars: 5000 }), { structured: 3400, text: 1000 });
 * ```
 * @module
 */

import type { ServerConfig } from "../server_config.ts";
import type { Engine, SessionSource } from "../../tasks/engine_api.ts";
import type { WorktreeManager } from "../../git/worktree.ts";
import type { McpServer } from "../sdk.ts";

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
