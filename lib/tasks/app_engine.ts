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
 * Tasks recorded by the exec-per-task engine of codex-swarm 0.1 stay listed (see record_v01.ts).
 *
 * The engine's parts: task_creation.ts (start, fork), scheduling.ts (the queue, back-off, clocks),
 * task_run.ts (one run), event_routing.ts (the app-servers' notifications, questions and exits),
 * task_ending.ts (the end, commits), engine_state.ts (the shared state and the views of a task).
 *
 * Data flows one way: request -> task record -> app-server -> notifications -> applyEvent ->
 * task state -> listeners (the MCP sessions).
 *
 * @example Not run: needs Codex, a task directory and a session: see app_engine_test.ts.
 * ```ts ignore
 * const engine = new AppServerEngine({ config, store, worktrees, log, workers, planTask });
 * await engine.init();
 * const task = await engine.start(await planTask({ prompt: "fix the tests" }, session, engine.facts));
 * const done = await engine.finished(task.meta.id);
 * ```
 * @module
 */

import type { WorkerStatus } from "../workers/worker_pool.ts";
import type {
  CancelResult,
  ChangeListener,
  Engine,
  ForkPlan,
  PlanFacts,
  Session,
  TaskPlan,
  WaitOptions,
  WaitResult,
} from "./engine_api.ts";
import { type AppServerEngineOptions, EngineState, firstLine } from "./engine_state.ts";
import { messageOf } from "../base/errors.ts";
import { EventRouting } from "./event_routing.ts";
import type { Decision } from "./questions.ts";
import { Scheduler } from "./scheduling.ts";
import { sweepTasks } from "./sweep.ts";
import { mayBeAsked } from "./session_rights.ts";
import { isFinal, type Phase, type TaskSnapshot } from "./task.ts";
import { TaskCreation } from "./task_creation.ts";
import { TaskEnding } from "./task_ending.ts";
import { Policy } from "../codex/policy.ts";
import { sessionFromRecord, type TaskRecord } from "./task_record.ts";
import { TaskRun } from "./task_run.ts";
import { waitForTasks } from "./wait_for.ts";
import type { MergeRequest, MergeState } from "./merge/merge_plan.ts";
import { startMerge } from "./merge/merge_host.ts";
import { endCheckLeftovers } from "./merge/merge_run.ts";
import { WorkerLoss } from "./worker_loss.ts";

/** Runs tasks as turns of app-server threads. */
export class AppServerEngine implements Engine, AsyncDisposable {
  #state: EngineState;
  #scheduler: Scheduler;
  #ending: TaskEnding;
  #runs: TaskRun;
  #routing: EventRouting;
  #creation: TaskCreation;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  /** Stops hearing the workers' changes (the pool outlives the engine). */
  #unwatch: (() => void) | undefined;
  readonly facts: PlanFacts;

  constructor(options: AppServerEngineOptions) {
    this.#state = new EngineState(options, {
      onEvent: (server, event) => this.#routing.onEvent(server, event),
      onRequest: (server, request) => this.#routing.onRequest(server, request),
      onExit: (server, exit) => this.#routing.onServerExit(server, exit),
    });
    this.#scheduler = new Scheduler(this.#state, (record) => this.#runs.start(record));
    this.#ending = new TaskEnding(this.#state, this.#scheduler);
    this.#runs = new TaskRun(this.#state, this.#ending);
    this.#routing = new EventRouting(this.#state, this.#ending);
    this.#creation = new TaskCreation(this.#state, this.#scheduler);
    this.facts = this.#state.facts();
    const loss = new WorkerLoss(this.#state, this.#runs, this.#ending, this.#scheduler);
    this.#unwatch = options.workers.onChange((status) => loss.changed(status.name, status.state));
  }

  /** The workers, each with how many tasks run there (for server-info). */
  workers(): Array<WorkerStatus & { running: number }> {
    const slots = this.#state.remote.slots(this.#scheduler.running());
    return slots.map(({ view, running }) => ({ ...view, running }));
  }

  /** The app-servers that run now (for server-info). */
  codexProcesses() {
    return this.#state.pool.list();
  }

  codexWarnings(): string[] {
    return this.#state.pool.warnings();
  }

  /**
   * Loads the tasks on disk without reading their event logs (those load lazily): final tasks as
   * they are, running ones of an earlier supervisor `interrupted` (their work committed first, see
   * {@link TaskEnding.commitInterrupted}), queued ones back in the queue.
   */
  async init(): Promise<void> {
    const state = this.#state;
    const { store, log } = state.options;
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
      const record = state.addRecord(meta, null);
      if (isFinal(meta.phase)) {
        state.loadRunLater(record);
      } else if (meta.phase === "queued" || meta.startedAt === null) {
        this.#requeue(record);
      } else {
        this.#ending.interrupt(record);
        stopped.push(record);
      }
    }
    await this.#ending.commitInterrupted(stopped);
    // The checks that merges a dead supervisor interrupted left running end, resumed or not.
    for (const meta of state.metas()) {
      if (meta.phase === "interrupted" && meta.merge) await endCheckLeftovers(meta.merge);
    }
    this.#scheduler.pump();
    const sweepMs = Math.min(600_000, Math.max(1000, state.options.config.taskMaxAgeS * 250));
    this.#sweepTimer = setInterval(() => {
      this.sweep().catch((error) => log.error(`Sweep failed: ${error}`));
    }, sweepMs);
  }

  /** Queues again a task an earlier supervisor had queued. */
  #requeue(record: TaskRecord): void {
    const { meta } = record;
    meta.phase = "queued";
    const { fallbackSession } = this.#state.options;
    record.session = meta.session
      ? sessionFromRecord(meta.session, fallbackSession.policy ?? new Policy())
      : { ...fallbackSession, id: "upgraded" };
    this.#scheduler.queue.push(record.session.id, meta.id);
    // A queued reply holds its thread (one turn per thread).
    if (meta.threadId !== null) this.#state.byThread.set(meta.threadId, meta.id);
  }

  /** Stops the engine: running turns end with their app-servers (their threads stay resumable). */
  async [Symbol.asyncDispose](): Promise<void> {
    const state = this.#state;
    state.closed = true;
    clearInterval(this.#sweepTimer);
    this.#unwatch?.();
    this.#scheduler.close();
    const stopped: TaskRecord[] = [];
    for (const record of state.tasks.values()) {
      record.budget?.stop();
      clearTimeout(record.recordRetry);
      // Running turns end with the app-servers; their threads stay resumable. Queued tasks stay
      // queued on disk for the next supervisor.
      if (isFinal(record.meta.phase) || record.meta.phase === "queued") continue;
      this.#ending.interrupt(record);
      stopped.push(record);
    }
    await state.pool[Symbol.asyncDispose]();
    // Their work is committed once nothing runs in their worktrees any more.
    await this.#ending.commitInterrupted(stopped);
    await Promise.all([...state.tasks.values()].map((r) => r.saving));
  }

  /** Makes a session known, so questions of tasks whose session went away can go to it. */
  attachSession(session: Session): void {
    this.#state.sessions.set(session.id, session);
  }

  /** Forgets a session (its client went away); its pending questions wait for another. */
  detachSession(id: string): void {
    this.#state.sessions.delete(id);
    for (const record of this.#state.tasks.values()) {
      if (record.session?.id === id) record.session = null;
      if (record.pending?.askedBy === id) record.pending.askedBy = null;
    }
  }

  onChange(listener: ChangeListener): () => void {
    this.#state.listeners.add(listener);
    return () => this.#state.listeners.delete(listener);
  }

  /** Creates and queues a planned task (task_creation.ts). */
  start(plan: TaskPlan): Promise<TaskSnapshot> {
    return this.#creation.start(plan);
  }

  /** Creates planned forks of a thread, all or none (task_creation.ts). */
  fork(plan: ForkPlan): Promise<TaskSnapshot[]> {
    return this.#creation.fork(plan);
  }

  /** Starts a merge queue (codex_merge), a task of its own kind: see merge/merge_run.ts. */
  merge(request: MergeRequest, session: Session, from?: MergeState): Promise<TaskSnapshot> {
    return startMerge(request, session, from, {
      state: this.#state,
      engine: this,
      finalize: (record) => this.#ending.finalize(record),
    });
  }

  get(id: string): TaskSnapshot | undefined {
    const record = this.#state.tasks.get(id);
    return record ? this.#state.snapshot(record) : undefined;
  }

  list(phases?: readonly Phase[]): TaskSnapshot[] {
    return [...this.#state.tasks.values()]
      .filter((r) => !phases || phases.includes(r.meta.phase))
      .sort((a, b) => b.meta.createdAt.localeCompare(a.meta.createdAt))
      .map((r) => this.#state.snapshot(r));
  }

  async finished(id: string): Promise<TaskSnapshot> {
    const record = this.#state.require(id, "wait for");
    await record.done.promise;
    return this.#state.snapshot(record);
  }

  /**
   * Waits until all (or any) of the tasks are final, or one of them has a question this session
   * was not yet told of (`sessionId`), or the timeout passes or the signal aborts.
   */
  wait(ids: string[], options: WaitOptions): Promise<WaitResult> {
    const records = ids.map((id) => this.#state.require(id, "wait for"));
    return waitForTasks(records, options, this.#state);
  }

  async cancel(id: string): Promise<CancelResult & { previousPhase: Phase }> {
    const record = this.#state.require(id, "cancel");
    const previousPhase = record.meta.phase;
    if (isFinal(previousPhase)) {
      return { alreadyFinished: true, previousPhase, task: this.#state.snapshot(record) };
    }
    record.meta.cancelRequested = true;
    if (previousPhase === "queued") {
      this.#scheduler.queue.remove(id);
      record.meta.failure = "Cancelled while queued: Codex never started";
      await this.#ending.finalize(record);
    } else {
      this.#state.save(record);
      this.#runs.stopTurn(record);
    }
    await record.done.promise;
    return { alreadyFinished: false, previousPhase, task: this.#state.snapshot(record) };
  }

  /** Adds a prompt to a task's running turn. */
  async steer(id: string, prompt: string): Promise<TaskSnapshot> {
    const record = this.#state.require(id, "steer");
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
    this.#state.emit(record, `Steered: ${firstLine(prompt)}`);
    return this.#state.snapshot(record);
  }

  /** Answers the question a task waits on. `by` says who answered (for the record). */
  answer(id: string, decision: Decision, by: string): TaskSnapshot {
    const record = this.#state.require(id, "answer the question of");
    if (!record.pending) {
      throw new Error(
        `Cannot answer for task "${id}" as it has no pending question (phase ${record.meta.phase})`,
      );
    }
    record.pending.answer(decision, by);
    return this.#state.snapshot(record);
  }

  /**
   * Offers the pending questions of these tasks to `session` when the session that was asked is
   * gone (a client restarted): the next session that calls a tool on a task is asked instead.
   */
  offerQuestions(ids: string[], session: Session): void {
    for (const id of ids) {
      const record = this.#state.tasks.get(id);
      if (record?.pending && record.pending.askedBy === null && mayBeAsked(session)) {
        this.#routing.ask(record, session);
      }
    }
  }

  /** Removes final tasks older than the maximum age, with their worktrees when all is committed. */
  async sweep(): Promise<string[]> {
    const removed = await sweepTasks(this.#state.tasks, {
      ...this.#state.options, // its store, worktrees and log
      maxAgeS: this.#state.options.config.taskMaxAgeS,
      removeRemote: (record) => this.#state.remote.remove(record.meta),
      recommit: async (record) => {
        record.meta.worktreeOutcome = await this.#ending.commitWorktree(record.meta);
        await this.#state.save(record);
      },
    });
    for (const id of removed) this.#state.tasks.delete(id);
    return removed;
  }
}
