/**
 * The request side of a call from Codex as an MCP client: every `tools/call` from Codex carries
 * `_meta["x-codex-turn-metadata"]` with the caller's `sandbox_mode` and `thread_id`. A task such a
 * call starts defaults to the caller's sandbox and may not be more permissive (an inner task never
 * has more rights than its caller), and records the caller's thread as its parent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TaskRequest } from "../tasks/task.ts";
 *
 * const meta = { "x-codex-turn-metadata": { sandbox_mode: "read-only", thread_id: "0199..." } };
 * const request: TaskRequest = { prompt: "hi" };
 * assert.equal(withCaller(request, meta).sandbox, "read-only");
 * assert.throws(
 *   () => withCaller({ prompt: "hi", sandbox: "danger-full-access" }, meta),
 *   /danger-full-access/, // naming both
 * );
 * ```
 * @module
 */

import type { ForkRequest } from "../tasks/fork.ts";
import { SANDBOX_MODES, sandboxRank } from "../codex/policy.ts";
import type { CallerInfo, TaskRequest } from "../tasks/task.ts";

/** The key Codex puts its turn metadata under in a request's `_meta`. */
export const CODEX_TURN_METADATA = "x-codex-turn-metadata";

/**
 * The calling Codex session, from a request's `_meta`, or null when the caller is not Codex. A
 * sandbox mode this version does not know counts as the strictest, `read-only`.
 */
export function callerOf(meta: unknown): CallerInfo | null {
  if (meta === null || typeof meta !== "object") return null;
  const turn = (meta as Record<string, unknown>)[CODEX_TURN_METADATA];
  if (turn === null || typeof turn !== "object") return null;
  const { sandbox_mode: mode, thread_id: threadId } = turn as Record<string, unknown>;
  const sandbox = typeof mode === "string"
    ? SANDBOX_MODES.find((known) => known === mode) ?? "read-only"
    : null;
  return { threadId: typeof threadId === "string" ? threadId : null, sandbox };
}

/**
 * The request as the caller may have it: with the caller recorded and its sandbox as the default.
 * Throws when the request asks for a more permissive sandbox than the caller's.
 */
export function withCaller<R extends TaskRequest | ForkRequest>(
  request: R,
  meta: unknown,
): R {
  const caller = callerOf(meta);
  if (caller === null) return request;
  const result: R = { ...request, caller };
  const ceiling = caller.sandbox;
  if (ceiling === null) return result;
  if (request.sandbox === undefined) return { ...result, sandbox: ceiling };
  if (sandboxRank(request.sandbox) > sandboxRank(ceiling)) {
    throw new Error(
      `Cannot start a task with sandbox "${request.sandbox}" as the calling Codex session` +
        (caller.threadId ? ` (thread ${caller.threadId})` : "") +
        ` runs in sandbox "${ceiling}": a task may not be more permissive than its caller; ` +
        `pass sandbox "${ceiling}" or a stricter one, or leave it out`,
    );
  }
  return result;
}
