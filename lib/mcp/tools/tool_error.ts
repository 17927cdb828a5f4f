/**
 * A tool result that reports an error: `isError` with one sentence saying what failed and why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(toolError(new Error('Cannot steer task "t1" as it is completed')), {
 *   isError: true,
 *   content: [{ type: "text", text: 'Cannot steer task "t1" as it is completed' }],
 * });
 * ```
 * @module
 */

import { messageOf } from "../../base/errors.ts";

/** The error result for `error` (an Error's message, or the text itself). */
export function toolError(error: unknown) {
  const text = messageOf(error);
  return { isError: true, content: [{ type: "text" as const, text }] };
}
