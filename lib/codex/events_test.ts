import assert from "node:assert/strict";
import { parseEvent, parseServerRequest } from "./events.ts";

const ids = { threadId: "t", turnId: "u" };

Deno.test("parseEvent: a known notification is typed, with its thread and turn", () => {
  const event = parseEvent({
    method: "turn/completed",
    params: { threadId: "t", turn: { id: "u", status: "failed", error: { message: "boom" } } },
    emittedAtMs: 5,
  });
  assert.ok(event.kind === "event" && event.method === "turn/completed");
  assert.equal(event.params.turn.error?.message, "boom");
  assert.equal(event.emittedAtMs, 5);
  assert.equal(event.threadId, "t");
  const started = parseEvent({ method: "thread/started", params: { thread: { id: "t2" } } });
  assert.equal(started.threadId, "t2");
});

Deno.test("parseEvent: unknown methods and misfits are kept, never thrown", () => {
  assert.deepEqual(parseEvent({ method: "brand/new", params: { threadId: "t", x: 1 } }), {
    kind: "unknown",
    method: "brand/new",
    params: { threadId: "t", x: 1 },
    threadId: "t",
  });
  const bad = parseEvent({ method: "turn/diff/updated", params: { ...ids, diff: 7 } });
  assert.equal(bad.kind, "malformed");
  assert.equal(bad.method, "turn/diff/updated");
  assert.match(bad.kind === "malformed" ? bad.problem ?? "" : "", /^diff: /);
  assert.equal(bad.threadId, "t");
});

Deno.test("parseEvent: items of unknown types are kept as other, known ones checked", () => {
  const other = parseEvent({
    method: "item/completed",
    params: { ...ids, item: { type: "contextCompaction", id: "i" } },
  });
  assert.ok(other.kind === "event" && other.method === "item/completed");
  assert.deepEqual(other.params.item, {
    type: "other",
    itemType: "contextCompaction",
    id: "i",
    raw: { type: "contextCompaction", id: "i" },
  });
  const misfit = parseEvent({
    method: "item/completed",
    params: { ...ids, item: { type: "agentMessage", id: "i", text: 3 } },
  });
  assert.equal(misfit.kind, "malformed");
});

Deno.test("parseServerRequest: approvals typed, unknown kept with their id", () => {
  const approval = parseServerRequest({
    id: 0,
    method: "item/commandExecution/requestApproval",
    params: { ...ids, itemId: "c", command: "ls", cwd: "/p", availableDecisions: ["accept"] },
  });
  assert.ok(
    approval.kind === "request" && approval.method === "item/commandExecution/requestApproval",
  );
  assert.equal(approval.params.command, "ls");
  assert.equal(approval.threadId, "t");
  assert.deepEqual(parseServerRequest({ id: 3, method: "item/tool/call", params: { a: 1 } }), {
    kind: "unknown",
    id: 3,
    method: "item/tool/call",
    params: { a: 1 },
    threadId: null,
  });
  const misfit = parseServerRequest({
    id: 4,
    method: "item/fileChange/requestApproval",
    params: {},
  });
  assert.equal(misfit.kind, "malformed");
  assert.equal(misfit.id, 4);
});
