import assert from "node:assert/strict";
import { Policy } from "../../codex/policy.ts";
import { MERGE_SANDBOX, mergeSandbox, resolverSession } from "./merge_host.ts";
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

Deno.test("resolverSession: the integration worktree joins the roots, nothing else widens", () => {
  const open = { policy: new Policy() };
  assert.equal(resolverSession(open, "/wt/merge-1"), open);
  const policy = new Policy({ allowRoots: ["/src"], maxSandbox: "workspace-write" });
  const resolver = resolverSession({ policy }, "/wt/merge-1").policy!;
  assert.deepEqual(resolver.allowRoots, ["/src", "/wt/merge-1"]);
  assert.equal(resolver.maxSandbox, "workspace-write");
  assert.deepEqual(resolver.allowConfig, policy.allowConfig);
  resolver.checkPath("/wt/merge-1", "cwd");
  assert.throws(() => resolver.checkPath("/elsewhere", "cwd"), /outside the directories/);
});
