/**
 * The operator's policy: what a caller of the server may make Codex do. It is a value, set from the
 * server's flags, that any engine and the tools consult, and that a session can only narrow.
 *
 * - Per-call `config` keys must be on an allowlist of keys that shape the model's work
 *   ({@link DEFAULT_ALLOWED_CONFIG_KEYS}); keys that decide where programs run or where data goes
 *   (`notify`, `mcp_servers`, `model_providers`, `model_provider`, `sandbox_mode`, shell and
 *   environment settings, ...) are refused unless the operator allows them (`--allow-config`).
 * - A per-call sandbox (the `sandbox` field or a `sandbox_mode` config key) may not be above the
 *   ceiling (`--max-sandbox`, default the server's own `-c sandbox_mode`).
 * - Working directories, worktree repositories and extra directories must lie inside one of the
 *   allowed roots (`--allow-root`), when any is given.
 * - `--pass-env NAME` keeps one more variable of the client's environment (see client_env.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const policy = new Policy({ maxSandbox: "workspace-write", allowRoots: ["/src"] });
 * policy.checkConfigKeys(["model_reasoning_effort"]); // fine
 * assert.throws(() => policy.checkSandbox("danger-full-access", "sandbox"), PolicyError);
 * const session = policy.narrow({ maxSandbox: "read-only" }); // a tighter policy
 * assert.throws(() => session.checkSandbox("workspace-write", "sandbox"), PolicyError);
 * ```
 * @module
 */

import { resolve } from "node:path";
import type { SandboxMode } from "./codex_args.ts";
import { isWithin } from "../base/within.ts";

/** Codex's sandbox modes, from the most confined to the least. */
export const SANDBOX_MODES: readonly SandboxMode[] = [
  "read-only",
  "workspace-write",
  "danger-full-access",
];

/**
 * The config keys a caller may set without the operator's say: they shape how the model works
 * (which model and how hard it thinks, its instructions, what it shows, how it compacts), never
 * where programs run, what they may reach, or where data goes. An entry allows the key itself and
 * every key below it.
 */
export const DEFAULT_ALLOWED_CONFIG_KEYS: readonly string[] = [
  "model",
  "model_reasoning_effort",
  "model_reasoning_summary",
  "model_verbosity",
  "model_supports_reasoning_summaries",
  "model_context_window",
  "model_auto_compact_token_limit",
  "model_max_output_tokens",
  "approval_policy",
  "instructions",
  "developer_instructions",
  "compact_prompt",
  "hide_agent_reasoning",
  "show_raw_agent_reasoning",
  "project_doc_max_bytes",
  "tool_output_token_limit",
];

/** What a policy limits; every field optional when narrowing. */
export interface PolicyLimits {
  /** Extra config keys a caller may set (`*`: any key). */
  allowConfig?: readonly string[];
  /** The highest sandbox a caller may ask for; null or absent: no ceiling. */
  maxSandbox?: SandboxMode | null;
  /** Directories that confine cwd, worktrees and extra directories; empty or absent: anywhere. */
  allowRoots?: readonly string[];
  /** Client variables kept although they look like secrets. */
  passEnv?: readonly string[];
}

