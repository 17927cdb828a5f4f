import assert from "node:assert/strict";
import { callerOf, withCaller } from "./caller.ts";

const meta = (sandbox_mode: unknown, thread_id: unknown = "t-1") => ({
  progressToken: 1,
  "x-codex-turn-metadata": { sandbox_mode, thread_id, model: "m" },
});

Deno.test("a call without Codex turn metadata is left as it is", () => {
  assert.equal(callerOf(undefined), null);
  assert.equal(callerOf({ progressToken: 1 }), null);
  assert.deepEqual(withCaller({ prompt: "p", sandbox: "danger-full-access" }, {}), {
    prompt: "p",
    sandbox: "danger-full-access",
  });
});

Deno.test("the caller's sandbox is the default and its thread is recorded", () => {
  assert.deepEqual(withCaller({ prompt: "p" }, meta("workspace-write")), {
    prompt: "p",
    sandbox: "workspace-write",
    caller: { threadId: "t-1", sandbox: "workspace-write" },
  });
  assert.equal(
    withCaller({ prompt: "p", sandbox: "read-only" }, meta("workspace-write")).sandbox,
    "read-only",
  );
});

Deno.test("a more permissive sandbox than the caller's is an error naming both", () => {
  assert.throws(
    () => withCaller({ prompt: "p", sandbox: "danger-full-access" }, meta("read-only")),
    /sandbox "danger-full-access" as the calling Codex session \(thread t-1\) runs in sandbox "read-only"/,
  );
});

Deno.test("an unknown sandbox mode counts as read-only; odd fields are ignored", () => {
  assert.deepEqual(callerOf(meta("external-sandbox", 7)), { threadId: null, sandbox: "read-only" });
  assert.deepEqual(callerOf(meta(undefined)), { threadId: "t-1", sandbox: null });
  assert.equal(
    withCaller({ prompt: "p", sandbox: "danger-full-access" }, meta(undefined)).sandbox,
    "danger-full-access",
  );
});
