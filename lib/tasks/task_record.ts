/**
 * A task as the engine holds it in memory: its saved meta, its live turn state, the session and
 * app-server it runs with, and the promises and clocks of its run. {@link snapshotOf} gives the
 * copy that tools and resources see.
 *
 * @example Not run: it needs a task's record and its app-server events (`meta`, `event`).
 * ```ts ignore
 * const record = new TaskRecord(meta, session);
 * record.run = applyEvent(record.run, event);
 * const view = snapshotOf(record, null);
 * ```
 * @module
 */

import type { AppServer } from "../codex/app_server.ts";
import { Policy, sandboxRank } from "../codex/policy.ts";
import type { ThreadSettings } from "../codex/thread_params.ts";
import type { SandboxPolicy } from "../codex/protocol/generated/v2/SandboxPolicy.ts";
import { initialTurnState, type TurnState } from "../codex/turn_state.ts";
import type { Session } from "./engine_api.ts";
import { isFinal, type SessionRecord, type TaskMeta, type TaskSnapshot } from "./task.ts";
import type { PendingQuestion } from "./pending_question.ts";
import type { AnnouncedChange } from "./questions.ts";
import type { TimeBudget } from "./time_budget.ts";

/** One task in memory (final tasks are done from the start). */
export class TaskRecord {
  run: TurnState = initialTurnState();
  server: AppServer | null = null;
  /** Why the task's record cannot be written now (it is tried again), or null. */
  recordError: string | null = null;
  /** The wait before the next try of the record, in ms (0: none failed yet). */
  recordRetryMs = 0;
  /** The timer of that try, while one waits. */
  recordRetry?: ReturnType<typeof setTimeout>;
  /** What the session's environment changes for the task's sandboxed commands. */
  commandEnv: Record<string, string> = {};
  done = Promise.withResolvers<void>();
  /** Settles when this task's turn completed (or its server exited). */
  turnEnded = Promise.withResolvers<void>();
  /** File changes announced by `item/started`, by item id (approvals carry no diff). */
  changes = new Map<string, AnnouncedChange[]>();
  pending: PendingQuestion | null = null;
  questions = 0;
  /** The time limit, as running time (set when the task starts). */
  budget: TimeBudget | null = null;
  saving: Promise<void> = Promise.resolve();
  /** Why the server went away under this task, if it did. */
  serverGone: string | null = null;
  /** The thread's sandbox as Codex answered `thread/start`, `thread/resume` or `thread/fork`. */
  sandbox: SandboxPolicy | null = null;
  /**
   * The thread settings of its plan; null for a task a restart queued again (built from its
   * record when it starts).
   */
  thread: ThreadSettings | null = null;
  /** Aborted when the task is stopped (cancel or time limit): ends its set-up or check command. */
  stopping = new AbortController();

  constructor(public meta: TaskMeta, public session: Session | null) {
    if (isFinal(meta.phase)) this.done.resolve();
  }
}

/**
 * The view of a record that leaves the engine: a copy of its meta without the session's
 * environment, its live state, and how long it has run.
 * @param backoffUntil When the queue's back-off ends (ISO), shown on a queued task, or null.
 */
export function snapshotOf(record: TaskRecord, backoffUntil: string | null): TaskSnapshot {
  const { meta } = record;
  const from = Date.parse(meta.startedAt ?? meta.createdAt);
  const to = meta.endedAt ? Date.parse(meta.endedAt) : Date.now();
  // The session's environment stays in the record: views never show it, and copying it on every
  // notification of every running task costs more than all the rest.
  const { session, ...rest } = meta;
  const copy: TaskMeta = structuredClone(rest);
  if (session) copy.session = { ...session, env: {} };
  return {
    meta: copy,
    run: record.run,
    elapsedMs: Math.max(0, to - from),
    question: record.pending ? { ...record.pending.view } : null,
    backoffUntil: meta.phase === "queued" ? backoffUntil : null,
    recordError: record.recordError,
  };
}

/** The session fields a task keeps on disk (so a queued task survives a restart). */
export function sessionRecord(session: Session): SessionRecord {
  const { id, kind, taskId, defaults, taskTimeoutS, cwd, env } = session;
  const maxSandbox = session.policy?.maxSandbox ?? null;
  const allowRoots = [...session.policy?.allowRoots ?? []];
  return { id, kind, taskId, defaults, taskTimeoutS, cwd, env, maxSandbox, allowRoots };
}

/**
 * The session a queued task starts with after a restart, from its record: its policy holds its
 * sandbox ceiling (the more confined of the record's and the `operator`'s) and its roots (the
 * operator's where the record has none). A record without a kind (written before sessions had one) says nothing of who
 * opened it: `task`, as for a peer the supervisor cannot tell.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Policy } from "../codex/policy.ts";
 *
 * // A record of codex-swarm 0.2.0 (meta.json's `session`), before sessions had a kind.
 * const old = {
 *   id: "s-1a2b3c4d",
 *   defaults: { overrides: [], skipGitRepoCheck: false, ephemeral: false },
 *   taskTimeoutS: 3600,
 *   cwd: "/src/app",
 *   env: {},
 * };
 * const session = sessionFromRecord(old, new Policy({ allowRoots: ["/src"] }));
 * assert.deepEqual(session.policy.allowRoots, ["/src"]);
 * assert.equal(session.kind, "task");
 * assert.equal(session.taskId, null);
 * ```
 */
export function sessionFromRecord(
  record: SessionRecord,
  operator: Policy,
): Session & { policy: Policy } {
  const { maxSandbox, allowRoots, ...rest } = record;
  const ceilings = [maxSandbox ?? null, operator.maxSandbox].filter((m) => m !== null);
  const policy = new Policy({
    maxSandbox: ceilings.sort((a, b) => sandboxRank(a) - sandboxRank(b))[0] ?? null,
    allowRoots: allowRoots?.length ? allowRoots : [...operator.allowRoots],
  });
  return { ...rest, kind: record.kind ?? "task", taskId: record.taskId ?? null, policy };
}

/** A new task id: 12 hex digits. */
export function newTaskId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}
