/**
 * Waiting: a pause, and a wait for a promise with a limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * await delay(1);
 * assert.equal(await withTimeout(new Promise(() => {}), 1), "timeout");
 * assert.equal(await withTimeout(Promise.resolve("done"), 1_000), "done");
 * ```
 * @module
 */

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * What `work` resolves to, or `"timeout"` when it has not settled within `ms` (it is not stopped).
 * The timer is cleared as soon as `work` settles; a rejection of `work` within `ms` is passed on.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}
