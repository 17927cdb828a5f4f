/**
 * The task engine on `codex app-server`: each task is a turn of an app-server thread. It queues
 * tasks fairly across sessions up to a cap, starts them on the app-server of their session's
 * environment, folds the server's notifications into each task's state with the pure
 * {@link applyEvent}, routes Codex's questions (approvals) to the session that started the task,
 * steers running turns, enforces time limits (time spent waiting for an answer does not count),
 * cancels, commits worktrees, and keeps every task on disk.
 *
 * One process (the supervisor) owns all state: there is no owner per task and no polling of
 * processes. After a restart, tasks that were running are `interrupted` (their threads can be
 * continued with `codex-reply`); queued tasks start as usual; nothing that ran re-runs by itself.
 * Every end commits a worktree task's work, a supervisor stop too: the stopping supervisor commits
 * after its app-servers are gone, and the next one (after a crash or kill -9) first ends what the
 * dead one left running in the worktree, then commits, then serves.
 * Tasks recorded by the exec-per-task engine of codex-swarm 0.1 stay listed (see legacy.ts).
 *
 * Data flows one way: request -> task record -> app-server -> notifications -> applyEvent ->
 * task state -> listeners (the MCP sessions).
 *
 * @example
 * ```ts
 * const engine = new AppServerEngine({ config, store, worktrees, log });
 * await engine.init();
 * const task = await engine.start({ prompt: "fix the tests" }, session);
 * const done = await engine.finished(task.meta.id);
 * ```
 * @module
 */

import type { AppServer } from "../codex/app_server.ts";
import { type AppServerEvent, type ServerRequest, threadIdOf } from "../codex/events.ts";
import { stopTurn } from "../codex/stop_turn.ts";
import { type CommandOutcome, runSandboxed } from "../codex/sandboxed_command.ts";
import { checkOutputSchema, readStructuredResult } from "../codex/output_schema.ts";
import { buildThreadParams, checkAddDirsSandbox } from "../codex/thread_params.ts";
import { readProjectContext } from "../codex/project_context.ts";
import { projectDocsChange } from "../codex/project_docs.ts";
import { capSandbox } from "../codex/sandbox_cap.ts";
import { applyEvent, describeStep, initialTurnState } from "../codex/turn_state.ts";
import type { ServerConfig } from "../supervisor/cli.ts";
import type {
  CancelResult,
  ChangeListener,
  CodexProcessInfo,
  Engine,
  Session,
} from "./engine_api.ts";
import type { Logger } from "../base/log.ts";
import {
  type AnsweredQuestion,
  isFinal,
  type Phase,
  type TaskMeta,
  type TaskRequest,
  type TaskSnapshot,
  type WorktreeOutcome,
} from "./task.ts";
import type { TaskStore } from "./task_store.ts";
import type { WorktreeInfo, WorktreeManager } from "../git/worktree.ts";
import { CodexPool } from "./codex_pool.ts";
import {
  codexHomeOf,
  commandEnvOverrides,
  credentialsOf,
  providerEnvKeys,
} from "../request/client_env.ts";
import { findThreadRollout } from "../codex/codex_threads.ts";
import { codexKnowsThread } from "../codex/thread_lookup.ts";
import { checkNoApprovals, grantWithin, mayBeAsked, taskSessionPolicy } from "./session_rights.ts";
import { Policy } from "../request/policy.ts";
import { checkTaskRequest, RequestError } from "../request/request_check.ts";
import { commitTaskWork } from "../git/task_commit.ts";
import { killProcessesIn } from "../base/leftover_processes.ts";
import { hasSetup, setUpWorktree } from "../git/worktree_setup.ts";
import { collectReview, reviewUsage } from "./review_run.ts";
import { ThreadLinks } from "../git/thread_links.ts";
import { afterTaskEnd, type Backoff, backoffStep, NO_BACKOFF, startAllowedAt } from "./backoff.ts";
import { FairQueue } from "./fair_queue.ts";
import { type ForkRequest, startForks } from "./fork.ts";
import { LegacyTasks } from "../legacy/legacy.ts";
import { PendingQuestion } from "./pending_question.ts";
import { taskEnd } from "./task_end.ts";
import { describeCheck, runTaskCheck } from "./attempt_check.ts";
import { TimeBudget } from "./time_budget.ts";
import { sweepTasks } from "./sweep.ts";
import { parentThreadOf, prepareStart, resolveCwd } from "./task_start.ts";
import { openThread, startTurn } from "./thread_turn.ts";
import { type WaitForResult, waitForTasks, type WaitOptions } from "./wait_for.ts";
import {
  newTaskId,
  newTaskRecord,
  sessionFromRecord,
  sessionRecord,
  snapshotOf,
  type TaskRecord,
} from "./task_record.ts";
import type { SessionRecord } from "./task.ts";
import { type Decision, describeQuestion } from "./questions.ts";
import { RemoteTasks, type WorkerDirectory } from "./remote_tasks.ts";
import { LOCAL_WORKER } from "./placement.ts";

/** What {@link AppServerEngine} needs. */
export interface AppServerEngineOptions {
  config: Pick<ServerConfig, "codexBin" | "maxParallel" | "taskMaxAgeS">;
  store: TaskStore;
  worktrees: WorktreeManager;
  log: Logger;
  /** The session queued tasks of codex-swarm 0.1 run for after an upgrade. */
  fallbackSession: Session;
  /**
   * The environment of every app-server (its PATH finds Codex, its CODEX_HOME is Codex's): the
   * supervisor's, never a session's, which adds only its model credentials. Default: the
   * fallback session's.
   */
  codexEnv?: Record<string, string>;
  /** How the pool starts app-servers (tests pass their own). */
  pool?: (options: ConstructorParameters<typeof CodexPool>[0]) => CodexPool;
  /** The workers tasks may run on (docs/workers.md); absent: this machine only. */
  workers?: WorkerDirectory | null;
}

const MAX_ANSWERED = 50;
/** The first wait before a record that could not be written is written again (then doubled). */
const RECORD_RETRY_FIRST_MS = 500;
/** The longest wait between two tries: a disk that has space again is used within this. */
const RECORD_RETRY_MAX_MS = 30_000;

/**
 * Whether a failed write may succeed later (no space, an I/O error): a missing or read-only task
 * directory is not retried, it is reported (as a new task's start is refused).
 */
export function isTransientWriteError(error: unknown): boolean {
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
    return false;
  }
  return !/Read-only file system|EROFS|Not a directory/i.test(String(error));
}

function nowIso(): string {
  return new Date().toISOString();
}

