/**
 * How a task is made: a request checked against its session's rights, its cwd and worktree
 * prepared (task_start.ts), the thread it continues reserved (one turn per thread) and known to
 * Codex, its record written and queued; forks made all or none (fork.ts). What a failed start
 * made is undone.
 *
 * @example
 * ```ts ignore
 * // Needs the engine's state: see app_engine.ts.
 * const creation = new TaskCreation(state, scheduler);
 * const task = await creation.start({ prompt: "fix the tests" }, session);
 * ```
 * @module
 */

import { findThreadRollout } from "../codex/codex_threads.ts";
import { checkOutputSchema } from "../codex/output_schema.ts";
import { codexKnowsThread } from "../codex/thread_lookup.ts";
import type { WorktreeInfo } from "../git/worktree.ts";
import { codexHomeOf } from "../codex/client_env.ts";
import { Policy } from "../codex/policy.ts";
import { checkTaskRequest } from "../request/request_check.ts";
import type { Session } from "./engine_api.ts";
import { type EngineState, nowIso } from "./engine_state.ts";
import { messageOf } from "../base/errors.ts";
import { type ForkRequest, startForks } from "./fork.ts";
import type { Scheduler } from "./scheduling.ts";
import { checkNoApprovals, taskSessionPolicy } from "./session_rights.ts";
import type { TaskMeta, TaskRequest, TaskSnapshot } from "./task.ts";
import { newTaskId, sessionRecord } from "./task_record.ts";
import { parentThreadOf, prepareStart, resolveCwd } from "./task_start.ts";
import { RequestError } from "./request_error.ts";

/** Makes tasks. */
export class TaskCreation {
  #state: EngineState;
  #scheduler: Scheduler;

  constructor(state: EngineState, scheduler: Scheduler) {
    this.#state = state;
    this.#scheduler = scheduler;
  }

