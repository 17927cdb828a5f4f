/**
 * How a task ended, decided from what is known when its turn is over: a cancel or time limit
 * asked for, the turn's status from Codex, an app-server that went away. Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const meta = { cancelRequested: false, timedOut: false, request: { prompt: "x" }, answered: [], failure: null };
 * assert.deepEqual(taskEnd(meta, { turnStatus: "completed", failure: null }, null), {
 *   phase: "completed",
 *   failure: null,
 * });
 * ```
 * @module
 */

import type { TurnState } from "../codex/turn_state.ts";
import type { Phase, TaskMeta } from "./task.ts";

/**
 * The final phase and its cause (null when it completed).
 * @param meta The task's record (its cancel and time-limit flags, its answers, a failure so far).
 * @param run The state of its turn.
 * @param serverGone Why its app-server went away under it, if it did.
 */
export function taskEnd(
  meta: Pick<
    TaskMeta,
    "cancelRequested" | "timedOut" | "request" | "session" | "answered" | "failure" | "workerLost"
  >,
  run: Pick<TurnState, "turnStatus" | "failure">,
  serverGone: string | null,
): { phase: Phase; failure: string | null } {
  if (meta.cancelRequested) return { phase: "cancelled", failure: meta.failure };
  // The turn may say completed: its commands failed on the lost worker as tool output.
  if (meta.workerLost) return { phase: "failed", failure: meta.workerLost };
  if (meta.timedOut) {
    const limit = meta.request.timeoutS ?? meta.session?.taskTimeoutS;
    return {
      phase: "timed_out",
      failure: `Codex did not finish within the task's time limit (${limit} s); time spent ` +
        "waiting for answers does not count",
    };
  }
  const lastAnswer = meta.answered?.at(-1);
  switch (run.turnStatus) {
    case "completed":
      return { phase: "completed", failure: null };
    case "failed":
      return { phase: "failed", failure: run.failure ?? "Codex reported the turn failed" };
    case "interrupted":
      // Answering a question with cancel ends the turn: the user cancelled the task.
      if (lastAnswer?.decision === "cancel") {
        return { phase: "cancelled", failure: `Cancelled by the answer to: ${lastAnswer.message}` };
      }
      return { phase: "interrupted", failure: serverGone ?? "Codex interrupted the turn" };
    default:
      return {
        phase: "failed",
        failure: serverGone ?? meta.failure ?? "Codex ended without finishing the turn",
      };
  }
}
