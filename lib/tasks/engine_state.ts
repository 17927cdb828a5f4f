/**
 * What the parts of the task engine share: the tasks in memory, the threads they hold, the
 * app-servers, the listeners, and the views of a task (its snapshot, its change events, its saved
 * record). The parts (task_creation.ts, scheduling.ts, task_run.ts, event_routing.ts,
 * task_ending.ts) each take this state; app_engine.ts wires them.
 *
 * @example Not run: needs a task store, worktrees and Codex: see app_engine_test.ts.
 * ```ts ignore
 * const state = new EngineState(options, { onEvent, onRequest, onExit });
 * state.emit(record, "Starting Codex");
 * await state.save(record);
 * ```
 * @module
 */

import type { EngineConfig } from "./engine_config.ts";
import type { AppServer } from "../codex/app_server.ts";
import { initialTurnState } from "../codex/turn_state.ts";
import type { Logger } from "../base/log.ts";
import type { WorktreeInfo, WorktreeManager } from "../git/worktree.ts";
import { ThreadLinks } from "../git/thread_links.ts";
import {
  codexHomeOf,
  commandEnvOverrides,
  credentialsOf,
  providerEnvKeys,
} from "../codex/client_env.ts";
import { findThreadRollout } from "../codex/codex_threads.ts";
import { codexKnowsThread } from "../codex/thread_lookup.ts";
import type { ChangeListener, PlanFacts, Session, TaskPlan } from "./engine_api.ts";
import { type Backoff, NO_BACKOFF, startAllowedAt } from "./backoff.ts";
import { CodexPool, type CodexPoolOptions } from "./codex_pool.ts";
import type { TaskMeta, TaskRequest, TaskSnapshot } from "./task.ts";
import type { TaskStore } from "./task_store.ts";
import { snapshotOf, TaskRecord } from "./task_record.ts";
import { RemoteTasks, type WorkerDirectory } from "./remote_tasks.ts";
import { messageOf } from "../base/errors.ts";
import { truncate } from "../base/text.ts";

/** What {@link AppServerEngine} needs. */
export interface AppServerEngineOptions {
  /** The server's flags the engine uses (see supervisor/cli.ts). */
  config: EngineConfig;
  store: TaskStore;
  worktrees: WorktreeManager;
  log: Logger;
  /** The session queued tasks of codex-swarm 0.1 (which kept none) run for after an upgrade. */
  fallbackSession: Session;
  /**
   * The environment of every app-server (its PATH finds Codex, its CODEX_HOME is Codex's): the
   * supervisor's, never a session's, which adds only its model credentials. Default: the
   * fallback session's.
   */
  codexEnv?: Record<string, string>;
  /**
   * How a request becomes a plan (lib/request/task_plan.ts `planTask`): a task the engine starts
   * itself (a merge's resolving task) is checked as a call's is.
   */
  planTask: (request: TaskRequest, session: Session, facts: PlanFacts) => Promise<TaskPlan>;
  /** The workers tasks may run on (docs/workers.md), `local` among them unless `--no-local`. */
  workers: WorkerDirectory;
}

/** Where the app-servers' notifications, questions and exits go (event_routing.ts). */
export type ServerHandlers = Pick<CodexPoolOptions, "onEvent" | "onRequest" | "onExit">;

/** The first wait before a record that could not be written is written again (then doubled). */
const RECORD_RETRY_FIRST_MS = 500;
/** The longest wait between two tries: a disk that has space again is used within this. */
const RECORD_RETRY_MAX_MS = 30_000;

/**
 * Whether a failed write may succeed later (no space, an I/O error): a missing or read-only task
 * directory is not retried, it is reported (as a new task's start is refused).
 *
 * @example
 * ```ts
 * if (isTransientWriteError(new Deno.errors.NotFound("gone"))) throw new Error("retried");
 * ```
 */
export function isTransientWriteError(error: unknown): boolean {
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
    return false;
  }
  return !/Read-only file system|EROFS|Not a directory/i.test(String(error));
}

/** The time now, as recorded in a task's meta. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** The first line of `text`, cut to `max` characters. */
export function firstLine(text: string, max = 72): string {
  return truncate(text.split("\n", 1)[0]!.trim(), max);
}

