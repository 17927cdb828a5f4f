/**
 * A task record for unit tests: every field of {@link TaskMeta} with a neutral value; a worktree
 * ({@link worktreeInfo}) at a path.
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
import type { WorktreeInfo } from "../../lib/git/worktree.ts";

/** A queued task with id `id`, then `extra` on top. */
export function taskMeta(id: string, extra: Partial<TaskMeta> = {}): TaskMeta {
  return {
    version: 1,
    engine: "app-server",
    id,
    phase: "queued",
    request: { prompt: "p" },
    createdAt: new Date().toISOString(),
    startedAt: null,
    endedAt: null,
    deadline: null,
    cwd: null,
    threadId: null,
    finalMessage: null,
    failure: null,
    cancelRequested: false,
    timedOut: false,
    worktree: null,
    worktreeOutcome: null,
    ...extra,
  };
}

/**
 * A `meta.json` as codex-swarm 0.1 wrote it (lib/task.ts of 0.1.0): no `engine`, and the fields
 * of its `codex exec` process; then `extra` on top.
 */
export function v01Meta(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { engine: _, ...meta } = taskMeta(id);
  return {
    ...meta,
    argv: ["exec", "--json", "--", meta.request.prompt],
    pid: null,
    pidStartTime: null,
    exit: null,
    owner: null,
    ...extra,
  };
}

/** A worktree at `path` (its cwd too) of repository `/repo`, on branch `codex-swarm/p`. */
export function worktreeInfo(path: string): WorktreeInfo {
  return {
    repoRoot: "/repo",
    path,
    branch: "codex-swarm/p",
    baseRef: "main",
    baseCommit: "0".repeat(40),
    cwd: path,
  };
}
