/**
 * What a call asks of Codex (the options of one run) and what a session adds to every call, and
 * the one rule of precedence between settings: a later setting replaces an earlier one of the
 * same key or a key under it. `codex/thread_params.ts` turns these into app-server parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.ok(settingReplaces("sandbox_workspace_write", "sandbox_workspace_write.network_access"));
 * assert.ok(!settingReplaces("sandbox_workspace_write.network_access", "sandbox_workspace_write"));
 * ```
 * @module
 */

import type { Override } from "./override_entry.ts";

/** Codex's approval policies (`on-failure` maps to `on-request` for Codex 0.169). */
export type ApprovalPolicy = "untrusted" | "on-failure" | "on-request" | "never";

/** Codex's sandbox modes. */
export type SandboxMode = "read-only" | "workspace-write" | "danger-full-access";

/** What one call asks for. */
export interface RunOptions {
  /** The prompt (the first user input of the turn). */
  prompt: string;
  /** Model name. */
  model?: string;
  /** Profile name (Codex's `$CODEX_HOME/<name>.config.toml`, layered in as config). */
  profile?: string;
  /** Working root, already absolute. */
  cwd?: string;
  /** The thread's approval policy. */
  approvalPolicy?: ApprovalPolicy;
  /** The thread's sandbox. */
  sandbox?: SandboxMode;
  /** Config overrides, flattened to dotted keys. */
  config?: Record<string, unknown>;
  /** Replaces Codex's built-in instructions. */
  baseInstructions?: string;
  /** Developer instructions, as a developer message. */
  developerInstructions?: string;
  /** As config `compact_prompt`. */
  compactPrompt?: string;
  /** Local images attached to the prompt, absolute paths (checked by lib/request/task_inputs.ts). */
  images?: string[];
  /** Extra writable roots of the sandbox, absolute real paths (as `codex exec --add-dir`). */
  addDirs?: string[];
}

/** What the server adds to every call. */
export interface ServerDefaults {
  /** The server's own `-c` entries, in order; a per-call setting of the same key wins. */
  overrides: Override[];
  /** Allow directories outside git. */
  skipGitRepoCheck: boolean;
  /** Threads keep no session files (so they cannot be continued). */
  ephemeral: boolean;
  /** `--worktree-setup`: the command run in each new worktree before Codex starts, if any. */
  worktreeSetup?: string;
}

/** Whether setting `later` replaces whatever `earlier` set: the same key, or a key under it. */
export function settingReplaces(later: string, earlier: string): boolean {
  return earlier === later || earlier.startsWith(`${later}.`);
}
