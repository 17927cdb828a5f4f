/**
 * What a worker's loss and return mean for its tasks (docs/workers.md). The pool says a worker is
 * `down` once its grace is over: its running tasks then end `failed` with the cause
 * `worker NAME lost: <its last error>` (even when Codex would end the turn `completed`: the
 * commands failed on the lost worker as tool output), and so do the queued tasks pinned to it;
 * other queued tasks go to other workers. When
 * it is `ready` again, what its lost tasks wrote there is committed and brought back as their
 * branches: each shows `recovered: true` and stays `failed`. So does the work of an ended task that
 * could not be brought back when it ended (its supervisor stopped while the worker was away).
 *
 * @example
 * ```ts ignore
 * // Needs the engine's parts: see app_engine.ts.
 * const loss = new WorkerLoss(state, runs, ending, scheduler);
 * workers.onChange((status) => loss.changed(status.name, status.state));
 * ```
 * @module
 */

import type { EngineState } from "./engine_state.ts";
import type { Scheduler } from "./scheduling.ts";
import { isFinal } from "./task.ts";
import type { TaskEnding } from "./task_ending.ts";
import type { TaskRecord } from "./task_record.ts";
import type { TaskRun } from "./task_run.ts";

/** Follows the workers' states for the engine. */
export class WorkerLoss {
  constructor(
    private readonly state: EngineState,
    private readonly runs: Pick<TaskRun, "stopTurn">,
    private readonly ending: Pick<TaskEnding, "commitWorktree" | "finalize">,
    private readonly scheduler: Pick<Scheduler, "pump" | "queue">,
  ) {}

  /** Worker `name` is now `state` (`connecting`, `ready` or `down`). */
  changed(name: string, state: string): void {
    if (state === "down") this.#lost(name);
    if (state === "ready") this.#back(name);
    this.scheduler.pump();
  }

  /** Its running tasks end failed, naming it. */
  #lost(name: string): void {
    const state = this.state;
    const lastError = state.options.workers.list().find((w) => w.name === name)?.lastError;
    for (const record of state.tasks.values()) {
      const { meta } = record;
      if (isFinal(meta.phase)) continue;
      // A queued task pinned there (or a reply of a task there) has nowhere else to go.
      const queued = meta.phase === "queued";
      if ((queued ? meta.request.worker : meta.worker) !== name) continue;
      meta.workerLost = `worker ${name} lost: ${lastError ?? "it went down"}`;
      state.log.warning(`Task ${meta.id} failed: ${meta.workerLost}`);
      if (!queued) {
        this.runs.stopTurn(record);
        continue;
      }
      this.scheduler.queue.remove(meta.id);
      this.ending.finalize(record).catch((error) =>
        state.log.error(`Cannot end task ${meta.id}: ${error}`)
      );
    }
  }

  /**
   * What its lost tasks wrote comes back, and the work of any other ended task that could not be
   * brought back (a supervisor that stopped while the worker was away).
   */
  #back(name: string): void {
    for (const record of this.state.tasks.values()) {
      const { meta } = record;
      if (meta.worker !== name || !meta.remote || !isFinal(meta.phase)) continue;
      const lost = meta.workerLost !== undefined && !meta.recovered;
      if (!lost && meta.worktreeOutcome?.error === undefined) continue;
      this.#recover(record).catch((error) =>
        this.state.log.error(`Cannot recover the work of task ${meta.id}: ${error}`)
      );
    }
  }

  /** Brings back what a task wrote on a worker that was lost and came back; it stays failed. */
  async #recover(record: TaskRecord): Promise<void> {
    const { meta } = record;
    if (!meta.worktree || meta.request.commit === false) return;
    const outcome = await this.ending.commitWorktree(meta);
    if (outcome.error !== undefined) return;
    meta.worktreeOutcome = outcome;
    if (meta.workerLost !== undefined) meta.recovered = true;
    await this.state.save(record);
    this.state.emit(record, `Recovered the work of task ${meta.id} from worker ${meta.worker}`);
  }
}
