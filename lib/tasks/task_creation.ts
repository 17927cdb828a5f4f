/**
 * How a planned task is made (a `TaskPlan` of engine_api.ts: lib/request/ checked the call and made
 * its plan): the engine's own rules first, under the lock of the worktree it continues in (a merge
 * or discard of that worktree waits, and then sees the task): one turn per thread (a reply
 * reserves its thread before anything is awaited, so of two replies sent together one is refused)
 * and one unfinished task per worktree; then its record is written and queued. Forks are made all
 * or none. What a failed start made is undone: the record, the reservation, a worktree made for
 * the plan.
 *
 * @example Not run: needs the engine's state: see app_engine.ts.
 * ```ts ignore
 * const creation = new TaskCreation(state, scheduler);
 * const task = await creation.start(plan);
 * ```
 * @module
 */

import type { WorktreeInfo } from "../git/worktree.ts";
import { type EngineState, nowIso } from "./engine_state.ts";
import { messageOf } from "../base/errors.ts";
import { forkFailure } from "./fork.ts";
import { RequestError } from "./request_error.ts";
import type { Scheduler } from "./scheduling.ts";
import { isFinal, type TaskMeta, type TaskRequest, type TaskSnapshot } from "./task.ts";
import type { ForkPlan, Session, TaskPlan } from "./engine_api.ts";
import { sessionRecord } from "./task_record.ts";

/** Makes tasks. */
export class TaskCreation {
  constructor(private readonly state: EngineState, private readonly scheduler: Scheduler) {}

  /** Creates and queues a planned task (see the module doc). */
  start(plan: TaskPlan): Promise<TaskSnapshot> {
    const shared = plan.worktree.kind === "inherited" ? plan.worktree.info : null;
    return this.#locked(shared, () => this.#start(plan));
  }

