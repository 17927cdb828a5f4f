/**
 * Whether a path lies in a directory, as paths (not as strings: `/a/bc` is not in `/a/b`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.ok(isWithin("/src/app", "/src/app/lib/a.ts"));
 * assert.ok(isWithin("/src/app", "/src/app"));
 * assert.ok(!isWithin("/src/app", "/src/apple"));
 * assert.ok(!isWithin("/src/app", "/src/app/../other"));
 * ```
 * @module
 */

import { isAbsolute, relative } from "node:path";

/** Whether `path` is `dir` or below it (both absolute). */
export function isWithin(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
