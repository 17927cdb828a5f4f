/**
 * `codex_wait` in the engine: resolves when all (or any) of some tasks are final, or one of them
 * has a question the waiting session was not told of yet (each question is reported to a session
 * once), or the timeout passes, or the signal aborts. It never rejects: the result says whether
 * the condition held.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // `records` are the engine's tasks, `hooks` its snapshots and change listeners; with no task
 * // there is nothing to wait for.
 * const hooks = { snapshot: () => { throw new Error("no task"); }, listeners: new Set<never>() };
 * const result = await waitForTasks([], { mode: "all", timeoutMs: 60_000 }, hooks);
 * assert.deepEqual(result, { satisfied: true, tasks: [], questions: [] }); // at once
 * ```
 * @module
 */

import type { ChangeListener, WaitOptions, WaitResult } from "./engine_api.ts";
import type { EngineState } from "./engine_state.ts";
import { isFinal } from "./task.ts";
import type { TaskRecord } from "./task_record.ts";

/** Waits on `records` (see the module doc); `hooks` are the engine's snapshots and listeners. */
export function waitForTasks(
  records: TaskRecord[],
  options: WaitOptions,
  hooks: Pick<EngineState, "snapshot" | "listeners">,
): Promise<WaitResult> {
  const ids = new Set(records.map((r) => r.meta.id));
  const unreported = () =>
    options.sessionId === undefined
      ? []
      : records.filter((r) => r.pending !== null && !r.pending.reportedTo.has(options.sessionId!));
  const holds = () =>
    options.mode === "all"
      ? records.every((r) => isFinal(r.meta.phase))
      : records.some((r) => isFinal(r.meta.phase));
  const result = (satisfied: boolean): WaitResult => {
    const asked = unreported();
    for (const r of asked) r.pending!.reportedTo.add(options.sessionId!);
    return {
      satisfied,
      tasks: records.map((r) => hooks.snapshot(r)),
      questions: asked.map((r) => ({ task_id: r.meta.id, ...r.pending!.view })),
    };
  };
  if (records.length === 0 || holds() || unreported().length > 0) {
    return Promise.resolve(result(holds()));
  }
  return new Promise((resolve) => {
    const signal = AbortSignal.any([
      AbortSignal.timeout(options.timeoutMs),
      ...(options.signal ? [options.signal] : []),
    ]);
    const finish = () => {
      hooks.listeners.delete(listener);
      signal.removeEventListener("abort", finish);
      resolve(result(holds()));
    };
    const listener: ChangeListener = (task) => {
      if (ids.has(task.meta.id) && (holds() || unreported().length > 0)) finish();
    };
    hooks.listeners.add(listener);
    signal.addEventListener("abort", finish, { once: true });
  });
}
