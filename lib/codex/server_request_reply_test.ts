import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import type { ServerRequest } from "./events.ts";
import {
  askHandler,
  JSONRPC_INTERNAL_ERROR,
  JSONRPC_METHOD_NOT_FOUND,
  ownReply,
  replyNow,
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

Deno.test("replyNow and askHandler: every request with an id gets one reply", async () => {
  assert.deepEqual(replyNow(request({ id: -1 }), { version: "0.169.0", handler: null, log }), {
    message: null,
  });
  const none = replyNow(request({}), { version: "0.169.0", handler: null, log });
  assert.ok("message" in none);
  assert.equal(
    (none.message?.error as { code: number }).code,
    JSONRPC_METHOD_NOT_FOUND,
  );
  const unknown = replyNow(request({ kind: "unknown", problem: "new" }), {
    version: "0.169.0",
    handler: () => Promise.resolve({}),
    log,
  });
  assert.match(JSON.stringify(unknown), /does not know this request \(unknown: new\)/);
  const handler = (r: ServerRequest) =>
    r.id === 7 ? Promise.resolve({ decision: "accept" }) : Promise.reject(new Error("no"));
  const ask = replyNow(request({}), { version: "0.169.0", handler, log });
  assert.ok("ask" in ask);
  assert.deepEqual(await askHandler(request({}), ask.ask), {
    id: 7,
    result: { decision: "accept" },
  });
  const failed = await askHandler(request({ id: 8 }), handler);
  assert.equal((failed.error as { code: number }).code, JSONRPC_INTERNAL_ERROR);
  assert.match((failed.error as { message: string }).message, /could not answer .*: no$/);
});
