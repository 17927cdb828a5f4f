/**
 * A task's time limit as a budget of running time: the clock stops while Codex waits for an
 * answer to a question (an approval), so waiting for a person does not use up the limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * let expired = false;
 * const budget = new TimeBudget(60_000, () => expired = true);
 * budget.run(); // the clock runs
 * assert.notEqual(budget.deadline, null);
 * budget.pause(); // waiting for an approval: it stops
 * assert.equal(budget.deadline, null);
 * budget.run(); // and goes on with what was left
 * budget.stop();
 * assert.equal(expired, false);
 * ```
 * @module
 */

/** Running time left before `onExpire` is called once. */
export class TimeBudget {
  #since: number | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #expired = false;

  /** @param leftMs The limit in milliseconds, or null for none. */
  constructor(private leftMs: number | null, private readonly onExpire: () => void) {}

  /** When the budget runs out if the clock keeps running (ISO), or null when stopped or unlimited. */
  get deadline(): string | null {
    if (this.leftMs === null || this.#since === null) return null;
    return new Date(this.#since + this.leftMs).toISOString();
  }

  /** Starts (or restarts) the clock with what is left. */
  run(): void {
    if (this.leftMs === null || this.#since !== null || this.#expired) return;
    this.#since = Date.now();
    this.#timer = setTimeout(() => {
      this.#expired = true;
      this.#since = null;
      this.leftMs = 0;
      this.onExpire();
    }, this.leftMs);
  }

  /** Stops the clock, keeping what is left. */
  pause(): void {
    if (this.leftMs === null || this.#since === null) return;
    clearTimeout(this.#timer);
    this.leftMs = Math.max(0, this.leftMs - (Date.now() - this.#since));
    this.#since = null;
  }

  /** Stops for good. */
  stop(): void {
    this.pause();
    this.#expired = true;
  }
}