/** The engine's shared state and the views of its tasks. */
export class EngineState {
  readonly tasks = new Map<string, TaskRecord>();
  /** Thread id -> the unfinished task on it (a reply reserves its thread when it is made). */
  readonly byThread = new Map<string, string>();
  readonly listeners = new Set<ChangeListener>();
  readonly sessions = new Map<string, Session>();
  readonly pool: CodexPool;
  /** See {@link AppServerEngineOptions.codexEnv}. */
  readonly codexEnv: Record<string, string>;
  /** The `env_key`s of Codex's model providers: credentials a session may bring. */
  readonly providerKeys: string[];
  /** Thread -> worktree, on disk for as long as the worktree exists (replies continue there). */
  readonly links: ThreadLinks;
  /** Where tasks run: this machine or a worker (remote_tasks.ts). */
  readonly remote: RemoteTasks;
  /** Starts are held back while the model API rate-limits (see backoff.ts). */
  backoff: Backoff = NO_BACKOFF;
  closed = false;

  constructor(readonly options: AppServerEngineOptions, handlers: ServerHandlers) {
    this.codexEnv = options.codexEnv ?? options.fallbackSession.env;
    this.providerKeys = providerEnvKeys(this.codexEnv);
    this.pool = new CodexPool({
      bin: options.config.codexBin,
      env: this.codexEnv,
      log: options.log,
      // Not the supervisor's directory (its token): a set-up or check may write where Codex runs.
      cwd: `${options.store.root}/.app-server`,
      ...handlers,
    });
    this.links = new ThreadLinks(`${options.worktrees.worktreeDir}/.threads`);
    this.remote = new RemoteTasks(options.workers, options.config.maxParallel);
  }

  get log(): Logger {
    return this.options.log;
  }

  addRecord(meta: TaskMeta, session: Session | null): TaskRecord {
    const record = new TaskRecord(meta, session);
    this.tasks.set(meta.id, record);
    return record;
  }

  require(id: string, verb: string): TaskRecord {
    const record = this.tasks.get(id);
    if (!record) throw new Error(`Cannot ${verb} task "${id}" as no such task is known`);
    return record;
  }

  /** The metas of the tasks in memory. */
  metas(): TaskMeta[] {
    return [...this.tasks.values()].map((r) => r.meta);
  }

  /** Loads a final task's state in the background (its saved state; none for 0.1's tasks). */
  loadRunLater(record: TaskRecord): void {
    const { meta } = record;
    this.options.store.readRun(meta.id).then((run) => {
      if (run) record.run = { ...initialTurnState(), ...run };
    }).catch((error) => this.log.warning(`Cannot load task ${meta.id}: ${error}`));
  }

  /** The worktree the newest task on `threadId` worked in, or the one recorded for the thread. */
  worktreeOfThread(threadId: string): WorktreeInfo | null {
    const owners = [...this.tasks.values()]
      .filter((r) => r.meta.threadId === threadId && r.meta.worktree)
      .sort((a, b) => b.meta.createdAt.localeCompare(a.meta.createdAt));
    return owners[0]?.meta.worktree ?? this.links.load(threadId);
  }

  /** The workspace on its worker of the task whose worktree `meta` continues in (a reply's). */
  remoteOfWorktree(meta: TaskMeta): NonNullable<TaskMeta["remote"]> | null {
    const owner =
      this.metas().filter((m) =>
        m.id !== meta.id && m.remote && m.worker === meta.worker &&
        m.worktree?.path === meta.worktree?.path
      ).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    return owner?.remote ?? null;
  }

  /**
   * The fingerprint of the AGENTS.md instructions last sent to `threadId`: the newest of its tasks
   * (but `exceptId`) that recorded one; undefined when none did; null for no thread.
   */
  projectDocsOf(threadId: string | null, exceptId: string): string | null | undefined {
    if (threadId === null) return null;
    const recorded = this.metas().filter((m) =>
      m.threadId === threadId && m.id !== exceptId && m.projectDocs !== undefined
    ).sort((a, b) => (b.startedAt ?? b.createdAt).localeCompare(a.startedAt ?? a.createdAt));
    return recorded[0]?.projectDocs;
  }

