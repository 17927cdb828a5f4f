import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import type { ServerRequest } from "./events.ts";
import {
  answerRequest,
  JSONRPC_INTERNAL_ERROR,
  JSONRPC_METHOD_NOT_FOUND,
  ownReply,
  type ServerRequestHandler,
} from "./server_request_reply.ts";

const log = new Logger({ level: "error", file: null, stderr: () => {} });

function request(fields: Record<string, unknown>): ServerRequest {
  return {
    kind: "request",
    method: "item/tool/requestUserInput",
    id: 7,
    ...fields,
  } as unknown as ServerRequest;
}

Deno.test("ownReply: currentTime/read from Codex before 0.171 only", () => {
  const time = request({ method: "currentTime/read" });
  assert.deepEqual(ownReply("0.169.0", time, 5_500), { currentTimeAt: 5 });
  assert.equal(ownReply("0.171.0", time, 5_500), null);
  assert.equal(ownReply("0.169.0", request({}), 5_500), null);
});

/** The replies `answerRequest` writes for `request`, with `handler`. */
async function replies(
  request: ServerRequest,
  handler: ServerRequestHandler | null,
): Promise<Array<Record<string, unknown>>> {
  const written: Array<Record<string, unknown>> = [];
  await answerRequest(request, {
    version: "0.169.0",
    handler,
    log,
    write: (reply) => written.push(reply),
  });
  return written;
}

Deno.test("answerRequest: every request gets one reply", async () => {
  const [none, ...more] = await replies(request({}), null);
  assert.equal(more.length, 0);
  assert.equal((none!.error as { code: number }).code, JSONRPC_METHOD_NOT_FOUND);
  const unknown = await replies(
    request({ kind: "unknown", problem: "new" }),
    () => Promise.resolve({}),
  );
  assert.match(JSON.stringify(unknown), /does not know this request \(unknown: new\)/);
  const handler = (r: ServerRequest) =>
    r.id === 7 ? Promise.resolve({ decision: "accept" }) : Promise.reject(new Error("no"));
  assert.deepEqual(await replies(request({}), handler), [{
    id: 7,
    result: { decision: "accept" },
  }]);
  const [failed] = await replies(request({ id: 8 }), handler);
  assert.equal((failed!.error as { code: number }).code, JSONRPC_INTERNAL_ERROR);
  assert.match((failed!.error as { message: string }).message, /could not answer .*: no$/);
  const time = await replies(request({ method: "currentTime/read" }), handler);
  assert.deepEqual(time.map((reply) => Object.keys(reply.result as object)), [["currentTimeAt"]]);
});
