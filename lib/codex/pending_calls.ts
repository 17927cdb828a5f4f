/**
 * The client's calls to the app-server that wait for their answer, by JSON-RPC id: each settles
 * once, with the answer, a JSON-RPC error ({@linkcode AppServerRequestError}), its signal's abort,
 * its timeout, or the server's end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PendingCalls } from "./pending_calls.ts";
 *
 * const calls = new PendingCalls("codex");
 * const { id, answer } = calls.add("thread/start", {});
 * calls.settle(id, { id, result: { thread: { id: "t1" } } });
 * assert.deepEqual(await answer, { thread: { id: "t1" } });
 * ```
 * @module
 */

import { AppServerError, AppServerRequestError } from "./app_server_errors.ts";
import { isRecord } from "../base/records.ts";

/** A call in flight: each settling also forgets it and stops its timer and abort listener. */
interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** How a call may end early. */
export interface CallLimits {
  /** Aborting rejects the call with the signal's reason (a later answer is dropped). */
  signal?: AbortSignal;
  /** Rejects with an {@link AppServerError} `timeout` after this many ms. */
  timeoutMs?: number;
}

/** The calls in flight of one app-server (see the module doc). */
export class PendingCalls {
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  /** Calls of the app-server of `bin` (named in the errors). */
  constructor(private readonly bin: string) {}

  /**
   * A new call of `method`: its id, and its answer. The caller writes the request with the id
   * (and checks the signal is not aborted yet).
   */
  add(method: string, { signal, timeoutMs }: CallLimits): { id: number; answer: Promise<unknown> } {
    const id = this.#nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      const settling = <T>(settle: (value: T) => void) => (value: T) => {
        this.#pending.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        settle(value);
      };
      const pending = { method, resolve: settling(resolve), reject: settling(reject) };
      const onAbort = () => pending.reject(signal!.reason);
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        pending.reject(
          new AppServerError(
            "timeout",
            this.bin,
            `Codex app-server did not answer ${method} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, pending);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    return { id, answer };
  }

  /** Settles call `id` with the server's answer (`result` or `error`); a settled id is ignored. */
  settle(id: number, message: Record<string, unknown>): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return; // Aborted or timed out already.
    const error = message.error;
    if (isRecord(error)) {
      pending.reject(
        new AppServerRequestError(
          pending.method,
          typeof error.code === "number" ? error.code : 0,
          typeof error.message === "string" ? error.message : JSON.stringify(error),
          error.data,
        ),
      );
    } else {
      pending.resolve(message.result);
    }
  }

  /** Rejects every call in flight with `error` (the server is gone). */
  rejectAll(error: unknown): void {
    for (const pending of [...this.#pending.values()]) pending.reject(error);
  }
}
