/**
 * The server settings the tools need: how long a result may be, how often blocking calls send
 * progress, and whether the old reply alias is offered.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const options = toolOptions({ maxResultChars: 5000 });
 * assert.equal(options.heartbeatMs, 10_000);
 * ```
 * @module
 */

import { DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_RESULT_CHARS } from "../server_config.ts";

/** What the tools take from the server's configuration. */
export interface ToolOptions {
  /** The longest result, structured content and text together, in characters. */
  maxResultChars: number;
  /** How often `codex`, `codex-reply` and `codex_wait` send progress while nothing happens. */
  heartbeatMs: number;
  /** Also register `codex_reply`. */
  replyAlias: boolean;
}

/** The options, with the defaults for what is not given. */
export function toolOptions(given: Partial<ToolOptions> = {}): ToolOptions {
  return {
    maxResultChars: given.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS,
    heartbeatMs: given.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    replyAlias: given.replyAlias ?? false,
  };
}

/** Characters a result's wrapper fields (counts, hints) may take beside its tasks. */
const WRAPPER_CHARS = 600;

/**
 * How a result's characters are shared: most for the structured content (the model's view), a
 * fifth for the text (a short rendering for people).
 */
export function budgets(options: ToolOptions): { structured: number; text: number } {
  const text = Math.floor(options.maxResultChars / 5);
  return { structured: options.maxResultChars - text - WRAPPER_CHARS, text };
}
