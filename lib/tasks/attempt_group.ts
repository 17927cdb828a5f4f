/**
 * Best of N: a group of attempts of one prompt, each its own task (own thread, worktree and
 * branch). A group has no record of its own: each attempt's request carries `group: {id, index,
 * size}`, saved with the task, and the group is the set of tasks with that id (so it survives a
 * supervisor restart with its tasks, and goes with them when the sweep removes them).
 *
 * Pure: the group id, the requests of the attempts, and the
 * ranking: check passed first, then the smaller diff (insertions + deletions of the attempt's
 * commit), then the earlier end; unfinished attempts last, ties by attempt index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const request = { prompt: "make the tests pass", worktree: true };
 * const requests = attemptRequests(request, 4, newGroupId()); // four requests, index 0 to 3
 * assert.equal(requests.length, 4);
 * // rankAttempts(tasks)[0] is the best of a group's finished tasks.
 * ```
 * @module
 */

import { isFinal, type TaskMeta, type TaskRequest } from "./task.ts";

/** A new group id. */
export function newGroupId(): string {
  return `g-${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** Whether `id` names a group (not a task): `g-` and 12 hex digits (never a task's id). */
export function isGroupId(id: string): boolean {
  return /^g-[0-9a-f]{12}$/.test(id);
}

/** The request of each attempt: the same request, each with its place in the group. */
export function attemptRequests(
  request: TaskRequest,
  attempts: number,
  groupId: string,
): TaskRequest[] {
  return Array.from({ length: attempts }, (_, index) => ({
    ...request,
    group: { id: groupId, index, size: attempts },
  }));
}

/** Insertions plus deletions of the attempt's commit, or null when it has none yet. */
export function diffSize(meta: Pick<TaskMeta, "worktreeOutcome">): number | null {
  const outcome = meta.worktreeOutcome;
  if (!outcome || outcome.error !== undefined) return null;
  return outcome.insertions + outcome.deletions;
}

type Rankable = Pick<
  TaskMeta,
  "id" | "phase" | "check" | "worktreeOutcome" | "endedAt" | "request"
>;

/** The attempts (tasks, or anything with their `meta`), best first, in a new array. */
export function rankAttempts<T extends { meta: Rankable }>(attempts: readonly T[]): T[] {
  const passed = (m: Rankable) => (isFinal(m.phase) && m.check?.passed === true ? 0 : 1);
  const unfinished = (m: Rankable) => (isFinal(m.phase) ? 0 : 1);
  const size = (m: Rankable) => diffSize(m) ?? Number.POSITIVE_INFINITY;
  const end = (m: Rankable) => (m.endedAt ? Date.parse(m.endedAt) : Number.POSITIVE_INFINITY);
  const index = (m: Rankable) => m.request.group?.index ?? 0;
  // The better one first (see the module doc).
  return [...attempts].sort(({ meta: a }, { meta: b }) =>
    passed(a) - passed(b) || unfinished(a) - unfinished(b) ||
    (size(a) === size(b) ? 0 : size(a) < size(b) ? -1 : 1) ||
    (end(a) === end(b) ? 0 : end(a) < end(b) ? -1 : 1) ||
    index(a) - index(b)
  );
}
