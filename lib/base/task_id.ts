/**
 * What a task id may be, one rule for the tools that take one and the branches named after it:
 * 1 to 64 letters, digits, `_` and `-`. So an id is never a path (no `.`, `/` or NUL) and always
 * a valid git branch component (`codex-swarm/<id>`). The ids codex-swarm makes (12 hex digits, a
 * group's `g-` and 12) fit it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.ok(isTaskId("3f9a0c1d2e4b"));
 * assert.ok(!isTaskId("../etc"));
 * assert.ok(!isTaskId("a.lock"));
 * ```
 * @module
 */

/** A task id: letters, digits, `_` and `-`, 1 to 64 (no `.`, `/`, NUL: never a path). */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `id` has the form of a task id. */
export function isTaskId(id: string): boolean {
  return TASK_ID_PATTERN.test(id);
}
