/**
 * A tool result that reports an error: `isError` with one sentence saying what failed and why.
 *
 * @example
 * ```ts
 * return toolError(`Cannot steer task "${id}" as it is completed`);
 * ```
 * @module
 */

import { messageOf } from "../../base/errors.ts";

/** The error result for `error` (an Error's message, or the text itself). */
export function toolError(error: unknown) {
  const text = messageOf(error);
  return { isError: true, content: [{ type: "text" as const, text }] };
}
