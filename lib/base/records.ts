/**
 * Whether a parsed JSON value is an object with fields (not null, not an array): the first check
 * on every message read from Codex or a client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.ok(isRecord(JSON.parse('{"id": 1}')));
 * assert.ok(!isRecord(JSON.parse("[1]")));
 * assert.ok(!isRecord(null));
 * ```
 * @module
 */

/** Whether `value` is a non-null object that is not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