  /** The app-server a session's tasks run on: the one of its model credentials. */
  serverFor(session: { env: Record<string, string> }): Promise<AppServer> {
    return this.pool.get(credentialsOf(session.env, this.providerKeys));
  }

  /**
   * Whether the session's Codex has thread `threadId`: asked by id where Codex can say (0.171 on),
   * else looked for on disk; true when neither can tell (no CODEX_HOME known, Codex not starting:
   * the reply then fails with Codex's own error).
   */
  async knowsThread(threadId: string, session: { env: Record<string, string> }): Promise<boolean> {
    const server = await this.serverFor(session).catch(() => null);
    const asked = server === null ? null : await codexKnowsThread(server, threadId).catch((e) => {
      this.log.warning(`Cannot ask Codex for thread ${threadId}: ${messageOf(e)}`);
      return null;
    });
    if (asked !== null) return asked;
    const home = codexHomeOf(this.codexEnv);
    return home === null || findThreadRollout(home, threadId) !== null;
  }

  /** What a request's plan reads of the engine (engine_api.ts). */
  facts(): PlanFacts {
    return {
      task: (id) => this.tasks.get(id),
      tasksOn: (threadId) => this.metas().filter((m) => m.threadId === threadId),
      worktreeOfThread: (threadId) => this.worktreeOfThread(threadId),
      knowsThread: (threadId, session) => this.knowsThread(threadId, session),
      worker: (request, parent, worktree) => this.remote.check(request, parent, worktree),
      codexHome: codexHomeOf(this.codexEnv) ?? "",
      worktrees: this.options.worktrees,
    };
  }

  /** What the session's environment changes for the commands inside the sandbox. */
  commandEnv(session: { env: Record<string, string> }): Record<string, string> {
    return commandEnvOverrides(
      session.env,
      this.codexEnv,
      credentialsOf(session.env, this.providerKeys),
    );
  }

  snapshot(record: TaskRecord): TaskSnapshot {
    const backoffUntil = startAllowedAt(this.backoff, Date.now())
      ? null
      : new Date(this.backoff.until!).toISOString();
    return snapshotOf(record, backoffUntil);
  }

  /** Tells every listener of the task's change; `step` describes it when it is a step. */
  emit(record: TaskRecord, step: string | null): void {
    if (this.listeners.size === 0) return;
    const snapshot = this.snapshot(record);
    for (const listener of this.listeners) {
      try {
        listener(snapshot, step);
      } catch (error) {
        this.log.warning(`A task listener failed: ${error}`);
      }
    }
  }

  /** Writes the task's meta (in order); a transient failure is retried until it succeeds. */
  save(record: TaskRecord): Promise<void> {
    const copy = structuredClone(record.meta);
    record.saving = record.saving
      .then(() => this.options.store.save(copy))
      .then(() => {
        if (record.recordError === null) return;
        record.recordError = null;
        record.recordRetryMs = 0;
        this.log.info(`Task ${copy.id}'s record is written again`, { id: copy.id });
        this.emit(record, null);
      })
      .catch((error) => this.#saveFailed(record, copy.id, error));
    return record.saving;
  }

  #saveFailed(record: TaskRecord, id: string, error: unknown): void {
    this.log.error(`Cannot save task ${id}: ${error}`, { id });
    if (!isTransientWriteError(error) || this.closed) return;
    // No space or an I/O error: the record is written again until it is, and shows why.
    const first = record.recordError === null;
    record.recordError = `Cannot write the task's record: ${messageOf(error)}`;
    if (first) this.emit(record, null);
    if (record.recordRetry !== undefined) return;
    record.recordRetryMs = Math.min(
      RECORD_RETRY_MAX_MS,
      Math.max(RECORD_RETRY_FIRST_MS, record.recordRetryMs * 2),
    );
    record.recordRetry = setTimeout(() => {
      record.recordRetry = undefined;
      if (!this.closed) this.save(record);
    }, record.recordRetryMs);
  }
}
