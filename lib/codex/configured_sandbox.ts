/**
 * The sandbox of a new thread that no call, session or profile asks for one: the `sandbox_mode`
 * of Codex's own config (./codex_config.ts: the system and user `config.toml`, no project's
 * `.codex/`); else `workspace-write` for a project the user's `config.toml` trusts, as Codex gives
 * it; else `read-only`. And the cap a session's ceiling puts on a thread's sandbox
 * ({@link capSandbox}).
 *
 * codex-swarm sends it explicitly because every thread marks its project untrusted
 * (./project_trust.ts), and Codex 0.169 gives a thread without a sandbox `workspace-write` as soon
 * as its project has any trust decision, `untrusted` included; left to Codex, the marking would
 * widen the default from `read-only` (measured: `thread/start` answered `workspaceWrite`).
 *
 * A project is trusted when the user's `projects` table says `trust_level = "trusted"` for the
 * nearest of the cwd and the directories above it up to the project root (./project_root.ts) that
 * has an entry, or, with none, for the main repository of a linked git worktree. Unlike Codex, an
 * entry that says anything else (`untrusted`) keeps the default `read-only`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // The config is readCodexConfig's (what `config/read` answers).
 * const config = { sandboxMode: null, trust: { "/src/app": "trusted" } };
 * assert.equal(await configuredSandbox(config, "/src/app/lib", "/src/app"), "workspace-write");
 * assert.equal(await configuredSandbox(config, "/elsewhere", null), "read-only");
 * ```
 * @module
 */

import { resolve } from "node:path";
import type { CodexConfig } from "./codex_config.ts";
import { ancestors, mainRepositoryRoot } from "./project_root.ts";
import { sandboxRank } from "./policy.ts";
import type { SandboxMode } from "./protocol/generated/v2/SandboxMode.ts";
import type { SandboxPolicy } from "./protocol/generated/v2/SandboxPolicy.ts";

/** The sandbox when Codex's config sets none: Codex's own default for a directory it knows nothing of. */
export const DEFAULT_SANDBOX: SandboxMode = "read-only";

/** The sandbox Codex gives a project the user trusts when its config sets none. */
export const TRUSTED_SANDBOX: SandboxMode = "workspace-write";

/**
 * The user's trust level for the project at `cwd`: that of the nearest directory from `cwd` up to
 * `root` (or `cwd` alone, with no root) with an entry in `trust`, else that of `mainRoot`; null
 * when none has one.
 */
export function trustLevel(
  trust: Record<string, string>,
  cwd: string,
  root: string | null,
  mainRoot: string | null = null,
): string | null {
  const levels = new Map(Object.entries(trust).map(([dir, level]) => [resolve(dir), level]));
  for (const dir of ancestors(cwd)) {
    const level = levels.get(dir);
    if (level !== undefined) return level;
    if (root === null || dir === resolve(root)) break;
  }
  return mainRoot === null ? null : levels.get(resolve(mainRoot)) ?? null;
}

/**
 * The sandbox of a new thread in `cwd` (project root `root`) that asks for none: see the module
 * doc. Runs `git rev-parse` only for a worktree whose own directories have no trust entry while
 * others do.
 */
export async function configuredSandbox(
  config: Pick<CodexConfig, "sandboxMode" | "trust">,
  cwd: string,
  root: string | null,
): Promise<SandboxMode> {
  if (config.sandboxMode !== null) return config.sandboxMode;
  let level = trustLevel(config.trust, cwd, root);
  if (level === null && root !== null && Object.keys(config.trust).length > 0) {
    level = trustLevel(config.trust, cwd, root, await mainRepositoryRoot(root));
  }
  return level === "trusted" ? TRUSTED_SANDBOX : DEFAULT_SANDBOX;
}

/** The sandboxes as Codex reports them, the most confined first (any other: no limit). */
const CONFINED: readonly string[] = ["readOnly", "workspaceWrite"];

/**
 * Holds a thread's sandbox to a session's ceiling. A thread keeps the sandbox it was started with
 * (or Codex's configured default), and a reply or fork that names none would inherit it: the
 * sandbox Codex answered for the opened thread is compared with the ceiling, and the turn is
 * started with the ceiling's sandbox instead when it is wider (`turn/start` `sandboxPolicy`, which
 * sticks for later turns).
 *
 * @param opened The sandbox Codex answered for the opened thread.
 * @param ceiling The session's ceiling (null: none).
 * @param writableRoots The task's extra writable directories.
 * @returns The sandbox the turn must run in instead, or null when `opened` is within `ceiling`.
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
 */
export function capSandbox(
  opened: SandboxPolicy,
  ceiling: SandboxMode | null,
  writableRoots: readonly string[],
): SandboxPolicy | null {
  const rank = CONFINED.includes(opened.type) ? CONFINED.indexOf(opened.type) : CONFINED.length;
  if (ceiling === null || rank <= sandboxRank(ceiling)) return null;
  if (ceiling === "read-only") return { type: "readOnly", networkAccess: false };
  return {
    type: "workspaceWrite",
    writableRoots: [...writableRoots],
    networkAccess: false,
    excludeTmpdirEnvVar: false,
    excludeSlashTmp: false,
  };
}
