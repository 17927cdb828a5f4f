/**
 * What a task id may be, one rule for the tools that take one and the branches named after it:
 * 1 to 64 letters, digits, `_` and `-`, starting with a letter or digit. So an id is never a path
 * (no `.`, `/` or NUL), never read as an option, and always a valid git branch component and
 * directory name (`codex-swarm/<id>`). The ids codex-swarm makes (12 hex digits, a group's `g-`
 * and 12) fit it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.ok(isTaskId("3f9a0c1d2e4b"));
 * assert.ok(!isTaskId("../etc"));
 * assert.ok(!isTaskId("a.lock"));
 * assert.ok(!isTaskId("-x"));
 * ```
 * @module
 */

/** A task id: 1 to 64 letters, digits, `_` and `-`, the first a letter or digit. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** {@link TASK_ID_PATTERN} in words, for messages. */
export const TASK_ID_RULE = '1 to 64 letters, digits, "_" or "-", starting with a letter or digit';

/** Whether `id` has the form of a task id. */
export function isTaskId(id: string): boolean {
  return TASK_ID_PATTERN.test(id);
}
