import assert from "node:assert/strict";
import { AppServerError, AppServerRequestError } from "./app_server_errors.ts";
import { PendingCalls } from "./pending_calls.ts";

Deno.test("PendingCalls: each call settles once, by answer, error, abort, timeout or the end", async () => {
  const calls = new PendingCalls("codex");
  const answered = calls.add("a", {});
  const failed = calls.add("b", {});
  assert.notEqual(answered.id, failed.id);
  calls.settle(answered.id, { id: answered.id, result: 1 });
  calls.settle(answered.id, { id: answered.id, result: 2 }); // settled: ignored
  assert.equal(await answered.answer, 1);
  calls.settle(failed.id, { id: failed.id, error: { code: -1, message: "no", data: 3 } });
  await assert.rejects(
    failed.answer,
    (error: unknown) =>
      error instanceof AppServerRequestError && error.method === "b" && error.code === -1 &&
      error.message === "no" && error.data === 3,
  );

  const abort = new AbortController();
  const aborted = calls.add("c", { signal: abort.signal });
  abort.abort(new Error("stop"));
  await assert.rejects(aborted.answer, /stop/);

  const slow = calls.add("d", { timeoutMs: 1 });
  await assert.rejects(
    slow.answer,
    (error: unknown) =>
      error instanceof AppServerError && error.reason === "timeout" &&
      error.message === "Codex app-server did not answer d within 1 ms",
  );

  const left = calls.add("e", {});
  calls.rejectAll(new Error("gone"));
  await assert.rejects(left.answer, /gone/);
});
