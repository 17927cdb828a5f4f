/**
 * Task records written by codex-swarm 0.1, whose engine ran one `codex exec --json` per task, as
 * this version lists them. Their event logs are not read: what `meta.json` holds (the thread id, the
 * final message, the worktree) is what is shown. One that had started and not ended (or one 0.1
 * called `lost`) is `interrupted`: its `codex exec`, if it still runs, is not followed, and its
 * thread can be continued with `codex-reply`. One that never started stays queued (and runs, for
 * the supervisor's own session); a finished one keeps its phase.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const meta = fromV01(JSON.parse(`{
 *   "version": 1, "id": "t1", "phase": "running", "request": { "prompt": "hi" },
 *   "createdAt": "2026-01-01T00:00:00.000Z", "startedAt": "2026-01-01T00:00:01.000Z",
 *   "endedAt": null, "deadline": null, "cwd": "/repo", "threadId": "th-1", "finalMessage": null,
 *   "failure": null, "cancelRequested": false, "timedOut": false, "worktree": null,
 *   "worktreeOutcome": null, "pid": 4242, "argv": ["exec", "--json", "hi"]
 * }`));
 * assert.equal(meta.phase, "interrupted");
 * assert.ok(!("pid" in meta));
 * ```
 * @module
 */

import { isFinal, type Phase, PHASES, type TaskMeta } from "./task.ts";

/** The fields of a 0.1 record that this version no longer keeps (its `codex exec` process). */
const V01_ONLY = ["argv", "pid", "pidStartTime", "exit", "owner"] as const;

/**
 * A record as this version keeps it: one of the app-server engine as it is; one of 0.1 (no
 * `engine`) without its process fields, and `interrupted` if it started and did not end. Pure.
 */
export function fromV01(record: TaskMeta): TaskMeta {
  if (record.engine === "app-server") return record;
  const meta: Record<string, unknown> = { ...record };
  const pid = typeof meta.pid === "number" ? ` (pid ${meta.pid})` : "";
  for (const field of V01_ONLY) delete meta[field];
  const upgraded = meta as unknown as TaskMeta;
  const phase: string = record.phase;
  if ((PHASES as readonly string[]).includes(phase) && isFinal(phase as Phase)) return upgraded;
  if (phase === "queued" || record.startedAt === null) return upgraded;
  return {
    ...upgraded,
    phase: "interrupted",
    endedAt: record.endedAt ?? record.startedAt ?? record.createdAt,
    failure: (phase === "lost" && record.failure ? `${record.failure}. ` : "") +
      `Started by codex-swarm 0.1, whose codex exec${pid} this version does not follow; ` +
      (record.threadId
        ? `its thread ${record.threadId} can be continued with codex-reply`
        : "Codex had not reported its thread"),
  };
}
