/**
 * Tool results: one text, its structured content beside it where the tool has one, and errors
 * (`isError` with one sentence saying what failed and why).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
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

import { messageOf } from "../../base/errors.ts";

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
