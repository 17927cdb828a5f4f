/**
 * How a task ends: its final phase decided from what is known ({@link taskEnd}), its structured
 * result or review collected, its worktree committed, its state saved, its place freed. Also the
 * end of tasks a supervisor stop interrupted, whose work is committed once nothing runs in their
 * worktrees any more.
 *
 * @example Not run: needs the engine's state: see app_engine.ts.
 * ```ts ignore
 * const ending = new TaskEnding(state, scheduler);
 * await ending.finalize(record);
 * ```
 * @module
 */

import { afterTaskEnd } from "./backoff.ts";
import { readStructuredResult } from "../codex/output_schema.ts";
import { killProcessesIn } from "../base/leftover_processes.ts";
import { commitTaskWork, noCommit, type WorktreeOutcome } from "../git/task_commit.ts";
import { type EngineState, firstLine, nowIso } from "./engine_state.ts";
import { messageOf } from "../base/errors.ts";
import { readReview } from "../codex/review_output.ts";
import { findReviewRollouts, findThreadRollout, lastTokenUsage } from "../codex/codex_threads.ts";
import type { Scheduler } from "./scheduling.ts";
import { isFinal, type TaskMeta } from "./task.ts";
import { taskEnd } from "./task_end.ts";
import type { TaskRecord } from "./task_record.ts";
import { stoppedMergeCause } from "./merge/merge_plan.ts";

/**
 * A review task's findings and verdict once it ended (it ran `review/start` in place of a turn):
 * Codex's structured output from the thread's rollout under the app-server's CODEX_HOME, else its
 * rendered text (the final message) parsed, else null. And what it cost: Codex 0.169 sends no
 * token usage for a review (its reviewer runs on a sub-agent thread of its own), so it is read
 * from the reviewer's rollout when none came.
 */
export async function collectReview(record: TaskRecord): Promise<void> {
  const { meta, run } = record;
  const home = record.server?.info.codexHome ?? "";
  const rollout = home && meta.threadId ? findThreadRollout(home, meta.threadId) : null;
  meta.review = await readReview({ rollout, turnId: meta.turnId ?? null, text: meta.finalMessage });
  let usage = run.usage;
  if (!usage && home && meta.threadId) {
    // The reviewer's rollout was written after the task started (a minute of slack for clocks).
    const since = Date.parse(meta.startedAt ?? meta.createdAt) - 60_000;
    const [newest] = await findReviewRollouts(home, meta.threadId, since);
    usage = newest === undefined ? null : await lastTokenUsage(newest);
  }
  // Onto the run as it is now: what Codex sent while the review was read stays (its events still
  // reach the task until it is final).
  if (usage) record.run = { ...record.run, usage, usageTotal: run.usageTotal ?? usage };
}

/** Ends tasks. */
export class TaskEnding {
  constructor(private readonly state: EngineState, private readonly scheduler: Scheduler) {}

  /** Marks an unfinished task `interrupted` (its supervisor stopped) and ends its turn's wait. */
  interrupt(record: TaskRecord): void {
    const state = this.state;
    const { meta } = record;
    meta.phase = "interrupted";
    // Why: a merge goes on with resume, a task's thread with codex-reply.
    meta.failure = meta.request.merge
      ? stoppedMergeCause(meta.id)
      : "The supervisor that ran this task stopped while it ran" +
        (meta.threadId
          ? `; its thread ${meta.threadId} can be continued with codex-reply`
          : " before Codex started its thread");
    meta.endedAt = nowIso();
    meta.finalMessage ??= record.run.finalMessage;
    record.done.resolve();
    record.turnEnded.resolve();
    if (record.server !== null) {
      // What the task did so far stays readable.
      const run = record.run;
      record.saving = record.saving.then(() => state.options.store.saveRun(meta.id, run))
        .catch(() => {});
    } else {
      state.loadRunLater(record);
    }
    state.save(record);
    state.emit(record, "Task interrupted");
  }

