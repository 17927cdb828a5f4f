/**
 * The client's answers to the app-server's own requests (approvals, questions): every request gets
 * one ({@linkcode answerRequest}). The handler's value is the result and its throw an error reply; a request that needs
 * nobody's decision is answered here ({@linkcode ownReply}); one without a handler, or that
 * `./events.ts` does not know, gets an error reply naming the method.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownReply } from "./server_request_reply.ts";
 * import type { ServerRequest } from "./events.ts";
 *
 * const request = { method: "currentTime/read", id: 1 } as unknown as ServerRequest;
 * assert.deepEqual(ownReply("0.169.0", request, 1_700_000_000_500), { currentTimeAt: 1700000000 });
 * ```
 * @module
 */

import type { Logger } from "../base/log.ts";
import type { ServerRequest } from "./events.ts";
import { sendsCurrentTimeRead } from "./codex_versions.ts";
import { messageOf } from "../base/errors.ts";

/** JSON-RPC error codes of the replies this client sends. */
export const JSONRPC_METHOD_NOT_FOUND = -32601;
/** The handler threw. */
export const JSONRPC_INTERNAL_ERROR = -32603;

/** Answers a server request: the value is the result; a throw becomes an error reply. */
export type ServerRequestHandler = (request: ServerRequest) => Promise<unknown>;

/**
 * The reply to a server request that needs nobody's decision, or null. Codex before 0.171 may ask
 * for the time of a thread's turn (`currentTime/read`, experimental): the supervisor's clock, in
 * whole Unix seconds. A later Codex no longer sends it, so nothing answers it there.
 */
export function ownReply(
  version: string,
  request: ServerRequest,
  nowMs: number,
): Record<string, unknown> | null {
  if (request.method === "currentTime/read" && sendsCurrentTimeRead(version)) {
    return { currentTimeAt: Math.floor(nowMs / 1000) };
  }
  return null;
}

/** What {@linkcode answerRequest} needs. */
export interface ReplyParts {
  /** The server's Codex version ("unknown" before the handshake). */
  version: string;
  /** Who decides, or null when nobody is set. */
  handler: ServerRequestHandler | null;
  log: Logger;
  /** Sends the reply. */
  write: (reply: Record<string, unknown>) => void;
}

/**
 * Answers `request` once: at once when it needs nobody's decision or nobody can give one (an error
 * naming the method), else with what the handler resolves (an error when it throws).
 */
export async function answerRequest(request: ServerRequest, parts: ReplyParts): Promise<void> {
  const { id, method } = request;
  const { handler, write } = parts;
  const own = ownReply(parts.version, request, Date.now());
  if (own !== null) return write({ id, result: own });
  if (request.kind !== "request" || handler === null) {
    const why = handler === null
      ? "no handler is set"
      : `codex-swarm does not know this request (${request.kind}${
        request.kind !== "request" && request.problem ? `: ${request.problem}` : ""
      })`;
    parts.log.warning("cannot answer codex app-server request", { method, why });
    const message = `codex-swarm cannot answer ${method}: ${why}`;
    return write({ id, error: { code: JSONRPC_METHOD_NOT_FOUND, message } });
  }
  try {
    write({ id, result: (await handler(request)) ?? {} });
  } catch (error) {
    const message = `codex-swarm could not answer ${method}: ${messageOf(error)}`;
    write({ id, error: { code: JSONRPC_INTERNAL_ERROR, message } });
  }
}
