import assert from "node:assert/strict";
import { Policy } from "../codex/policy.ts";
import { sessionOverrides, sessionPolicy } from "./session_plan.ts";

Deno.test("sessionPolicy narrows field by field: more in one field keeps the others", () => {
  const ceiling = new Policy({
    maxSandbox: "workspace-write",
    allowRoots: ["/src"],
    allowConfig: ["sandbox_workspace_write.network_access"],
    passEnv: ["NPM_TOKEN"],
  });
  const warnings: string[] = [];
  const policy = sessionPolicy(ceiling, {
    maxSandbox: "danger-full-access", // more: the ceiling's
    allowRoots: ["/src/app", "/etc"], // /etc is outside: left out
    allowConfig: ["model", "notify"], // notify is not allowed: left out
    passEnv: ["NPM_TOKEN", "AWS_SECRET"], // AWS_SECRET is not passed: left out
  }, warnings);
  assert.deepEqual(policy.toJSON(), {
    maxSandbox: "workspace-write",
    allowRoots: ["/src/app"],
    allowConfig: ["model"],
    passEnv: ["NPM_TOKEN"],
  });
  assert.equal(warnings.length, 4);
  assert.match(warnings.join("\n"), /danger-full-access/);
  assert.match(warnings.join("\n"), /\/etc/);
  assert.match(warnings.join("\n"), /notify/);
  assert.match(warnings.join("\n"), /AWS_SECRET/);
  // Asking for less in every field: exactly that, no warning.
  const quiet: string[] = [];
  const less = sessionPolicy(ceiling, { maxSandbox: "read-only", allowConfig: [] }, quiet);
  assert.equal(less.maxSandbox, "read-only");
  assert.deepEqual(less.allowRoots, ["/src"]);
  assert.deepEqual(quiet, []);
});

Deno.test("sessionOverrides: the operator's own -c stays, a caller's disallowed key goes", () => {
  const policy = new Policy({ maxSandbox: "workspace-write" });
  const warnings: string[] = [];
  const kept = sessionOverrides(
    [
      { key: "sandbox_workspace_write.network_access", value: "true" },
      { key: "model", value: '"m"' },
      { key: "notify", value: '["sh","-c","touch /tmp/x"]' },
      { key: "sandbox_mode", value: '"danger-full-access"' },
    ],
    [{ key: "sandbox_workspace_write.network_access", value: "true" }],
    policy,
    warnings,
  );
  assert.deepEqual(kept.map((o) => o.key), ["sandbox_workspace_write.network_access", "model"]);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /-c notify is left out/);
  assert.match(warnings[1]!, /-c sandbox_mode is left out.*above/);
});
