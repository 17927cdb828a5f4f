/**
 * A task record for unit tests: every field of {@link TaskMeta} with a neutral value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const meta = taskMeta("aaa", { phase: "running" });
 * assert.equal(meta.id, "aaa");
 * assert.equal(meta.phase, "running");
 * ```
 * @module
 */

import type { TaskMeta } from "../../lib/tasks/task.ts";

/** A queued task with id `id`, then `extra` on top. */
export function taskMeta(id: string, extra: Partial<TaskMeta> = {}): TaskMeta {
  return {
    version: 1,
    id,
    phase: "queued",
    request: { prompt: "p" },
    createdAt: new Date().toISOString(),
    startedAt: null,
    endedAt: null,
    deadline: null,
    cwd: null,
    argv: null,
    pid: null,
    pidStartTime: null,
    exit: null,
    threadId: null,
    finalMessage: null,
    failure: null,
    cancelRequested: false,
    timedOut: false,
    worktree: null,
    worktreeOutcome: null,
    owner: null,
    ...extra,
  };
}
