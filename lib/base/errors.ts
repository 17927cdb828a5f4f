/**
 * The message of whatever was thrown: an `Error`'s message, anything else as a string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(messageOf(new Error("disk full")), "disk full");
 * assert.equal(messageOf("timed out"), "timed out");
 * assert.equal(messageOf(42), "42");
 * ```
 * @module
 */

/** `error`'s message when it is an `Error`, else `String(error)`. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs a clean-up step whose only possible failure is that there is nothing left to clean (a
 * connection closed already, a file gone already), so that failure is dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * let tried = false;
 * quietly(() => {
 *   tried = true;
 *   throw new Error("closed already");
 * });
 * assert.ok(tried);
 * ```
 */
export function quietly(step: () => void): void {
  try {
    step();
  } catch {
    // Closed or gone already.
  }
}
