/**
 * A review task on the app-server once it ended (it ran `review/start` in place of `turn/start`,
 * thread_turn.ts): its findings read from the thread's rollout (see review_output.ts), and what it
 * cost.
 *
 * @example Not run: it needs a running `codex app-server` (`server`).
 * ```ts ignore
 * // ... the review's turn ends ...
 * meta.review = await collectReview(server, meta);
 * ```
 * @module
 */

import type { AppServer } from "../codex/app_server.ts";
import { readReview, type ReviewOutput } from "../codex/review_output.ts";
import { findReviewRollouts, findThreadRollout, lastTokenUsage } from "../codex/codex_threads.ts";
import type { Usage } from "../codex/run_state.ts";
import type { TaskMeta } from "./task.ts";

/**
 * The findings and verdict of a review task that ended: Codex's structured output from the
 * thread's rollout under the app-server's CODEX_HOME, else its rendered text (the task's final
 * message) parsed, else null.
 */
export async function collectReview(
  server: AppServer | null,
  meta: TaskMeta,
): Promise<ReviewOutput | null> {
  const home = server?.info.codexHome ?? "";
  const rollout = home && meta.threadId ? findThreadRollout(home, meta.threadId) : null;
  return await readReview({ rollout, turnId: meta.turnId ?? null, text: meta.finalMessage });
}

/**
 * What a finished review cost: Codex 0.169 sends no token usage for a review (its reviewer runs
 * on a sub-agent thread of its own), so it is read from the reviewer's rollout; null when none
 * is found.
 */
export async function reviewUsage(server: AppServer | null, meta: TaskMeta): Promise<Usage | null> {
  const home = server?.info.codexHome ?? "";
  if (!home || !meta.threadId) return null;
  // The reviewer's rollout was written after the task started (a minute of slack for clocks).
  const since = Date.parse(meta.startedAt ?? meta.createdAt) - 60_000;
  const [newest] = await findReviewRollouts(home, meta.threadId, since);
  return newest === undefined ? null : await lastTokenUsage(newest);
}
