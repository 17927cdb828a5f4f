/**
 * Holds a thread's sandbox to a session's ceiling. A thread keeps the sandbox it was started with
 * (or Codex's configured default), and a reply or fork that names none would inherit it: the
 * sandbox Codex answered for the opened thread is compared with the ceiling, and the turn is
 * started with the ceiling's sandbox instead when it is wider (`turn/start` `sandboxPolicy`, which
 * sticks for later turns).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(capSandbox({ type: "dangerFullAccess" }, "read-only", []), {
 *   type: "readOnly",
 *   networkAccess: false,
 * });
 * assert.equal(capSandbox({ type: "readOnly", networkAccess: false }, "workspace-write", []), null); // within
 * ```
 * @module
 */

import type { SandboxMode } from "./protocol/generated/index.ts";
import type { SandboxPolicy } from "./protocol/generated/v2/SandboxPolicy.ts";

/** The rank of a sandbox as Codex reports it, 0 the most confined (an external one: no limit). */
function rankOf(policy: SandboxPolicy): number {
  switch (policy.type) {
    case "readOnly":
      return 0;
    case "workspaceWrite":
      return 1;
    default:
      return 2;
  }
}

const RANK: Record<SandboxMode, number> = {
  "read-only": 0,
  "workspace-write": 1,
  "danger-full-access": 2,
};

/**
 * The sandbox the turn must run in instead of `opened`, or null when `opened` is within
 * `ceiling` (null: no ceiling). `writableRoots` are the task's extra writable directories.
 */
export function capSandbox(
  opened: SandboxPolicy,
  ceiling: SandboxMode | null,
  writableRoots: readonly string[],
): SandboxPolicy | null {
  if (ceiling === null || rankOf(opened) <= RANK[ceiling]) return null;
  if (ceiling === "read-only") return { type: "readOnly", networkAccess: false };
  return {
    type: "workspaceWrite",
    writableRoots: [...writableRoots],
    networkAccess: false,
    excludeTmpdirEnvVar: false,
    excludeSlashTmp: false,
  };
}