function firstLine(text: string, max = 72): string {
  const line = text.split("\n", 1)[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs tasks as turns of app-server threads. */
export class AppServerEngine implements Engine, AsyncDisposable {
  #options: AppServerEngineOptions;
  #tasks = new Map<string, TaskRecord>();
  /** Thread id -> the unfinished task on it (a reply reserves its thread when it is made). */
  #byThread = new Map<string, string>();
  #queue = new FairQueue();
  #active = new Set<string>();
  #listeners = new Set<ChangeListener>();
  #sessions = new Map<string, Session>();
  #pool: CodexPool;
  /** See {@link AppServerEngineOptions.codexEnv}. */
  #codexEnv: Record<string, string>;
  /** The `env_key`s of Codex's model providers: credentials a session may bring. */
  #providerKeys: string[];
  #legacy: LegacyTasks;
  /** Thread -> worktree, on disk for as long as the worktree exists (replies continue there). */
  #links: ThreadLinks;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  /** Starts are held back while the model API rate-limits (see backoff.ts). */
  #backoff: Backoff = NO_BACKOFF;
  #backoffTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** While above 0, queued tasks wait (forks are made all or none before any starts). */
  #held = 0;
  /** Where tasks run: this machine or a worker (remote_tasks.ts). */
  #remote: RemoteTasks;

  constructor(options: AppServerEngineOptions) {
    this.#options = options;
    this.#codexEnv = options.codexEnv ?? options.fallbackSession.env;
    this.#providerKeys = providerEnvKeys(this.#codexEnv);
    const poolOptions = {
      bin: options.config.codexBin,
      env: this.#codexEnv,
      log: options.log,
      // Not the supervisor's directory (its token): a set-up or check may write where Codex runs.
      cwd: `${options.store.root}/.app-server`,
      onEvent: (server: AppServer, event: AppServerEvent) => this.#onEvent(server, event),
      onRequest: (server: AppServer, request: ServerRequest) => this.#onRequest(server, request),
      onExit: (server: AppServer, exit: Awaited<AppServer["exited"]>) =>
        this.#onServerExit(server, exit),
    };
    this.#pool = options.pool ? options.pool(poolOptions) : new CodexPool(poolOptions);
    this.#legacy = new LegacyTasks({ store: options.store, log: options.log });
    this.#links = new ThreadLinks(`${options.worktrees.worktreeDir}/.threads`);
    this.#remote = new RemoteTasks({
      workers: options.workers ?? null,
      localCap: options.config.maxParallel,
      log: options.log,
    });
    options.workers?.onChange((status) => this.#onWorkerChange(status.name, status.state));
  }

  /** The workers, each with how many tasks run there (for server-info). */
  workers(): Array<Record<string, unknown>> {
    return this.#remote.slots(this.#running()).map(({ view, running }) => ({ ...view, running }));
  }

  /** The app-servers that run now (for server-info). */
  codexProcesses(): CodexProcessInfo[] {
    return this.#pool.list();
  }

  codexWarnings(): string[] {
    return this.#pool.warnings();
  }

  /**
   * Loads the tasks on disk without reading their event logs (those load lazily): final tasks as
   * they are, running ones of an earlier supervisor `interrupted` (their work committed first, see
   * {@link #commitInterrupted}), queued ones back in the queue.
   */
  async init(): Promise<void> {
    const { store, log } = this.#options;
    await store.init();
    const stray = await store.removeStrayTemps().catch(() => 0);
    if (stray > 0) log.info(`Removed ${stray} temporary record file(s) a failed write left`);
    const metas = await store.loadAll((id, error) =>
      log.warning(`Cannot read task "${id}": ${messageOf(error)}`)
    );
    metas.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    /** The tasks an earlier supervisor ran when it stopped. */
    const stopped: TaskRecord[] = [];
    for (const meta of metas) {
      const record = this.#addRecord(meta, null);
      if (isFinal(meta.phase)) {
        this.#loadRunLater(record);
      } else if (meta.engine !== "app-server" && meta.pid !== null) {
        // A codex exec of codex-swarm 0.1: followed to its end, then recorded.
        this.#legacy.follow(meta, (final, run) => {
          record.meta = final;
          if (run) record.run = { ...initialTurnState(), ...run };
          this.#save(record);
          record.done.resolve();
          this.#emit(record, `Task ${final.phase}`);
        });
      } else if (meta.phase === "queued" || meta.startedAt === null) {
        meta.phase = "queued";
        record.session = meta.session
          ? {
            ...sessionFromRecord(meta.session),
            policy: new Policy({ maxSandbox: meta.session.maxSandbox ?? null }),
          }
          : { ...this.#options.fallbackSession, id: "upgraded" };
        this.#queue.push(record.session.id, meta.id);
        // A queued reply holds its thread (one turn per thread).
        if (meta.threadId !== null) this.#byThread.set(meta.threadId, meta.id);
      } else {
        this.#interrupt(record, this.#stoppedCause(meta));
        stopped.push(record);
      }
    }
    await this.#commitInterrupted(stopped);
    this.#pump();
    const sweepMs = Math.min(
      600_000,
      Math.max(1000, this.#options.config.taskMaxAgeS * 250),
    );
    this.#sweepTimer = setInterval(() => {
      this.sweep().catch((error) => log.error(`Sweep failed: ${error}`));
    }, sweepMs);
  }

  /** Stops the engine: running turns end with their app-servers (their threads stay resumable). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    clearTimeout(this.#backoffTimer);
    this.#legacy.close();
    const stopped: TaskRecord[] = [];
    for (const record of this.#tasks.values()) {
      record.budget?.stop();
      clearTimeout(record.recordRetry);
      // Running turns end with the app-servers; their threads stay resumable. Queued tasks stay
      // queued on disk for the next supervisor.
      if (isFinal(record.meta.phase) || record.meta.phase === "queued") continue;
      this.#interrupt(record, this.#stoppedCause(record.meta));
      record.turnEnded.resolve();
      stopped.push(record);
    }
    await this.#pool[Symbol.asyncDispose]();
    // Their work is committed once nothing runs in their worktrees any more.
    await this.#commitInterrupted(stopped);
    await Promise.all([...this.#tasks.values()].map((r) => r.saving));
  }

  /** How many tasks are unfinished (the supervisor stays while one is). */
  unfinishedCount(): number {
    return [...this.#tasks.values()].filter((r) => !isFinal(r.meta.phase)).length;
  }

  /** Makes a session known, so questions of tasks whose session went away can go to it. */
  attachSession(session: Session): void {
    this.#sessions.set(session.id, session);
  }

  /** Forgets a session (its client went away); its pending questions wait for another. */
  detachSession(id: string): void {
    this.#sessions.delete(id);
    for (const record of this.#tasks.values()) {
      if (record.session?.id === id) record.session = null;
      if (record.pending?.askedBy === id) record.pending.askedBy = null;
    }
  }

  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Creates and queues a task. A reply (or fork) that continues in its thread's worktree is
   * created under that worktree's lock: a merge or discard of it waits, and then sees this task.
   */
  async start(request: TaskRequest, asking: Session): Promise<TaskSnapshot> {
    const parentThread = parentThreadOf(request);
    const shared = parentThread === undefined ? null : this.#worktreeOfThread(parentThread);
    if (shared === null) return await this.#start(request, asking);
    return await this.#options.worktrees.withWorktreeLock(
      shared.path,
      () => this.#start(request, asking),
    );
  }

  /** {@link start} without the worktree lock (a fork holds it already). */
  async #start(request: TaskRequest, asking: Session): Promise<TaskSnapshot> {
    const session = this.#boundedForTask(request, asking);
    request = this.#checkWorker(request);
    const id = newTaskId();
    // Everything that can be checked is checked before anything is created.
    const { cwd, runCwd, worktree, inherited, ...prepared } = await prepareStart(
      request,
      session,
      {
        check: (r, policy) => this.#check(r, policy),
        requireThread: (threadId) => this.#requireThread(threadId, id, session),
        taskOf: (taskId) => this.#tasks.get(taskId)?.meta,
        worktreeOfThread: (threadId) => this.#worktreeOfThread(threadId),
        unfinishedIn: (path) => this.#unfinishedIn(path),
        worktrees: this.#options.worktrees,
        codexHome: codexHomeOf(this.#codexEnv) ?? "",
      },
      id,
    ).catch((error) => {
      this.#releaseThreads(id);
      throw error;
    });
    try {
      return await this.#create(id, prepared.request, session, cwd, runCwd, worktree);
    } catch (error) {
      await this.#unmake(id, inherited ? null : worktree);
      throw error;
    }
  }

  /**
   * Refuses a request no worker can take (an unknown `worker`, `--no-local` without a worktree);
   * binds a reply, fork or review of a remote task to its worker.
   */
  #checkWorker(request: TaskRequest): TaskRequest {
    const parentThread = parentThreadOf(request);
    const parent = parentThread === undefined ? undefined : [...this.#tasks.values()]
      .map((r) => r.meta).filter((m) => m.threadId === parentThread)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    const worktree = request.worktree === true || (parentThread !== undefined &&
      request.worktree !== false && this.#worktreeOfThread(parentThread) !== null);
    const worker = this.#remote.check(request, parent, worktree);
    return worker === null ? request : { ...request, worker };
  }

  /** The tasks that hold a slot now. */
  #running(): TaskMeta[] {
    return [...this.#active].flatMap((id) => this.#tasks.get(id)?.meta ?? []);
  }

  /** The unfinished tasks that work in the worktree at `path`. */
  #unfinishedIn(path: string): TaskMeta[] {
    return [...this.#tasks.values()].map((r) => r.meta)
      .filter((m) => !isFinal(m.phase) && m.worktree?.path === path);
  }

  /** Frees the threads reserved for task `id` (see {@link #requireThread}). */
  #releaseThreads(id: string): void {
    for (const [threadId, owner] of this.#byThread) {
      if (owner === id) this.#byThread.delete(threadId);
    }
  }

  /** Checks what can be checked of a request without the disk (throws RequestError). */
  #check(request: TaskRequest, policy: Policy): void {
    checkTaskRequest(request, policy);
    if (request.outputSchema !== undefined) checkOutputSchema(request.outputSchema);
  }

  /** Undoes what was made for a task that never started: its directory, its own worktree. */
  async #unmake(id: string, ownWorktree: WorktreeInfo | null): Promise<void> {
    this.#tasks.delete(id);
    this.#releaseThreads(id);
    this.#queue.remove(id);
    await this.#options.store.remove(id);
    if (ownWorktree) {
      await this.#options.worktrees.discard(ownWorktree).catch((e) =>
        this.#options.log.warning(`Cannot remove the worktree of task ${id}: ${e}`)
      );
    }
  }

  /** Starts one task per prompt, each a fork of a thread; see fork.ts. */
  async fork(request: ForkRequest, session: Session): Promise<TaskSnapshot[]> {
    // Under the lock of the thread's worktree: forks that share it or branch from it see what a
    // merge, discard or reply before them left, and those after them see the forks.
    const parent = typeof request.threadId === "string"
      ? this.#worktreeOfThread(request.threadId)
      : null;
    const forks = parent === null
      ? await this.#fork(request, session)
      : await this.#options.worktrees.withWorktreeLock(
        parent.path,
        () => this.#fork(request, session),
      );
    // As they are now that they were let start.
    return forks.map((task) => this.get(task.meta.id) ?? task);
  }

  #fork(request: ForkRequest, session: Session): Promise<TaskSnapshot[]> {
    return startForks(request, {
      check: (request) => this.#check(request, session.policy ?? new Policy()),
      tasksOn: (threadId) =>
        [...this.#tasks.values()].map((r) => r.meta).filter((m) => m.threadId === threadId),
      worktreeOf: (threadId) => this.#worktreeOfThread(threadId),
      knowsThread: (threadId) => this.#knowsThread(threadId, session),
      resolveCwd: (cwd) => resolveCwd(cwd, session.cwd),
      worktrees: this.#options.worktrees,
      start: (request) => this.#start(request, session),
      unmake: (id, ownWorktree) => this.#unmake(id, ownWorktree),
      hold: () => {
        this.#held++;
        return () => {
          this.#held--;
          this.#pump();
        };
      },
    });
  }

  async #create(
    id: string,
    request: TaskRequest,
    session: Session,
    cwd: string,
    runCwd: string,
    worktree: WorktreeInfo | null,
  ): Promise<TaskSnapshot> {
    const meta: TaskMeta = {
      version: 1,
      engine: "app-server",
      id,
      phase: "queued",
      request: { ...request, cwd },
      createdAt: nowIso(),
      startedAt: null,
      endedAt: null,
      deadline: null,
      cwd: runCwd,
      argv: null,
      pid: null,
      pidStartTime: null,
      exit: null,
      threadId: request.threadId ?? null,
      turnId: null,
      finalMessage: null,
      failure: null,
      cancelRequested: false,
      timedOut: false,
      worktree,
      worktreeOutcome: null,
      owner: null,
      session: sessionRecord(session),
      answered: [],
    };
    await this.#options.store.create(meta).catch((error) => {
      // The task directory was removed, or is read-only or full: say so, not just the errno.
      throw new Error(
        `Cannot start task "${id}" as its state cannot be written in the task directory ` +
          `${this.#options.store.root}: ${messageOf(error)}`,
      );
    });
    const record = this.#addRecord(meta, session);
    this.#options.log.info(`Task ${id} created`, {
      session: session.id,
      worktree: worktree?.branch ?? null,
      ...(this.#options.log.enabled("debug") ? { prompt: request.prompt } : {}),
    });
    this.#queue.push(session.id, id);
    this.#pump();
    this.#emit(record, null);
    return this.#snapshot(record);
  }

  /**
   * The session as its tasks see it: a task session's are no wider than the task it runs in (its
   * sandbox and directories) and ask no approvals (see session_rights.ts).
   * @throws {RequestError} When a task session's request asks for approvals.
   */
  #boundedForTask(request: TaskRequest, session: Session): Session {
    if (session.kind !== "task") return session;
    checkNoApprovals(request);
    const parent = session.taskId === null ? undefined : this.#tasks.get(session.taskId);
    const policy = taskSessionPolicy(
      session.policy ?? new Policy(),
      parent
        ? {
          sandbox: parent.sandbox,
          roots: [parent.meta.cwd!, ...(parent.meta.request.addDirs ?? [])],
        }
        : null,
    );
    const overrides = session.defaults.overrides.filter((o) => o.key !== "approval_policy");
    return { ...session, defaults: { ...session.defaults, overrides }, policy };
  }

  /**
   * Reserves `threadId` for reply `id`, or refuses: one turn per thread, so a reply is refused
   * while another task is queued, starting or running on the thread (the reservation is taken
   * before anything is awaited, so of two replies sent together one is refused). Also refuses a
   * thread Codex does not know, naming it, before anything is created. The reservation goes when
   * the task ends or is not made.
   */
  async #requireThread(threadId: string, id: string, session: Session): Promise<void> {
    const running = this.#byThread.get(threadId);
    if (running !== undefined) {
      const phase = this.#tasks.get(running)?.meta.phase ?? "queued";
      throw new RequestError(
        "threadId",
        `Cannot reply on thread "${threadId}" as task ${running} is ${phase} on it (one turn ` +
          `per thread): use codex_steer {task_id: "${running}", prompt} to add to its turn, or ` +
          `codex_wait {"task_ids":["${running}"]} and reply then`,
      );
    }
    this.#byThread.set(threadId, id);
    if ([...this.#tasks.values()].some((r) => r.meta.threadId === threadId)) return;
    if (await this.#knowsThread(threadId, session)) return;
    this.#byThread.delete(threadId);
    throw new RequestError(
      "threadId",
      `Cannot continue threadId "${threadId}" as Codex has no such thread in ` +
        `${codexHomeOf(this.#codexEnv) ?? "its CODEX_HOME"}`,
    );
  }

  /**
   * Whether the session's Codex has thread `threadId`: asked by id where Codex can say (0.171 on),
   * else looked for on disk; true when neither can tell (no CODEX_HOME known, Codex not starting:
   * the reply then fails with Codex's own error).
   */
  async #knowsThread(threadId: string, session: Session): Promise<boolean> {
    const server = await this.#serverFor(session).catch(() => null);
    const asked = server === null ? null : await codexKnowsThread(server, threadId).catch((e) => {
      this.#options.log.warning(`Cannot ask Codex for thread ${threadId}: ${messageOf(e)}`);
      return null;
    });
    if (asked !== null) return asked;
    const home = codexHomeOf(this.#codexEnv);
    return home === null || findThreadRollout(home, threadId) !== null;
  }

  /** The app-server a session's tasks run on: the one of its model credentials. */
  #serverFor(session: { env: Record<string, string> }): Promise<AppServer> {
    return this.#pool.get(credentialsOf(session.env, this.#providerKeys));
  }

  /** What the session's environment changes for the commands inside the sandbox. */
  #commandEnv(session: { env: Record<string, string> }): Record<string, string> {
    return commandEnvOverrides(
      session.env,
      this.#codexEnv,
      credentialsOf(session.env, this.#providerKeys),
    );
  }

  get(id: string): TaskSnapshot | undefined {
    const record = this.#tasks.get(id);
    return record ? this.#snapshot(record) : undefined;
  }

  list(phases?: readonly Phase[]): TaskSnapshot[] {
    return [...this.#tasks.values()]
      .filter((r) => !phases || phases.includes(r.meta.phase))
      .sort((a, b) => b.meta.createdAt.localeCompare(a.meta.createdAt))
      .map((r) => this.#snapshot(r));
  }

  async finished(id: string): Promise<TaskSnapshot> {
    const record = this.#require(id, "wait for");
    await record.done.promise;
    return this.#snapshot(record);
  }

  /**
   * Waits until all (or any) of the tasks are final, or one of them has a question this session
   * was not yet told of (`sessionId`), or the timeout passes or the signal aborts.
   */
  wait(ids: string[], options: WaitOptions): Promise<WaitForResult> {
    const records = ids.map((id) => this.#require(id, "wait for"));
    return waitForTasks(records, options, {
      snapshot: (record) => this.#snapshot(record),
      onChange: (listener) => this.onChange(listener),
    });
  }

  async cancel(id: string): Promise<CancelResult & { previousPhase: Phase }> {
    const record = this.#require(id, "cancel");
    const previousPhase = record.meta.phase;
    if (isFinal(previousPhase)) {
      return { alreadyFinished: true, previousPhase, task: this.#snapshot(record) };
    }
    record.meta.cancelRequested = true;
    if (previousPhase === "queued") {
      this.#queue.remove(id);
      record.meta.failure = "Cancelled while queued: Codex never started";
      await this.#finalize(record);
    } else {
      this.#save(record);
      this.#stopTurn(record);
    }
    await record.done.promise;
    return { alreadyFinished: false, previousPhase, task: this.#snapshot(record) };
  }

  /** Adds a prompt to a task's running turn. */
  async steer(id: string, prompt: string): Promise<TaskSnapshot> {
    const record = this.#require(id, "steer");
    const { meta } = record;
    if (isFinal(meta.phase)) {
      throw new Error(
        `Cannot steer task "${id}" as it is ${meta.phase}: ` +
          (meta.threadId
            ? `use codex-reply {threadId: "${meta.threadId}", prompt} to continue its thread`
            : "it has no thread to continue"),
      );
    }
    if (meta.phase === "queued" || !record.server || !meta.threadId || !meta.turnId) {
      throw new Error(
        `Cannot steer task "${id}" as its turn has not started yet (phase ${meta.phase}): ` +
          "try again in a moment",
      );
    }
    await record.server.request("turn/steer", {
      threadId: meta.threadId,
      expectedTurnId: meta.turnId,
      input: [{ type: "text", text: prompt, text_elements: [] }],
    });
    this.#emit(record, `Steered: ${firstLine(prompt)}`);
    return this.#snapshot(record);
  }

  /** Answers the question a task waits on. `by` says who answered (for the record). */
  answer(id: string, decision: Decision, by: string): TaskSnapshot {
    const record = this.#require(id, "answer the question of");
    if (!record.pending) {
      throw new Error(
        `Cannot answer for task "${id}" as it has no pending question (phase ${record.meta.phase})`,
      );
    }
    record.pending.answer(decision, by);
    return this.#snapshot(record);
  }

  /**
   * Offers the pending questions of these tasks to `session` when the session that was asked is
   * gone (a client restarted): the next session that calls a tool on a task is asked instead.
   */
  offerQuestions(ids: string[], session: Session): void {
    for (const id of ids) {
      const record = this.#tasks.get(id);
      if (record?.pending && record.pending.askedBy === null && mayBeAsked(session)) {
        this.#ask(record, session);
      }
    }
  }

  /** Removes final tasks older than the maximum age, with their worktrees when all is committed. */
  async sweep(): Promise<string[]> {
    const { config, store, worktrees, log } = this.#options;
    const removed = await sweepTasks(this.#tasks, {
      maxAgeS: config.taskMaxAgeS,
      store,
      worktrees,
      log,
      removeRemote: (record) => this.#remote.remove(record.meta),
      recommit: async (record) => {
        record.meta.worktreeOutcome = await this.#commitWorktree(
          record.meta,
          record.meta.worktree!,
        );
        await this.#save(record);
      },
    });
    for (const id of removed) this.#tasks.delete(id);
    return removed;
  }

  // ---- internals ----

  #addRecord(meta: TaskMeta, session: Session | null): TaskRecord {
    const record = newTaskRecord(meta, session);
    this.#tasks.set(meta.id, record);
    return record;
  }

  /** Loads a final task's state in the background (its saved state, or a legacy event log). */
  #loadRunLater(record: TaskRecord): void {
    const { meta } = record;
    const load = meta.engine === "app-server"
      ? this.#options.store.readRun(meta.id)
      : this.#legacy.replay(meta);
    load.then((run) => {
      if (run) record.run = { ...initialTurnState(), ...run };
    }).catch((error) => this.#options.log.warning(`Cannot load task ${meta.id}: ${error}`));
  }

  #require(id: string, verb: string): TaskRecord {
    const record = this.#tasks.get(id);
    if (!record) throw new Error(`Cannot ${verb} task "${id}" as no such task is known`);
    return record;
  }

  /**
   * The fingerprint of the AGENTS.md instructions last sent to `threadId`: the newest of its tasks
   * (but `exceptId`) that recorded one; undefined when none did; null for no thread.
   */
  #projectDocsOf(threadId: string | null, exceptId: string): string | null | undefined {
    if (threadId === null) return null;
    const recorded = [...this.#tasks.values()].map((r) => r.meta).filter((m) =>
      m.threadId === threadId && m.id !== exceptId && m.projectDocs !== undefined
    ).sort((a, b) => (b.startedAt ?? b.createdAt).localeCompare(a.startedAt ?? a.createdAt));
    return recorded[0]?.projectDocs;
  }

  #worktreeOfThread(threadId: string): WorktreeInfo | null {
    const owners = [...this.#tasks.values()]
      .filter((r) => r.meta.threadId === threadId && r.meta.worktree)
      .sort((a, b) => b.meta.createdAt.localeCompare(a.meta.createdAt));
    return owners[0]?.meta.worktree ?? this.#links.load(threadId);
  }

  #snapshot(record: TaskRecord): TaskSnapshot {
    const backoffUntil = startAllowedAt(this.#backoff, Date.now())
      ? null
      : new Date(this.#backoff.until!).toISOString();
    return snapshotOf(record, backoffUntil);
  }

  #emit(record: TaskRecord, step: string | null): void {
    if (this.#listeners.size === 0) return;
    const snapshot = this.#snapshot(record);
    for (const listener of this.#listeners) {
      try {
        listener(snapshot, step);
      } catch (error) {
        this.#options.log.warning(`A task listener failed: ${error}`);
      }
    }
  }

  #save(record: TaskRecord): Promise<void> {
    const copy = structuredClone(record.meta);
    record.saving = record.saving
      .then(() => this.#options.store.save(copy))
      .then(() => {
        if (record.recordError === null) return;
        record.recordError = null;
        record.recordRetryMs = 0;
        this.#options.log.info(`Task ${copy.id}'s record is written again`, { id: copy.id });
        this.#emit(record, null);
      })
      .catch((error) => {
        this.#options.log.error(`Cannot save task ${copy.id}: ${error}`, { id: copy.id });
        if (!isTransientWriteError(error) || this.#closed) return;
        // No space or an I/O error: the record is written again until it is, and shows why.
        const first = record.recordError === null;
        record.recordError = `Cannot write the task's record: ${messageOf(error)}`;
        if (first) this.#emit(record, null);
        if (record.recordRetry !== undefined) return;
        record.recordRetryMs = Math.min(
          RECORD_RETRY_MAX_MS,
          Math.max(RECORD_RETRY_FIRST_MS, record.recordRetryMs * 2),
        );
        record.recordRetry = setTimeout(() => {
          record.recordRetry = undefined;
          if (!this.#closed) this.#save(record);
        }, record.recordRetryMs);
      });
    return record.saving;
  }

  #pump(): void {
    while (!this.#closed && this.#held === 0 && this.#remote.hasFreeSlot(this.#running())) {
      if (!startAllowedAt(this.#backoff, Date.now())) return this.#pumpAfterBackoff();
      // Each task goes where placement finds it a slot; one whose worker is full waits.
      const running = this.#running();
      let worker: string | null = null;
      const id = this.#queue.shiftFirst((id) => {
        const meta = this.#tasks.get(id)?.meta;
        worker = meta?.phase === "queued" ? this.#remote.place(meta, running) : LOCAL_WORKER;
        return worker !== null;
      });
      if (id === undefined) return;
      const record = this.#tasks.get(id);
      if (!record || record.meta.phase !== "queued") continue;
      record.meta.worker = worker ?? LOCAL_WORKER;
      this.#active.add(id);
      this.#run(record).catch(async (error) => {
        this.#options.log.error(`Task ${id} failed: ${error?.stack ?? error}`, {
          session: record.meta.session?.id,
        });
        record.meta.failure ??= messageOf(error);
        await this.#finalize(record);
      });
    }
  }

  /** Pumps again when the back-off ends; tells the queued tasks why they wait. */
  #pumpAfterBackoff(): void {
    if (this.#backoffTimer !== undefined) return;
    const until = this.#backoff.until ?? Date.now();
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      this.#pump();
    }, Math.max(0, until - Date.now()));
    for (const record of this.#tasks.values()) {
      if (record.meta.phase === "queued") {
        this.#emit(record, backoffStep(new Date(until).toISOString()));
      }
    }
  }

  /** Runs one task: its thread and turn, until the turn ends; then records the end. */
  async #run(record: TaskRecord): Promise<void> {
    const { meta } = record;
    const session = record.session ?? meta.session ?? this.#options.fallbackSession;
    meta.phase = "starting";
    meta.startedAt = nowIso();
    if (meta.worktree) {
      // Where the branch was: the task's own commit and files are what it adds to this.
      meta.worktreeStartHead = await this.#options.worktrees.branchHead(meta.worktree)
        .catch(() => null);
    }
    const timeoutS = meta.request.timeoutS ?? session.taskTimeoutS;
    record.budget = new TimeBudget(timeoutS > 0 ? timeoutS * 1000 : null, () => {
      if (isFinal(meta.phase)) return;
      meta.timedOut = true;
      this.#options.log.warning(`Task ${meta.id} reached its time limit`, {
        session: meta.session?.id,
      });
      this.#save(record);
      this.#stopTurn(record);
    });
    this.#runClock(record);
    await this.#save(record);
    this.#emit(record, "Starting Codex");
    const server = await this.#serverFor(session);
    record.server = server;
    record.commandEnv = this.#commandEnv(session);
    if (meta.cancelRequested || meta.timedOut) return await this.#finalize(record);
    // On a worker: its workspace there, and the worker's environment on this app-server.
    const place = this.#remote.isRemote(meta)
      ? await this.#remote.open(server, meta, this.#remoteOfWorktree(meta))
      : null;
    const params = buildThreadParams(meta.request, session.defaults, {
      cwd: place?.cwd ?? meta.cwd!,
      codexHome: server.info.codexHome,
    });
    if (place) params.thread.environments = place.environments;
    // The session's environment reaches the commands inside the sandbox, not Codex itself.
    if (Object.keys(record.commandEnv).length > 0) {
      params.thread.config = {
        ...params.thread.config,
        "shell_environment_policy.set": record.commandEnv,
      };
    }
    // The thread a reply or fork goes on with, to tell it of changed AGENTS.md instructions.
    const continued = meta.threadId ?? meta.request.forkOf?.threadId ?? null;
    // The project's instructions as shipped: read from the local worktree.
    const context = await readProjectContext(server, { ...params.thread, cwd: meta.cwd! });
    const opened = await openThread(server, meta.request, meta.threadId, params.thread, context);
    const threadId = opened.threadId;
    // A new thread has them in its developer instructions (thread_turn.ts).
    const docs = projectDocsChange(this.#projectDocsOf(continued, meta.id), context.docs);
    meta.projectDocs = docs.digest;
    meta.threadId = threadId;
    // A reply or fork inherits its thread's sandbox: never wider than this session's ceiling.
    const capped = capSandbox(
      opened.sandbox,
      (session as Session).policy?.maxSandbox ?? (session as SessionRecord).maxSandbox ?? null,
      meta.request.addDirs ?? [],
    );
    record.sandbox = capped ?? opened.sandbox;
    this.#byThread.set(threadId, meta.id);
    if (meta.worktree) {
      this.#links.save(threadId, meta.worktree).catch((error) =>
        this.#options.log.error(`Cannot record the worktree of thread ${threadId}: ${error}`)
      );
    }
    if (meta.cancelRequested || meta.timedOut) return await this.#finalize(record);
    checkAddDirsSandbox(meta.request.addDirs, record.sandbox!);
    if (meta.worktree && hasSetup(meta.request)) {
      const { record: done, failure } = await setUpWorktree(meta.worktree, meta.request, {
        run: (command) => this.#runCommand(record, command),
        step: (text) => this.#emit(record, text),
        log: this.#options.log,
        taskId: meta.id,
      });
      meta.setup = done;
      meta.failure = failure ?? meta.failure;
      this.#save(record);
      if (failure !== null || meta.cancelRequested || meta.timedOut) {
        return await this.#finalize(record);
      }
    }
    meta.turnId = await startTurn(
      server,
      threadId,
      meta.request,
      params.input,
      capped,
      continued === null ? null : docs.update,
      params.thread.environments,
    );
    if (meta.phase === "starting") meta.phase = "running";
    this.#save(record);
    this.#options.log.info(`Task ${meta.id} running`, {
      session: meta.session?.id,
      threadId,
      turnId: meta.turnId,
    });
    this.#emit(record, null);
    if (meta.cancelRequested || meta.timedOut) this.#stopTurn(record);
    await record.turnEnded.promise;
    if (meta.request.check !== undefined) await this.#runCheck(record, meta.request.check);
    await this.#finalize(record);
  }

  /** Runs the task's check once its turn completed, on its committed work (attempt_check.ts). */
  async #runCheck(record: TaskRecord, command: string): Promise<void> {
    const { meta } = record;
    if (!record.server || taskEnd(meta, record.run, record.serverGone).phase !== "completed") {
      return;
    }
    meta.check = await runTaskCheck(command, {
      commit: async () =>
        meta.worktree && meta.request.commit !== false
          ? meta.worktreeOutcome = await this.#commitWorktree(meta, meta.worktree)
          : null,
      running: (check) => {
        meta.check = check;
        this.#save(record);
        this.#emit(record, describeCheck(check));
      },
      run: (line) => this.#runCommand(record, line),
      dropLeftovers: () =>
        this.#remote.isRemote(meta)
          ? this.#remote.dropLeftovers(meta)
          : this.#options.worktrees.dropUncommitted(meta.worktree!),
      timedOut: () => meta.timedOut,
    });
    this.#emit(record, describeCheck(meta.check));
  }

  /**
   * Runs a shell command of the task (its worktree set-up, its check) in the task's sandbox and
   * cwd; a cancel or the time limit terminates it.
   */
  #runCommand(record: TaskRecord, command: string): Promise<CommandOutcome> {
    const server = record.server;
    if (!server || !record.sandbox) {
      return Promise.reject(
        new Error(`Cannot run ${JSON.stringify(command)}: Codex is not running`),
      );
    }
    if (this.#remote.isRemote(record.meta)) {
      return this.#remote.runCommand(
        record.meta,
        command,
        record.commandEnv,
        record.stopping.signal,
      );
    }
    return runSandboxed(server, {
      command,
      cwd: record.meta.cwd!,
      sandbox: record.sandbox,
      env: record.commandEnv,
      timeoutMs: null, // the task's time budget stops it, through `stopping`
      signal: record.stopping.signal,
    });
  }

  /** Runs the time-limit clock (again), and shows when it would run out. */
  #runClock(record: TaskRecord): void {
    record.budget?.run();
    record.meta.deadline = record.budget?.deadline ?? null;
  }

  /** Stops the clock while Codex waits for an answer: that time does not count. */
  #pauseClock(record: TaskRecord): void {
    record.budget?.pause();
    record.meta.deadline = null;
  }

  /** Ends the task's turn and every process it started; the turn's end finalizes the task. */
  #stopTurn(record: TaskRecord): void {
    const { meta } = record;
    record.stopping.abort();
    if (record.pending) record.pending.answer("cancel", "codex-swarm");
    if (!record.server || !meta.threadId) return; // #run checks the flags after each step
    if (!meta.turnId) return;
    const sub = record.run.subTurnId ?? meta.turnId; // a review's sub-turn (see turn_state.ts)
    stopTurn(record.server, meta.threadId, meta.turnId, sub).catch((error: unknown) => {
      this.#options.log.warning(`Cannot stop the turn of task ${meta.id}: ${error}`);
    }).finally(() => {
      // Should Codex not report the end of the turn, the stop still ends the task.
      setTimeout(() => record.turnEnded.resolve(), 2000);
    });
  }

  #recordFor(event: AppServerEvent | ServerRequest): TaskRecord | undefined {
    const threadId = threadIdOf(event);
    const id = threadId === null ? undefined : this.#byThread.get(threadId);
    return id === undefined ? undefined : this.#tasks.get(id);
  }

  #onEvent(_server: AppServer, event: AppServerEvent): void {
    const record = this.#recordFor(event);
    if (!record || isFinal(record.meta.phase)) return;
    const before = record.run;
    record.run = applyEvent(before, event);
    if (event.kind === "event" && event.method === "item/started") {
      const item = event.params.item as { type?: string; id?: string; changes?: unknown };
      if (item.type === "fileChange" && typeof item.id === "string") {
        record.changes.set(item.id, (Array.isArray(item.changes) ? item.changes : []) as never);
      }
    }
    if (event.kind === "event" && event.method === "turn/completed") {
      const turnId = event.params.turn.id;
      if (record.meta.turnId === null || record.meta.turnId === turnId) {
        record.turnEnded.resolve();
      }
    }
    this.#emit(record, describeStep(before, record.run, event));
  }

  /** A question of Codex: the task waits for an answer from its session, any client or top. */
  #onRequest(_server: AppServer, request: ServerRequest): Promise<unknown> {
    const record = this.#recordFor(request);
    if (!record || isFinal(record.meta.phase)) {
      return Promise.reject(
        new Error(`codex-swarm has no running task on thread ${threadIdOf(request)}`),
      );
    }
    let params = (request.params ?? {}) as Record<string, unknown>;
    const capped: string[] = [];
    if (request.method === "item/permissions/requestApproval") {
      // A grant never exceeds the ceiling of the session that started the task.
      const policy = record.session?.policy ??
        new Policy({ maxSandbox: record.meta.session?.maxSandbox ?? null });
      const within = grantWithin((params.permissions ?? {}) as Record<string, unknown>, policy);
      params = { ...params, permissions: within.permissions };
      capped.push(...within.dropped);
    }
    const question = describeQuestion(request.method, params, record.changes);
    if (capped.length > 0) {
      question.message += ` (beyond the session's ceiling, not granted: ${capped.join(", ")})`;
    }
    const pending = new PendingQuestion(`q${++record.questions}`, question, (decision, by) => {
      if (record.pending === pending) record.pending = null;
      const answered: AnsweredQuestion = {
        kind: question.kind,
        message: question.message,
        decision,
        by,
        at: nowIso(),
      };
      record.meta.answered = [...(record.meta.answered ?? []), answered].slice(-MAX_ANSWERED);
      if (record.meta.phase === "waiting_approval") record.meta.phase = "running";
      this.#runClock(record);
      this.#save(record);
      this.#emit(record, `Answered ${decision}: ${firstLine(question.message, 120)}`);
    });
    record.pending = pending;
    record.meta.phase = "waiting_approval";
    this.#pauseClock(record);
    this.#save(record);
    // Asked first, so a codex_wait of the same session knows it was told.
    if (record.session && mayBeAsked(record.session)) this.#ask(record, record.session);
    this.#emit(record, `Waiting for an answer: ${firstLine(question.message, 120)}`);
    return pending.reply;
  }

  /** Asks `session`'s client (MCP elicitation) to answer the task's pending question. */
  #ask(record: TaskRecord, session: Session): void {
    const pending = record.pending;
    pending?.askWith(session, record.meta.id, this.#options.log, () => {
      if (record.pending === pending) this.#emit(record, null);
    });
  }

  /** The workspace on its worker of the task whose worktree `meta` continues in (a reply's). */
  #remoteOfWorktree(meta: TaskMeta): NonNullable<TaskMeta["remote"]> | null {
    const owner =
      [...this.#tasks.values()].map((r) => r.meta).filter((m) =>
        m.id !== meta.id && m.remote && m.worker === meta.worker &&
        m.worktree?.path === meta.worktree?.path
      ).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    return owner?.remote ?? null;
  }

  /**
   * A worker went down (after its grace): its running tasks end `failed`, naming it; queued ones
   * go elsewhere. Back up: what its lost tasks wrote is brought back (`recovered`), and the queue
   * moves.
   */
  #onWorkerChange(name: string, state: string): void {
    if (state === "down") {
      this.#remote.forgetEnvironment(name);
      const lastError = this.#remote.workers().find((w) => w.name === name)?.lastError;
      for (const record of this.#tasks.values()) {
        const { meta } = record;
        if (isFinal(meta.phase) || meta.phase === "queued" || meta.worker !== name) continue;
        meta.workerLost = `worker ${name} lost: ${lastError ?? "it went down"}`;
        this.#options.log.warning(`Task ${meta.id} failed: ${meta.workerLost}`);
        this.#stopTurn(record);
      }
    }
    if (state === "ready") {
      for (const record of this.#tasks.values()) {
        const { meta } = record;
        if (meta.worker !== name || !meta.workerLost || meta.recovered || !isFinal(meta.phase)) {
          continue;
        }
        this.#recover(record).catch((error) =>
          this.#options.log.error(`Cannot recover the work of task ${meta.id}: ${error}`)
        );
      }
    }
    this.#pump();
  }

  /** Brings back what a task wrote on a worker that was lost and came back; it stays failed. */
  async #recover(record: TaskRecord): Promise<void> {
    const { meta } = record;
    if (!meta.worktree || meta.request.commit === false) return;
    const outcome = await this.#commitWorktree(meta, meta.worktree);
    if (outcome.error !== undefined) return;
    meta.worktreeOutcome = outcome;
    meta.recovered = true;
    await this.#save(record);
    this.#emit(record, `Recovered the work of task ${meta.id} from worker ${meta.worker}`);
  }

  #onServerExit(server: AppServer, exit: Awaited<AppServer["exited"]>): void {
    for (const record of this.#tasks.values()) {
      if (record.server !== server || isFinal(record.meta.phase)) continue;
      if (this.#closed) {
        // The supervisor stops: the turn ends with its app-server, the thread stays resumable.
        this.#interrupt(record, this.#stoppedCause(record.meta));
        record.turnEnded.resolve();
        continue;
      }
      record.serverGone = `Codex app-server (pid ${server.pid}) exited (${
        exit.signal ?? `code ${exit.code}`
      }) while the task ran`;
      record.turnEnded.resolve();
    }
  }

  /** Why a task that ran when the supervisor stopped is `interrupted`. */
  #stoppedCause(meta: TaskMeta): string {
    return "The supervisor that ran this task stopped while it ran" +
      (meta.threadId
        ? `; its thread ${meta.threadId} can be continued with codex-reply`
        : " before Codex started its thread");
  }

  /** Marks an unfinished task of an earlier supervisor `interrupted`. */
  #interrupt(record: TaskRecord, cause: string): void {
    const { meta } = record;
    const live = record.server !== null;
    meta.phase = "interrupted";
    meta.failure = cause;
    meta.endedAt = nowIso();
    meta.finalMessage ??= record.run.finalMessage;
    record.done.resolve();
    if (live) {
      // What the task did so far stays readable.
      const run = record.run;
      record.saving = record.saving.then(() => this.#options.store.saveRun(meta.id, run))
        .catch(() => {});
    } else {
      this.#loadRunLater(record);
    }
    this.#save(record);
    this.#emit(record, "Task interrupted");
  }

  /**
   * Commits the work of interrupted tasks: of `stopped` (the tasks a supervisor stop interrupted),
   * and of tasks an earlier stop left uncommitted. First it ends every process still working in
   * their worktrees, and in the app-servers' directory (a dead supervisor's app-server, its
   * commands, a `git` it ran), so nothing writes there after the commit; then it removes the
   * `index.lock` a killed commit may have left. With `commit: false` nothing is committed.
   */
  async #commitInterrupted(stopped: TaskRecord[]): Promise<void> {
    const { log, store, worktrees } = this.#options;
    const all = [...this.#tasks.values()];
    const toCommit = all.filter((record) => {
      const { meta } = record;
      if (meta.phase !== "interrupted" || meta.engine !== "app-server") return false;
      if (!meta.worktree || meta.worktreeOutcome || meta.startedAt === null) return false;
      if (meta.request.commit === false || meta.request.review?.branch !== undefined) return false;
      // A later task in the same worktree (a reply) committed this one's work as its own.
      return !all.some((r) =>
        r.meta.createdAt > meta.createdAt && r.meta.startedAt !== null &&
        r.meta.worktree?.path === meta.worktree!.path
      );
    });
    const dirs = new Set<string>();
    for (const { meta } of [...stopped, ...toCommit]) {
      if (meta.worktree) dirs.add(meta.worktree.path);
    }
    if (dirs.size === 0) return;
    dirs.add(`${store.root}/.app-server`);
    const killed = await killProcessesIn([...dirs]);
    if (killed.length > 0) {
      log.warning(
        `Ended ${killed.length} process(es) left running by a stopped supervisor in the worktrees ` +
          `of its tasks: ${killed.join(", ")}`,
      );
    }
    for (const record of toCommit) {
      const { meta } = record;
      const info = meta.worktree!;
      await worktrees.removeStaleIndexLock(info).then(
        (removed) => removed && log.warning(`Removed the stale index.lock of ${info.path}`),
        (error) => log.warning(`Cannot check ${info.path} for a stale index.lock: ${error}`),
      );
      meta.worktreeOutcome = await this.#commitWorktree(meta, info);
      if (meta.worktreeOutcome.commit !== null) {
        log.info(`Committed the work of interrupted task ${meta.id}`, {
          commit: meta.worktreeOutcome.commit,
        });
      }
      await this.#save(record);
    }
  }

  /** Decides the final phase from what is known, commits the worktree, saves, tells listeners. */
  async #finalize(record: TaskRecord): Promise<void> {
    const { meta, run } = record;
    if (isFinal(meta.phase)) return;
    record.budget?.stop();
    record.pending?.answer("cancel", "codex-swarm");
    if (record.server && meta.threadId !== null && !record.serverGone) {
      // A command the turn left running in the background (past its yield time) ends with the
      // task: nothing a task started outlives it.
      await record.server.request("thread/backgroundTerminals/clean", { threadId: meta.threadId })
        .catch((error: unknown) =>
          this.#options.log.warning(`Cannot clean up after task ${meta.id}: ${error}`)
        );
    }
    const end = taskEnd(meta, run, record.serverGone);
    let phase = end.phase;
    meta.failure = end.failure ?? meta.failure;
    meta.finalMessage = run.finalMessage;
    if (phase === "completed" && meta.request.outputSchema) {
      meta.structured = readStructuredResult(meta.finalMessage, meta.request.outputSchema);
    }
    if (phase === "completed" && meta.request.review) {
      meta.review = await collectReview(record.server, meta);
      const usage = run.usage ?? await reviewUsage(record.server, meta);
      if (usage) record.run = { ...record.run, usage, usageTotal: run.usageTotal ?? usage };
    }
    if (meta.request.review?.branch !== undefined && meta.worktree) {
      // The checkout made for the review goes: a review edits nothing.
      await this.#options.worktrees.discard(meta.worktree).then(
        () => (meta.worktree = null),
        (error) => this.#options.log.warning(`Cannot remove the review checkout: ${error}`),
      );
    }
    // A task with a check committed its work before the check ran (attempt_check.ts).
    if (meta.worktree && meta.request.commit !== false && meta.startedAt !== null) {
      meta.worktreeOutcome ??= await this.#commitWorktree(meta, meta.worktree);
      if (meta.worktreeOutcome.error !== undefined && phase === "completed") {
        // "Completed, nothing changed" would hide work that is only in the worktree.
        phase = "failed";
        meta.failure =
          `Codex finished, but committing its work failed: ${meta.worktreeOutcome.error}`;
      }
    }
    meta.phase = phase;
    meta.endedAt = nowIso();
    this.#backoff = afterTaskEnd(this.#backoff, meta, Date.now());
    if (meta.threadId !== null && this.#byThread.get(meta.threadId) === meta.id) {
      this.#byThread.delete(meta.threadId);
    }
    await this.#options.store.saveRun(meta.id, record.run).catch((error) =>
      this.#options.log.warning(`Cannot save the state of task ${meta.id}: ${error}`)
    );
    await this.#save(record);
    this.#active.delete(meta.id);
    record.server = null;
    this.#options.log.info(`Task ${meta.id} ${phase}`, {
      session: meta.session?.id,
      failure: meta.failure,
    });
    record.done.resolve();
    this.#emit(record, `Task ${phase.replace("_", " ")}`);
    this.#pump();
  }

  /** Commits what this task changed on its branch; reports only this task's commit and files. */
  async #commitWorktree(meta: TaskMeta, info: WorktreeInfo): Promise<WorktreeOutcome> {
    const message = `codex-swarm: task ${meta.id}: ${firstLine(meta.request.prompt)}`;
    if (this.#remote.isRemote(meta)) {
      // Its work is on the worker: committed there and brought back as the branch first.
      const away = await this.#remote.bringBack(meta, message).then(() => null, messageOf);
      if (away !== null) {
        this.#options.log.error(`Cannot bring back the work of task ${meta.id}: ${away}`);
        return {
          commit: null,
          files: [],
          insertions: 0,
          deletions: 0,
          error: `Cannot bring back the work of task ${meta.id} from worker "${meta.worker}" ` +
            `(it stays there, and comes back when the worker does): ${away}`,
        };
      }
    }
    const outcome = await commitTaskWork(
      this.#options.worktrees,
      info,
      message,
      meta.worktreeStartHead ?? null,
    );
    if (outcome.error !== undefined) {
      this.#options.log.error(`Cannot commit the worktree of task ${meta.id}: ${outcome.error}`);
    }
    return outcome;
  }
}
