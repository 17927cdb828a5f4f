/**
 * When queued tasks start: fairly across sessions ({@link FairQueue}), up to the engine's cap, not
 * while forks are being made ({@link Scheduler.hold}) nor while the model API rate-limits
 * (backoff.ts); and the clock of a task's time limit, which stops while Codex waits for an answer.
 *
 * @example Not run: needs the engine's state: see app_engine.ts.
 * ```ts ignore
 * const scheduler = new Scheduler(state, (record) => run(record));
 * scheduler.queue.push(session.id, id);
 * scheduler.pump();
 * ```
 * @module
 */

import { backoffStep, startAllowedAt } from "./backoff.ts";
import type { EngineState } from "./engine_state.ts";
import { FairQueue } from "./fair_queue.ts";
import type { TaskMeta } from "./task.ts";
import { LOCAL_WORKER } from "../workers/worker_config.ts";
import type { TaskRecord } from "./task_record.ts";

/** Runs the time-limit clock (again), and shows when it would run out. */
export function runClock(record: TaskRecord): void {
  record.budget?.run();
  record.meta.deadline = record.budget?.deadline ?? null;
}

/** Stops the clock while Codex waits for an answer: that time does not count. */
export function pauseClock(record: TaskRecord): void {
  record.budget?.pause();
  record.meta.deadline = null;
}

/** The queue of tasks and the start of each when its turn comes. */
export class Scheduler {
  /** The queued tasks (the engine pushes and removes them; {@link pump} starts them). */
  readonly queue = new FairQueue();
  /** The tasks that hold a place (the end of a task frees it). */
  readonly active = new Set<string>();
  #backoffTimer: ReturnType<typeof setTimeout> | undefined;
  /** While above 0, queued tasks wait (forks are made all or none before any starts). */
  #held = 0;

  /** `run` starts a task (and handles its failure): task_run.ts. */
  constructor(
    private readonly state: EngineState,
    private readonly run: (record: TaskRecord) => void,
  ) {}

  /** Holds queued tasks back until the function returned is called. */
  hold(): () => void {
    this.#held++;
    return () => {
      this.#held--;
      this.pump();
    };
  }

  close(): void {
    clearTimeout(this.#backoffTimer);
  }

  /** The tasks that hold a place now. */
  running(): TaskMeta[] {
    return [...this.active].flatMap((id) => this.state.tasks.get(id)?.meta ?? []);
  }

  /**
   * Starts queued tasks while places are free: each where placement finds it one (placement.ts),
   * local or on a worker; a task whose worker is full waits without holding back the others.
   */
  pump(): void {
    const state = this.state;
    while (!state.closed && this.#held === 0 && state.remote.hasFreeSlot(this.running())) {
      if (!startAllowedAt(state.backoff, Date.now())) return this.#pumpAfterBackoff();
      const running = this.running();
      let worker: string | null = null;
      const id = this.queue.shift((id) => {
        const meta = state.tasks.get(id)?.meta;
        // A task no longer queued is taken out of the queue (and skipped below).
        worker = meta?.phase === "queued" ? state.remote.place(meta, running) : LOCAL_WORKER;
        return worker !== null;
      });
      if (id === undefined) return;
      const record = state.tasks.get(id);
      if (!record || record.meta.phase !== "queued") continue;
      record.meta.worker = worker ?? LOCAL_WORKER;
      this.active.add(id);
      this.run(record);
    }
  }

  /** Pumps again when the back-off ends; tells the queued tasks why they wait. */
  #pumpAfterBackoff(): void {
    if (this.#backoffTimer !== undefined) return;
    const until = this.state.backoff.until ?? Date.now();
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      this.pump();
    }, Math.max(0, until - Date.now()));
    for (const record of this.state.tasks.values()) {
      if (record.meta.phase === "queued") {
        this.state.emit(record, backoffStep(new Date(until).toISOString()));
      }
    }
  }
}
