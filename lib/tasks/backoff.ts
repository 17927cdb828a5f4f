/**
 * The queue's back-off after the model API answers 429 (rate limit): new starts are held back for
 * a delay that starts at {@link BACKOFF_FIRST_MS} and doubles with each further 429, up to
 * {@link BACKOFF_MAX_MS}; a task that completes resets it. Pure: the engine keeps the state and
 * asks {@link startAllowedAt} before it starts a queued task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const now = Date.now();
 * let backoff = NO_BACKOFF;
 * backoff = afterTaskEnd(backoff, { phase: "failed", failure: "unexpected status 429" }, now);
 * assert.equal(backoff.until, now + 2000);
 * assert.equal(startAllowedAt(backoff, now), false);
 * assert.equal(startAllowedAt(backoff, now + 2000), true);
 * ```
 * @module
 */

import type { Phase } from "./task.ts";

/** The first delay after a 429, in milliseconds. */
export const BACKOFF_FIRST_MS = 2000;
/** The longest delay, in milliseconds. */
export const BACKOFF_MAX_MS = 60_000;

/** How the queue holds back starts. */
export interface Backoff {
  /** 429s in a row (since the last completed task). */
  strikes: number;
  /** Epoch milliseconds before which no queued task starts, or null. */
  until: number | null;
}

/** No back-off. */
export const NO_BACKOFF: Backoff = { strikes: 0, until: null };

/** Whether a task's failure says the model API answered 429 (rate limit). */
export function isRateLimited(failure: string | null): boolean {
  return failure !== null && /\b429\b|too many requests|rate.?limit/i.test(failure);
}

/** The back-off after a task ended with `phase` and `failure` at `now`. */
export function afterTaskEnd(
  backoff: Backoff,
  end: { phase: Phase; failure: string | null },
  now: number,
): Backoff {
  if (end.phase === "completed") return NO_BACKOFF;
  if (end.phase !== "failed" || !isRateLimited(end.failure)) return backoff;
  const strikes = backoff.strikes + 1;
  const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (strikes - 1));
  return { strikes, until: now + delay };
}

/** The step a queued task shows while starts are held back until `until` (ISO). */
export function backoffStep(until: string): string {
  return `Queued: the model API answered 429 (rate limit); starts held back until ${until}`;
}

/** Whether a queued task may start at `now`. */
export function startAllowedAt(backoff: Backoff, now: number): boolean {
  return backoff.until === null || now >= backoff.until;
}
