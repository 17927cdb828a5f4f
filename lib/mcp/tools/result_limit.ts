/**
 * The last guard of `--max-result-chars`: what a client receives of any tool's result, its text
 * and its structured content as JSON together, stays within the limit. Each tool sizes its own
 * result (pages, cuts, omitted tasks); this guard only acts when one did not: it shortens the
 * text (the structured content is the model's view) and, when the structured content alone is
 * too long, answers an error that says so instead of an oversized result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const result = { content: [{ type: "text" as const, text: "x".repeat(9000) }] };
 * assert.ok(fitResult("codex_list", result, 2000).content[0]!.text.length <= 2000);
 * ```
 * @module
 */

import type { McpServer } from "../sdk.ts";
import { toolError } from "./tool.ts";
import { resultChars } from "./codex_diff.ts";

/** Shortest text worth keeping beside the structured content, with its marker. */
const MIN_TEXT_CHARS = 200;

type Content = { type: string; text?: string } & Record<string, unknown>;
type Result = { content: Content[]; structuredContent?: unknown; isError?: boolean };

/**
 * `result` as it may be sent under a limit of `max` characters: unchanged when it fits, else
 * with its text cut (and marked), else an error result naming the tool and the sizes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const short = { content: [{ type: "text" as const, text: "short" }] };
 * assert.deepEqual(fitResult("x", short, 2000), short); // unchanged
 * ```
 */
export function fitResult<R extends Result>(tool: string, result: R, max: number): R {
  const size = resultChars(result);
  if (size <= max) return result;
  const structured = resultChars({ ...result, content: [] });
  const marker = `…[cut: the result limit is ${max} characters (--max-result-chars)]`;
  const room = max - structured - marker.length;
  if (room >= MIN_TEXT_CHARS - marker.length && result.content.every((c) => c.type === "text")) {
    const text = result.content.map((c) => c.text ?? "").join("\n");
    return { ...result, content: [{ type: "text", text: `${text.slice(0, room)}${marker}` }] };
  }
  return toolError(
    `Cannot answer ${tool} within the result limit as its result has ${size} ` +
      `characters and --max-result-chars is ${max}: ask for less (a page, fewer tasks)`,
  ) as unknown as R;
}

/**
 * Makes every tool registered on `server` from now on answer within `max` characters
 * ({@linkcode fitResult}), a tool that throws with its error's message (as the SDK would). Call
 * before registering the tools.
 *
 * @example
 * ```ts
 * // limitResults(server, options.maxResultChars); registerCodexTool(server, ...);
 * ```
 */
export function limitResults(server: McpServer, max: number): void {
  const register = server.registerTool.bind(server) as unknown as Register;
  const limited: Register = (name, config, handler) =>
    register(name, config, async (...args) => {
      let result: Result;
      try {
        result = await handler(...args);
      } catch (error) {
        result = toolError(error);
      }
      return fitResult(name, result, max);
    });
  server.registerTool = limited as unknown as typeof server.registerTool;
}

/** `registerTool` as this guard sees it: a name, a config it passes on, and a handler. */
type Register = (
  name: string,
  config: unknown,
  handler: (...args: unknown[]) => Promise<Result>,
) => unknown;