  /** Runs `make` holding the lock of `worktree`, if any. */
  async #locked<T>(worktree: WorktreeInfo | null, make: () => Promise<T>): Promise<T> {
    if (worktree === null) return await make();
    using _held = await this.state.options.worktrees.holdWorktrees([worktree.path]);
    return await make();
  }

  /** {@link start} without the worktree lock (a fork holds it already). */
  async #start(plan: TaskPlan): Promise<TaskSnapshot> {
    try {
      await this.#admit(plan);
      return await this.#create(plan);
    } catch (error) {
      await this.#unmake(plan);
      throw error;
    }
  }

  /**
   * Creates planned forks, all or none: none starts before all exist, and when one cannot be
   * created, the ones made before it are removed again (tasks, worktrees, branches), and the
   * worktrees planned for the rest.
   */
  async fork(plan: ForkPlan): Promise<TaskSnapshot[]> {
    // Under the lock of the thread's worktree: forks that share it or branch from it see what a
    // merge, discard or reply before them left, and those after them see the forks.
    const forks = await this.#locked(plan.parentWorktree, () => this.#fork(plan));
    // As they are now that they were let start.
    return forks.map((task) => {
      const record = this.state.tasks.get(task.meta.id);
      return record ? this.state.snapshot(record) : task;
    });
  }

  async #fork({ threadId, forks }: ForkPlan): Promise<TaskSnapshot[]> {
    const made: TaskSnapshot[] = [];
    const release = this.scheduler.hold();
    try {
      for (const [i, fork] of forks.entries()) {
        try {
          made.push(await this.#start(fork));
        } catch (error) {
          for (const rest of [...forks.slice(0, i).reverse(), ...forks.slice(i + 1)]) {
            await this.#unmake(rest);
          }
          throw i === 0 ? error : forkFailure(threadId, i, forks.length, error);
        }
      }
    } finally {
      release();
    }
    return made;
  }

  /**
   * The engine's rules: a reply reserves its thread (refused while another task is queued,
   * starting or running on it: one turn per thread); a task continuing in its thread's worktree
   * needs that worktree there and no other unfinished task in it.
   * @throws {RequestError} Naming `threadId`.
   */
  async #admit(plan: TaskPlan): Promise<void> {
    const state = this.state;
    const threadId = plan.request.threadId;
    if (threadId !== undefined) {
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
      state.byThread.set(threadId, plan.id);
    }
    if (plan.worktree.kind !== "inherited") return;
    const { info, threadId: parent } = plan.worktree;
    const there = await Deno.stat(info.cwd).then((i) => i.isDirectory, () => false);
    if (!there) {
      throw new RequestError(
        "threadId",
        `Cannot continue thread "${parent}" as its worktree ${info.path} ` +
          `(branch ${info.branch}) no longer exists; pass worktree: false to continue it ` +
          "in cwd instead",
      );
    }
    // Another unfinished task there: the first to end would commit the other's half-done files.
    const unfinished = state.metas().filter((m) =>
      !isFinal(m.phase) && m.worktree?.path === info.path
    );
    if (unfinished.length === 0) return;
    const tasks = unfinished.map((t) => `task ${t.id} (${t.phase})`).join(", ");
    throw new RequestError(
      "threadId",
      `Cannot continue thread "${parent}" in its worktree ${info.path} as ${tasks} still ` +
        "works there and the first to end would commit the other's half-done files: " +
        `codex_wait {"task_ids":${JSON.stringify(unfinished.map((t) => t.id))}} first, or ` +
        "codex_fork it with worktree: true for a branch of its own",
    );
  }

  /** Undoes what was made for a task that never started: its record, its own worktree. */
  async #unmake(plan: TaskPlan): Promise<void> {
    const { store, worktrees, log } = this.state.options;
    const { id } = plan;
    this.state.tasks.delete(id);
    // Frees the thread it reserved.
    for (const [threadId, owner] of this.state.byThread) {
      if (owner === id) this.state.byThread.delete(threadId);
    }
    this.scheduler.queue.remove(id);
    await store.remove(id);
    if (plan.worktree.kind === "new") {
      await worktrees.discard(plan.worktree.info).catch((e) =>
        log.warning(`Cannot remove the worktree of task ${id}: ${e}`)
      );
    }
  }

  /** Writes a new task's record and queues it. */
  async #create(plan: TaskPlan): Promise<TaskSnapshot> {
    const state = this.state;
    const { store, log } = state.options;
    const worktree = plan.worktree.kind === "none" ? null : plan.worktree.info;
    const where = { cwd: plan.request.cwd!, runCwd: plan.runCwd, worktree };
    const meta = newMeta(plan.id, plan.request, plan.session, where);
    await store.create(meta).catch((error) => {
      // The task directory was removed, or is read-only or full: say so, not just the errno.
      throw new Error(
        `Cannot start task "${meta.id}" as its state cannot be written in the task directory ` +
          `${store.root}: ${messageOf(error)}`,
      );
    });
    const record = state.addRecord(meta, plan.session);
    record.thread = plan.thread;
    log.info(`Task ${meta.id} created`, {
      session: plan.session.id,
      worktree: meta.worktree?.branch ?? null,
      ...(log.enabled("debug") ? { prompt: meta.request.prompt } : {}),
    });
    this.scheduler.queue.push(plan.session.id, meta.id);
    this.scheduler.pump();
    state.emit(record, null);
    return state.snapshot(record);
  }
}

/** The meta of a new, queued task (a merge's too: merge/merge_host.ts). */
export function newMeta(
  id: string,
  request: TaskRequest,
  session: Session,
  where: { cwd: string; runCwd: string; worktree: WorktreeInfo | null },
): TaskMeta {
  return {
    version: 1,
    engine: "app-server",
    id,
    phase: "queued",
    request: { ...request, cwd: where.cwd },
    createdAt: nowIso(),
    startedAt: null,
    endedAt: null,
    deadline: null,
    cwd: where.runCwd,
    threadId: request.threadId ?? null,
    turnId: null,
    finalMessage: null,
    failure: null,
    cancelRequested: false,
    timedOut: false,
    worktree: where.worktree,
    worktreeOutcome: null,
    session: sessionRecord(session),
    answered: [],
  };
}
