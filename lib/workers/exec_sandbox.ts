/**
 * A task's sandbox as the exec-server takes it: the `FileSystemSandboxContext` of `process/start`
 * (Codex 0.169's `codex-rs/exec-server`), built from the `SandboxPolicy` of the task's thread, so
 * that a set-up or check run on a worker through the second channel gets the sandbox the same
 * command gets locally through the app-server's `command/exec` (../codex/sandboxed_command.ts).
 *
 * Codex turns a `SandboxPolicy` into file-system entries for the command's cwd
 * (`FileSystemSandboxPolicy::from_legacy_sandbox_policy_for_cwd`); this does the same, in the
 * entries the exec-server reads:
 *
 * - `readOnly`: read everything, write nothing.
 * - `workspaceWrite`: read everything; write the command's cwd (Codex's "project roots", named in
 *   `workspaceRoots`: without them the exec-server of 0.169 makes no project root writable), the
 *   policy's `writableRoots`, `/tmp` and `$TMPDIR` unless excluded (the exec-server's own
 *   `$TMPDIR`, as Codex's are the app-server's); but not `.git`, `.agents` nor `.codex` in the cwd
 *   (the exec-server also keeps a writable root's `.git`, and the git directory a worktree's
 *   `.git` file names, read-only).
 * - Network: `enabled` when the policy gives network access, else `restricted`.
 * - `dangerFullAccess`, and an `externalSandbox` (a sandbox of someone else's, around the
 *   supervisor): none, as Codex applies none.
 *
 * Measured with Codex 0.169.0 on Linux: under the workspace-write context a write beside the cwd
 * fails with "Read-only file system", one in it succeeds; under the read-only one every write fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const ws = execSandbox({
 *   type: "workspaceWrite",
 *   writableRoots: [],
 *   networkAccess: false,
 *   excludeTmpdirEnvVar: true,
 *   excludeSlashTmp: true,
 * }, "/w/repo");
 * assert.deepEqual(ws?.workspaceRoots, ["file:///w/repo"]);
 * assert.equal(execSandbox({ type: "dangerFullAccess" }, "/w/repo"), null);
 * ```
 * @module
 */

import type { SandboxPolicy } from "../codex/protocol/generated/v2/SandboxPolicy.ts";
import { fileUri } from "./exec_server_client.ts";

/** One entry of the exec-server's file-system permissions. */
export type SandboxEntry = {
  path:
    | { type: "path"; path: string }
    | { type: "special"; value: { kind: string; subpath?: string | null } };
  access: "read" | "write";
};

/**
 * The exec-server's `FileSystemSandboxContext` (the fields codex-swarm sets). A type, not an
 * interface: it is passed where a plain record is taken (`RunOptions.sandbox`).
 */
export type ExecSandbox = {
  permissions: {
    type: "managed";
    file_system: { type: "restricted"; entries: SandboxEntry[] };
    network: "restricted" | "enabled";
  };
  /** Where the permissions are interpreted: the command's cwd, as a `file://` URI. */
  cwd: string;
  /** What Codex's "project roots" are: the command's cwd (workspace-write only). */
  workspaceRoots?: string[];
  windowsSandboxLevel: "disabled";
};

/** What stays read-only in a writable project root, as Codex keeps it (its protected metadata). */
const PROTECTED_NAMES = [".git", ".agents", ".codex"] as const;

/** A special path of the exec-server's permissions. */
function special(
  kind: string,
  access: SandboxEntry["access"],
  subpath?: string | null,
): SandboxEntry {
  const value = subpath === undefined ? { kind } : { kind, subpath };
  return { path: { type: "special", value }, access };
}

/**
 * The exec-server's sandbox for a command run in `cwd` (a path on the worker) under `policy`, the
 * task's thread's sandbox (already held to the session's ceiling); null for none.
 */
export function execSandbox(policy: SandboxPolicy, cwd: string): ExecSandbox | null {
  if (policy.type === "dangerFullAccess" || policy.type === "externalSandbox") return null;
  const entries: SandboxEntry[] = [special("root", "read")];
  const context: ExecSandbox = {
    permissions: {
      type: "managed",
      file_system: { type: "restricted", entries },
      network: policy.networkAccess ? "enabled" : "restricted",
    },
    cwd: fileUri(cwd),
    windowsSandboxLevel: "disabled",
  };
  if (policy.type === "readOnly") return context;
  entries.push(special("project_roots", "write", null));
  if (!policy.excludeSlashTmp) entries.push(special("slash_tmp", "write"));
  if (!policy.excludeTmpdirEnvVar) entries.push(special("tmpdir", "write"));
  for (const root of policy.writableRoots) {
    entries.push({ path: { type: "path", path: fileUri(root) }, access: "write" });
  }
  for (const name of PROTECTED_NAMES) entries.push(special("project_roots", "read", name));
  context.workspaceRoots = [fileUri(cwd)];
  return context;
}