/** A request the policy does not allow. The message names the field, the value and the limit. */
export class PolicyError extends Error {
  override readonly name = "PolicyError";
  /** @param field The request field at fault, e.g. `config.notify` or `sandbox`. */
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** The rank of a sandbox mode, 0 the most confined. */
export function sandboxRank(mode: SandboxMode): number {
  return SANDBOX_MODES.indexOf(mode);
}

/** Parses a sandbox mode, naming where it came from when it is not one. */
export function parseSandboxMode(value: string, from: string): SandboxMode {
  const unquoted = value.trim().replace(/^(["'])(.*)\1$/, "$2");
  const found = SANDBOX_MODES.find((m) => m === unquoted);
  if (found === undefined) {
    throw new Error(
      `Cannot use ${from} ${JSON.stringify(value)}: expected one of ${SANDBOX_MODES.join(", ")}`,
    );
  }
  return found;
}

/** The operator's policy. Immutable; {@link Policy.narrow} gives a tighter one. */
export class Policy {
  /** Config keys a caller may set, the defaults included (`*`: any). */
  readonly allowConfig: readonly string[];
  /** The sandbox ceiling, or null for none. */
  readonly maxSandbox: SandboxMode | null;
  /** Absolute roots that confine directories; empty: anywhere. */
  readonly allowRoots: readonly string[];
  /** Client variables kept although they look like secrets. */
  readonly passEnv: readonly string[];

  /**
   * @param limits What the operator allows beyond the defaults. `allowConfig` adds to
   * {@link DEFAULT_ALLOWED_CONFIG_KEYS} (or replaces them, with `exactConfig`); roots are
   * resolved to absolute paths.
   * @param exactConfig Take `allowConfig` as the whole list, without the defaults.
   */
  constructor(limits: PolicyLimits = {}, exactConfig = false) {
    const base = exactConfig ? [] : DEFAULT_ALLOWED_CONFIG_KEYS;
    this.allowConfig = Object.freeze([...new Set([...base, ...(limits.allowConfig ?? [])])]);
    this.maxSandbox = limits.maxSandbox ?? null;
    this.allowRoots = Object.freeze((limits.allowRoots ?? []).map((r) => resolve(r)));
    this.passEnv = Object.freeze([...(limits.passEnv ?? [])]);
    Object.freeze(this);
  }

  /** Whether a caller may set config key `key` (a dotted path). */
  allowsConfigKey(key: string): boolean {
    // An entry covers its key and every key below it (`a.b` under `a`); `*` covers all.
    return this.allowConfig.some((entry) =>
      entry === "*" || key === entry || key.startsWith(`${entry}.`)
    );
  }

  /**
   * Checks the dotted keys of a call's `config` (as flattened for `-c`).
   * @throws {PolicyError} Naming the first key not allowed.
   */
  checkConfigKeys(keys: Iterable<string>): void {
    for (const key of keys) {
      if (!this.allowsConfigKey(key)) {
        throw new PolicyError(
          `config.${key}`,
          `Cannot use config key "${key}" as the server's policy does not allow it: a call may ` +
            `set only keys that shape the model's work (${
              this.allowConfig.join(", ")
            }); the operator can allow more with --allow-config`,
        );
      }
    }
  }

  /**
   * Checks a sandbox mode a call asks for against the ceiling.
   * @param mode The mode asked for (absent: nothing to check).
   * @param field Where it was asked for, e.g. `sandbox` or `config.sandbox_mode`.
   * @throws {PolicyError} Naming the field, the mode and the ceiling.
   */
  checkSandbox(mode: SandboxMode | undefined, field: string): void {
    if (mode === undefined || this.maxSandbox === null) return;
    if (sandboxRank(mode) > sandboxRank(this.maxSandbox)) {
      throw new PolicyError(
        field,
        `Cannot use ${field} "${mode}" as it is above the server's sandbox ceiling ` +
          `"${this.maxSandbox}" (--max-sandbox)`,
      );
    }
  }

  /**
   * Checks that a directory (absolute, ideally a real path) lies inside an allowed root.
   * @param path The directory.
   * @param field What it is, e.g. `cwd`, `worktree repository` or `add_dirs[0]`.
   * @throws {PolicyError} Naming the field, the path and the roots.
   */
  checkPath(path: string, field: string): void {
    if (this.allowRoots.length === 0) return;
    const absolute = resolve(path);
    if (this.allowRoots.some((root) => isWithin(root, absolute))) return;
    throw new PolicyError(
      field,
      `Cannot use ${field} "${path}" as it is outside the directories the server allows ` +
        `(--allow-root): ${this.allowRoots.join(", ")}`,
    );
  }

  /**
   * A policy at most as permissive as this one, e.g. for one session of the supervisor. Absent
   * fields keep this policy's value.
   * @throws {PolicyError} When `other` asks for more than this policy allows: a config key this
   * one refuses, a higher sandbox, a root outside this one's roots, or a variable not passed here.
   */
  narrow(other: PolicyLimits): Policy {
    const allowConfig = other.allowConfig ?? this.allowConfig;
    for (const key of allowConfig) {
      if (key === "*" ? !this.allowConfig.includes("*") : !this.allowsConfigKey(key)) {
        throw new PolicyError(
          "allowConfig",
          `Cannot allow config key "${key}" as the server's policy does not allow it`,
        );
      }
    }
    let maxSandbox = this.maxSandbox;
    if (other.maxSandbox !== undefined && other.maxSandbox !== null) {
      this.checkSandbox(other.maxSandbox, "maxSandbox");
      maxSandbox = other.maxSandbox;
    }
    let allowRoots = this.allowRoots;
    if (other.allowRoots !== undefined && other.allowRoots.length > 0) {
      for (const root of other.allowRoots) this.checkPath(resolve(root), "allowRoots");
      allowRoots = other.allowRoots;
    }
    const passEnv = other.passEnv ?? this.passEnv;
    for (const name of passEnv) {
      if (!this.passEnv.includes(name)) {
        throw new PolicyError(
          "passEnv",
          `Cannot pass variable ${name} as the server's policy does not pass it (--pass-env)`,
        );
      }
    }
    // The narrowed policy's config list is exactly what was asked for.
    return new Policy({ allowConfig, maxSandbox, allowRoots, passEnv }, true);
  }

  /** A plain description, for logs and `codex-swarm://server`. */
  toJSON(): Required<PolicyLimits> {
    return {
      allowConfig: [...this.allowConfig],
      maxSandbox: this.maxSandbox,
      allowRoots: [...this.allowRoots],
      passEnv: [...this.passEnv],
    };
  }
}
