/**
 * Bounds the connections that wait to prove the token: any local process can open them, and each
 * holds a reader and up to a 4 KB line until its deadline. Past the bound a connection is refused
 * at once. Refusals are logged, at most one line per {@link REFUSAL_LOG_EVERY_MS} (with the count
 * since the last), so a flood of connections cannot flood the log.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const gate = new AuthGate();
 * const release = gate.enter();
 * if (release === null) {
 *   const note = gate.refused(Date.now());
 *   if (note) console.warn(note); // the supervisor logs it
 * } else {
 *   // ...read the auth line, then:
 *   release();
 * }
 * assert.notEqual(release, null); // the first connection gets in
 * ```
 * @module
 */

/**
 * How many connections may wait for auth at once: a front-end proves the token within
 * milliseconds of connecting, so 16 leaves room for many clients starting together, and bounds
 * what waiting connections hold to 16 readers and 64 KB of lines.
 */
export const MAX_WAITING_FOR_AUTH = 16;

/** At most one log line about refused connections per this many ms. */
export const REFUSAL_LOG_EVERY_MS = 10_000;

/** Counts the connections waiting for auth. */
export class AuthGate {
  #waiting = 0;
  #refusedUnlogged = 0;
  #loggedAt = -Infinity;

  /** @param max How many may wait at once. */
  constructor(readonly max = MAX_WAITING_FOR_AUTH) {}

  /**
   * Lets a connection wait, or refuses it when {@link max} wait already.
   * @returns A function that ends its wait (once; later calls do nothing), or null when refused.
   */
  enter(): (() => void) | null {
    if (this.#waiting >= this.max) return null;
    this.#waiting++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#waiting--;
    };
  }

  /**
   * Counts a refused connection.
   * @returns The line to log now, or null when one was logged less than
   * {@link REFUSAL_LOG_EVERY_MS} ago (this refusal is counted in the next).
   */
  refused(now: number): string | null {
    this.#refusedUnlogged++;
    if (now - this.#loggedAt < REFUSAL_LOG_EVERY_MS) return null;
    const n = this.#refusedUnlogged;
    this.#refusedUnlogged = 0;
    this.#loggedAt = now;
    return `Closed ${n} connection(s) at once: ${this.max} connections already wait to prove ` +
      `the token (a process that floods the supervisor's port?)`;
  }
}