  /**
   * Creates and queues a task. A reply (or fork) that continues in its thread's worktree is
   * created under that worktree's lock: a merge or discard of it waits, and then sees this task.
   */
  async start(request: TaskRequest, asking: Session): Promise<TaskSnapshot> {
    const parentThread = parentThreadOf(request);
    const shared = parentThread === undefined ? null : this.#state.worktreeOfThread(parentThread);
    if (shared === null) return await this.#start(request, asking);
    return await this.#state.options.worktrees.withWorktreeLock(
      shared.path,
      () => this.#start(request, asking),
    );
  }

  /** {@link start} without the worktree lock (a fork holds it already). */
  async #start(request: TaskRequest, asking: Session): Promise<TaskSnapshot> {
    const state = this.#state;
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
        taskOf: (taskId) => state.tasks.get(taskId)?.meta,
        worktreeOfThread: (threadId) => state.worktreeOfThread(threadId),
        unfinishedIn: (path) => state.unfinishedIn(path),
        worktrees: state.options.worktrees,
        codexHome: codexHomeOf(state.codexEnv) ?? "",
      },
      id,
    ).catch((error) => {
      state.releaseThreads(id);
      throw error;
    });
    try {
      const meta = newMeta(id, prepared.request, session, { cwd, runCwd, worktree });
      return await this.#create(meta, session);
    } catch (error) {
      await this.#unmake(id, inherited ? null : worktree);
      throw error;
    }
  }

  /** Checks what can be checked of a request without the disk (throws RequestError). */
  #check(request: TaskRequest, policy: Policy): void {
    checkTaskRequest(request, policy);
    if (request.outputSchema !== undefined) checkOutputSchema(request.outputSchema);
  }

  /** Undoes what was made for a task that never started: its directory, its own worktree. */
  async #unmake(id: string, ownWorktree: WorktreeInfo | null): Promise<void> {
    const { store, worktrees, log } = this.#state.options;
    this.#state.tasks.delete(id);
    this.#state.releaseThreads(id);
    this.#scheduler.remove(id);
    await store.remove(id);
    if (ownWorktree) {
      await worktrees.discard(ownWorktree).catch((e) =>
        log.warning(`Cannot remove the worktree of task ${id}: ${e}`)
      );
    }
  }

  /** Starts one task per prompt, each a fork of a thread; see fork.ts. */
  async fork(request: ForkRequest, session: Session): Promise<TaskSnapshot[]> {
    // Under the lock of the thread's worktree: forks that share it or branch from it see what a
    // merge, discard or reply before them left, and those after them see the forks.
    const parent = typeof request.threadId === "string"
      ? this.#state.worktreeOfThread(request.threadId)
      : null;
    const forks = parent === null
      ? await this.#fork(request, session)
      : await this.#state.options.worktrees.withWorktreeLock(
        parent.path,
        () => this.#fork(request, session),
      );
    // As they are now that they were let start.
    return forks.map((task) => {
      const record = this.#state.tasks.get(task.meta.id);
      return record ? this.#state.snapshot(record) : task;
    });
  }

  #fork(request: ForkRequest, session: Session): Promise<TaskSnapshot[]> {
    const state = this.#state;
    return startForks(request, {
      check: (request) => this.#check(request, session.policy ?? new Policy()),
      tasksOn: (threadId) => state.metas().filter((m) => m.threadId === threadId),
      worktreeOf: (threadId) => state.worktreeOfThread(threadId),
      knowsThread: (threadId) => this.#knowsThread(threadId, session),
      resolveCwd: (cwd) => resolveCwd(cwd, session.cwd),
      worktrees: state.options.worktrees,
      start: (request) => this.#start(request, session),
      unmake: (id, ownWorktree) => this.#unmake(id, ownWorktree),
      hold: () => this.#scheduler.hold(),
    });
  }

  /** Writes a new task's record and queues it. */
  async #create(meta: TaskMeta, session: Session): Promise<TaskSnapshot> {
    const state = this.#state;
    const { store, log } = state.options;
    const { id, request, worktree } = meta;
    await store.create(meta).catch((error) => {
      // The task directory was removed, or is read-only or full: say so, not just the errno.
      throw new Error(
        `Cannot start task "${id}" as its state cannot be written in the task directory ` +
          `${store.root}: ${messageOf(error)}`,
      );
    });
    const record = state.addRecord(meta, session);
    log.info(`Task ${id} created`, {
      session: session.id,
      worktree: worktree?.branch ?? null,
      ...(log.enabled("debug") ? { prompt: request.prompt } : {}),
    });
    this.#scheduler.enqueue(session.id, id);
    this.#scheduler.pump();
    state.emit(record, null);
    return state.snapshot(record);
  }

  /**
   * Refuses a request no worker can take (an unknown `worker`, `--no-local` without a worktree);
   * binds a reply, fork or review of a remote task to its worker (remote_tasks.ts).
   */
  #checkWorker(request: TaskRequest): TaskRequest {
    const state = this.#state;
    const parentThread = parentThreadOf(request);
    const parent = parentThread === undefined ? undefined : state.metas()
      .filter((m) => m.threadId === parentThread)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    const worktree = request.worktree === true || (parentThread !== undefined &&
      request.worktree !== false && state.worktreeOfThread(parentThread) !== null);
    const worker = state.remote.check(request, parent, worktree);
    return worker === null ? request : { ...request, worker };
  }

  /**
   * The session as its tasks see it: a task session's are no wider than the task it runs in (its
   * sandbox and directories) and ask no approvals (see session_rights.ts).
   * @throws {RequestError} When a task session's request asks for approvals.
   */
  #boundedForTask(request: TaskRequest, session: Session): Session {
    if (session.kind !== "task") return session;
    checkNoApprovals(request);
    const parent = session.taskId === null ? undefined : this.#state.tasks.get(session.taskId);
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
    const state = this.#state;
    const running = state.byThread.get(threadId);
    if (running !== undefined) {
      const phase = state.tasks.get(running)?.meta.phase ?? "queued";
      throw new RequestError(
        "threadId",
        `Cannot reply on thread "${threadId}" as task ${running} is ${phase} on it (one turn ` +
          `per thread): use codex_steer {task_id: "${running}", prompt} to add to its turn, or ` +
          `codex_wait {"task_ids":["${running}"]} and reply then`,
      );
    }
    state.byThread.set(threadId, id);
    if (state.metas().some((m) => m.threadId === threadId)) return;
    if (await this.#knowsThread(threadId, session)) return;
    state.byThread.delete(threadId);
    throw new RequestError(
      "threadId",
      `Cannot continue threadId "${threadId}" as Codex has no such thread in ` +
        `${codexHomeOf(state.codexEnv) ?? "its CODEX_HOME"}`,
    );
  }

  /**
   * Whether the session's Codex has thread `threadId`: asked by id where Codex can say (0.171 on),
   * else looked for on disk; true when neither can tell (no CODEX_HOME known, Codex not starting:
   * the reply then fails with Codex's own error).
   */
  async #knowsThread(threadId: string, session: Session): Promise<boolean> {
    const state = this.#state;
    const server = await state.serverFor(session).catch(() => null);
    const asked = server === null ? null : await codexKnowsThread(server, threadId).catch((e) => {
      state.log.warning(`Cannot ask Codex for thread ${threadId}: ${messageOf(e)}`);
      return null;
    });
    if (asked !== null) return asked;
    const home = codexHomeOf(state.codexEnv);
    return home === null || findThreadRollout(home, threadId) !== null;
  }
}

/** The meta of a new, queued task. */
export function newMeta(
  id: string,
  request: TaskRequest,
  session: Session,
  where: { cwd: string; runCwd: string; worktree: WorktreeInfo | null },
): TaskMeta {
  const { cwd, runCwd, worktree } = where;
  return {
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
    threadId: request.threadId ?? null,
    turnId: null,
    finalMessage: null,
    failure: null,
    cancelRequested: false,
    timedOut: false,
    worktree,
    worktreeOutcome: null,
    session: sessionRecord(session),
    answered: [],
  };
}
