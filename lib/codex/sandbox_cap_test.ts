import assert from "node:assert/strict";
import { capSandbox } from "./sandbox_cap.ts";
import type { SandboxPolicy } from "./protocol/generated/v2/SandboxPolicy.ts";

Deno.test("capSandbox: a wider sandbox than the ceiling becomes the ceiling's; within it stays", () => {
  const full: SandboxPolicy = { type: "dangerFullAccess" };
  const write: SandboxPolicy = {
    type: "workspaceWrite",
    writableRoots: [],
    networkAccess: true,
    excludeTmpdirEnvVar: false,
    excludeSlashTmp: false,
  };
  assert.deepEqual(capSandbox(full, "read-only", []), { type: "readOnly", networkAccess: false });
  assert.deepEqual(capSandbox(full, "workspace-write", ["/extra"]), {
    type: "workspaceWrite",
    writableRoots: ["/extra"],
    networkAccess: false,
    excludeTmpdirEnvVar: false,
    excludeSlashTmp: false,
  });
  assert.deepEqual(capSandbox(write, "read-only", []), { type: "readOnly", networkAccess: false });
  assert.equal(capSandbox(write, "workspace-write", []), null);
  assert.equal(capSandbox(full, null, []), null);
  assert.equal(
    capSandbox({ type: "externalSandbox", networkAccess: "enabled" }, "workspace-write", [])?.type,
    "workspaceWrite",
  );
});
