import assert from "node:assert/strict";
import { MERGE_SANDBOX, mergeSandbox } from "./merge_host.ts";
import { stoppedMergeCause } from "./merge_plan.ts";

Deno.test("mergeSandbox: the asked sandbox (default workspace-write), never above the ceiling", () => {
  assert.equal(mergeSandbox(undefined, null), MERGE_SANDBOX);
  assert.equal(mergeSandbox(undefined, "read-only"), "read-only");
  assert.equal(mergeSandbox("danger-full-access", "workspace-write"), "workspace-write");
  assert.equal(mergeSandbox("read-only", "danger-full-access"), "read-only");
});

Deno.test("stoppedMergeCause: names the call that goes on", () => {
  assert.match(stoppedMergeCause("ab12"), /codex_merge \{"resume":"ab12"\}/);
});
