/**
 * Tasks recorded by the exec-per-task engine of codex-swarm 0.1 (`codex exec --json` writing to
 * `events.jsonl`): after an upgrade they stay listed and collectable. A finished one's state is
 * replayed from its event log when first needed; one whose `codex exec` still runs is followed
 * (its pid looked at every second with `kill -0`, no `ps`) until it ends, then recorded from its
 * log, never dropped.
 *
 * @example
 * ```ts
 * const legacy = new LegacyTasks({ store, log });
 * const run = await legacy.replay(meta); // RunState or null
 * ```
 * @module
 */

import { followFile } from "./file_follow.ts";
import { parseJsonlStream } from "./jsonl_stream.ts";
import type { Logger } from "../base/log.ts";
import { sendSignal } from "../base/process.ts";
import { applyEvent, initialRunState, type RunState } from "./run_state.ts";
import type { TaskMeta } from "../tasks/task.ts";
import type { TaskStore } from "../tasks/task_store.ts";

/** How often a followed process is looked at. */
export const LEGACY_POLL_MS = 1000;

/** Reads and follows tasks of codex-swarm 0.1. */
export class LegacyTasks {
  #store: TaskStore;
  #log: Logger;
  #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: { store: TaskStore; log: Logger }) {
    this.#store = options.store;
    this.#log = options.log;
  }

  /** The run state from a task's event log (bounded, however long the log), or null. */
  async replay(meta: TaskMeta): Promise<RunState | null> {
    const follower = followFile(this.#store.eventsPath(meta.id));
    follower.finish();
    let run = initialRunState();
    try {
      for await (const parsed of parseJsonlStream(follower.readable)) run = applyEvent(run, parsed);
    } catch (error) {
      this.#log.warning(`Cannot replay task ${meta.id}: ${error}`);
      return null;
    }
    return run;
  }

  /** Follows a running `codex exec` of 0.1 until it ends; then `onEnd` gets the final record. */
  follow(meta: TaskMeta, onEnd: (final: TaskMeta, run: RunState | null) => void): void {
    const check = async () => {
      if (meta.pid !== null && sendSignal([meta.pid], "0")) {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          check();
        }, LEGACY_POLL_MS);
        this.#timers.add(timer);
        return;
      }
      const run = await this.replay(meta);
      const final: TaskMeta = { ...meta, endedAt: new Date().toISOString() };
      final.finalMessage = run?.finalMessage ?? meta.finalMessage;
      final.threadId = run?.threadId ?? meta.threadId;
      if (run?.turn === "completed") {
        final.phase = "completed";
      } else if (run?.turn === "failed") {
        final.phase = "failed";
        final.failure = run.failure ?? "Codex reported the turn failed";
      } else {
        final.phase = "interrupted";
        final.failure = `Its codex exec (pid ${meta.pid}, started by codex-swarm 0.1) ended ` +
          "without a final event" +
          (final.threadId ? `; thread ${final.threadId} can be continued with codex-reply` : "");
      }
      this.#log.info(`Task ${meta.id} of codex-swarm 0.1 ended ${final.phase}`);
      onEnd(final, run);
    };
    check();
  }

  /** Stops following. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
