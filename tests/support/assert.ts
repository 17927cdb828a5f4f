/**
 * Small assertions shared by the unit tests.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Asserts that `fn` throws an Error whose message contains every one of `parts`. */
export function throwsWith(fn: () => unknown, ...parts: string[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof Error, `expected an Error mentioning ${JSON.stringify(parts)}`);
  for (const part of parts) {
    assert.ok(
      error.message.includes(part),
      `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(part)}`,
    );
  }
}