  /**
   * Commits the work of interrupted tasks: of `stopped` (the tasks a supervisor stop interrupted),
   * and of tasks an earlier stop left uncommitted. First it ends every process still working in
   * their worktrees, and in the app-servers' directory (a dead supervisor's app-server, its
   * commands, a `git` it ran), so nothing writes there after the commit; then it removes the
   * `index.lock` a killed commit may have left. With `commit: false` nothing is committed.
   */
  async commitInterrupted(stopped: TaskRecord[]): Promise<void> {
    const { log, store, worktrees } = this.state.options;
    const toCommit = this.#uncommitted();
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
      meta.worktreeOutcome = await this.commitWorktree(meta);
      if (meta.worktreeOutcome.commit !== null) {
        log.info(`Committed the work of interrupted task ${meta.id}`, {
          commit: meta.worktreeOutcome.commit,
        });
      }
      await this.state.save(record);
    }
  }

  /** The interrupted tasks whose work is to be committed and is not. */
  #uncommitted(): TaskRecord[] {
    const all = [...this.state.tasks.values()];
    return all.filter((record) => {
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
  }

  /** Decides the final phase from what is known, commits the worktree, saves, tells listeners. */
  async finalize(record: TaskRecord): Promise<void> {
    const state = this.state;
    const { meta, run } = record;
    if (isFinal(meta.phase)) return;
    record.budget?.stop();
    record.pending?.answer("cancel", "codex-swarm");
    if (record.server && meta.threadId !== null && !record.serverGone) {
      // A command the turn left running in the background (past its yield time) ends with the
      // task: nothing a task started outlives it.
      await record.server.request("thread/backgroundTerminals/clean", { threadId: meta.threadId })
        .catch((error: unknown) =>
          state.log.warning(`Cannot clean up after task ${meta.id}: ${error}`)
        );
    }
    const end = taskEnd(meta, run, record.serverGone);
    meta.failure = end.failure ?? meta.failure;
    meta.finalMessage = run.finalMessage;
    const phase = await this.#collect(record, end.phase);
    meta.phase = phase;
    meta.endedAt = nowIso();
    // A rate limit it met holds the next starts back.
    state.backoff = afterTaskEnd(state.backoff, meta, Date.now());
    if (meta.threadId !== null && state.byThread.get(meta.threadId) === meta.id) {
      state.byThread.delete(meta.threadId);
    }
    await state.options.store.saveRun(meta.id, record.run).catch((error) =>
      state.log.warning(`Cannot save the state of task ${meta.id}: ${error}`)
    );
    await state.save(record);
    this.scheduler.active.delete(meta.id);
    record.server = null;
    state.log.info(`Task ${meta.id} ${phase}`, {
      session: meta.session?.id,
      failure: meta.failure,
    });
    record.done.resolve();
    state.emit(record, `Task ${phase.replace("_", " ")}`);
    this.scheduler.pump();
  }

  /**
   * Collects what a task leaves: its structured result, its review, its committed work. Returns
   * the final phase (`failed` when its work could not be committed).
   */
  async #collect(record: TaskRecord, phase: TaskMeta["phase"]): Promise<TaskMeta["phase"]> {
    const { meta } = record;
    const { worktrees, log } = this.state.options;
    if (phase === "completed" && meta.request.outputSchema) {
      meta.structured = readStructuredResult(meta.finalMessage, meta.request.outputSchema);
    }
    if (phase === "completed" && meta.request.review) await collectReview(record);
    if (meta.request.review?.branch !== undefined && meta.worktree) {
      // The checkout made for the review goes: a review edits nothing.
      await worktrees.discard(meta.worktree).then(
        () => (meta.worktree = null),
        (error) => log.warning(`Cannot remove the review checkout: ${error}`),
      );
    }
    // A task with a check committed its work before the check ran (attempt_check.ts).
    if (meta.worktree && meta.request.commit !== false && meta.startedAt !== null) {
      meta.worktreeOutcome ??= await this.commitWorktree(meta);
      if (meta.worktreeOutcome.error !== undefined && phase === "completed") {
        // "Completed, nothing changed" would hide work that is only in the worktree.
        meta.failure =
          `Codex finished, but committing its work failed: ${meta.worktreeOutcome.error}`;
        return "failed";
      }
    }
    return phase;
  }

  /**
   * Commits what this task changed on the branch of its worktree (it has one); reports only this
   * task's commit and files.
   */
  async commitWorktree(meta: TaskMeta): Promise<WorktreeOutcome> {
    const message = `codex-swarm: task ${meta.id}: ${firstLine(meta.request.prompt)}`;
    if (this.state.remote.isRemote(meta)) {
      // Its work is on the worker: committed there and brought back as the branch first.
      const away = await this.state.remote.bringBack(meta, message).then(() => null, messageOf);
      if (away !== null) {
        // Its worker is gone: the work stays there, and comes back when the worker does.
        this.state.log.error(`Cannot bring back the work of task ${meta.id}: ${away}`);
        return noCommit(
          `Cannot bring back the work of task ${meta.id} from worker "${meta.worker}" ` +
            `(it stays there, and comes back when the worker does): ${away}`,
        );
      }
    }
    const outcome = await commitTaskWork(
      this.state.options.worktrees,
      meta.worktree!,
      message,
      meta.worktreeStartHead ?? null,
    );
    if (outcome.error !== undefined) {
      this.state.log.error(`Cannot commit the worktree of task ${meta.id}: ${outcome.error}`);
    }
    return outcome;
  }
}
