/**
 * Parts an engine test builds its engine from: a client's session, and a worker pool of `local`
 * only (no `[[workers]]`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const session = clientSession("/repo", { taskTimeoutS: 0 });
 * assert.equal(session.kind, "client");
 * assert.equal(session.taskTimeoutS, 0);
 * ```
 * @module
 */

import type { Logger } from "../../lib/base/log.ts";
import type { Session } from "../../lib/tasks/engine_api.ts";
import { WorkerPool } from "../../lib/workers/worker_pool.ts";

/** A client's session running tasks in `cwd` (git checks skipped, 120 s limit), then `extra`. */
export function clientSession(cwd: string, extra: Partial<Session> = {}): Session {
  return {
    id: `s-${crypto.randomUUID().slice(0, 6)}`,
    kind: "client",
    taskId: null,
    defaults: { overrides: [], skipGitRepoCheck: true, ephemeral: false },
    taskTimeoutS: 120,
    cwd,
    env: { PATH: "/usr/bin:/bin" },
    ...extra,
  };
}

/** The pool of a supervisor with no workers configured: `local`, with `localCap` slots. */
export function localWorkers(localCap: number, log: Logger): WorkerPool {
  return new WorkerPool({
    workers: [],
    noLocal: false,
    localCap,
    log,
    codexVersion: () => Promise.resolve(null),
  });
}
