/**
 * The operator's settings file: `$XDG_CONFIG_HOME/codex-swarm/config.toml` (else
 * `~/.config/codex-swarm/config.toml`), whose `[policy]` table is the ceiling of every session of
 * the supervisor:
 *
 * ```toml
 * [policy]
 * max_sandbox = "workspace-write"   # the highest sandbox any task may get
 * allow_roots = ["/home/me/src"]    # where tasks, worktrees and merges may be
 * allow_config = ["sandbox_workspace_write.network_access"]  # config keys beyond the defaults
 * pass_env = ["NPM_TOKEN"]          # secret-looking variables that may reach sandboxed commands
 * ```
 *
 * Without the file, the ceiling is the policy flags of the front-end that started the supervisor.
 * {@link OperatorCeiling} reads the file when the supervisor starts and again whenever it changes
 * (checked at each use: a `stat`). A file that cannot be read or parsed makes the ceiling
 * unusable: sessions are refused, naming the file and the problem, until it is fixed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseSettings('[policy]\nmax_sandbox = "read-only"\n', "/c.toml").maxSandbox, "read-only");
 * ```
 * @module
 */

import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import type { Logger } from "../base/log.ts";
import { parseSandboxMode, Policy, type PolicyLimits } from "../codex/policy.ts";
import { realPathOr } from "../base/real_path.ts";

/** The settings file for an environment, or null when neither XDG_CONFIG_HOME nor HOME is set. */
export function settingsPath(env: Record<string, string | undefined>): string | null {
  const base = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, ".config") : null);
  return base === null ? null : join(base, "codex-swarm", "config.toml");
}

const LIST = { error: "is not a list of non-empty strings" };
const list = z.array(z.string(LIST).min(1, LIST), LIST).optional();

/** The `[policy]` table: the keys of {@link PolicyLimits}, in snake case. */
const PolicyTable = z.strictObject({
  max_sandbox: z.string({ error: "is not text" }).optional(),
  allow_roots: list,
  allow_config: list,
  pass_env: list,
}, { error: "is not a table" });

/**
 * A settings file's text as TOML (its `[policy]` and `[[workers]]` are read from this).
 * @throws {Error} Naming the file when it is not TOML.
 */
export function settingsDocument(text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (error) {
    throw new Error(`Cannot use ${path}: it is not TOML (${(error as Error).message})`);
  }
}

/**
 * The ceiling a settings file's text sets.
 * @throws {Error} Naming the file, the key and the problem (not TOML, an unknown key, a wrong type,
 * a relative root, a sandbox that is not one of Codex's).
 */
export function parseSettings(text: string, path: string): PolicyLimits {
  const parsed = PolicyTable.optional().safeParse(settingsDocument(text, path).policy);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === "unrecognized_keys" ? issue.keys[0] : issue.path[0];
    const problem = issue.code === "unrecognized_keys"
      ? `is not a setting (known: ${Object.keys(PolicyTable.shape).join(", ")})`
      : issue.message;
    throw new Error(
      `Cannot use ${path}: policy${key === undefined ? "" : `.${String(key)}`} ${problem}`,
    );
  }
  const policy = parsed.data ?? {};
  const limits: PolicyLimits = {};
  if (policy.max_sandbox !== undefined) {
    limits.maxSandbox = parseSandboxMode(policy.max_sandbox, `${path}: policy.max_sandbox`);
  }
  const relative = policy.allow_roots?.find((r) => !r.startsWith("/"));
  if (relative !== undefined) {
    throw new Error(`Cannot use ${path}: policy.allow_roots holds a relative path, ${relative}`);
  }
  if (policy.allow_roots) limits.allowRoots = policy.allow_roots.map(realPathOr);
  if (policy.allow_config) limits.allowConfig = policy.allow_config;
  if (policy.pass_env) limits.passEnv = policy.pass_env;
  return limits;
}

/** What identifies one version of the file: a change of any part means "read it again". */
function stampOf(info: Deno.FileInfo): string {
  return `${info.mtime?.getTime()}:${info.size}:${info.ino}`;
}

/** The ceiling now: a policy, or why there is none. */
export type Ceiling = { policy: Policy; source: string } | { error: string };

/**
 * The supervisor's ceiling: the settings file's `[policy]` when the file exists, else the
 * policy of the supervisor's own flags. Read again whenever the file changes.
 */
export class OperatorCeiling {
  #stamp: string | null = null;
  #current: Ceiling;

  /**
   * @param path The settings file (null: none can exist).
   * @param flags The policy of the supervisor's flags, the ceiling when the file is absent.
   */
  constructor(
    private readonly path: string | null,
    private readonly flags: Policy,
    private readonly log: Logger,
  ) {
    this.#current = { policy: flags, source: "the supervisor's flags" };
    this.current();
  }

  /** The ceiling as the file is now (see {@link Ceiling}). */
  current(): Ceiling {
    if (this.path === null) return this.#current;
    let info: Deno.FileInfo | null = null;
    try {
      info = Deno.statSync(this.path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        return this.#set(`unreadable ${error}`, { error: `Cannot read ${this.path}: ${error}` });
      }
    }
    if (info === null) {
      return this.#set("none", { policy: this.flags, source: "the supervisor's flags" });
    }
    const stamp = stampOf(info);
    if (stamp === this.#stamp) return this.#current;
    try {
      const limits = parseSettings(Deno.readTextFileSync(this.path), this.path);
      return this.#set(stamp, { policy: new Policy(limits), source: this.path });
    } catch (error) {
      return this.#set(stamp, { error: (error as Error).message });
    }
  }

  #set(stamp: string, ceiling: Ceiling): Ceiling {
    if (stamp !== this.#stamp) {
      this.#stamp = stamp;
      if ("error" in ceiling) {
        this.log.error(
          `The operator's ceiling is unusable, so sessions are refused: ${ceiling.error}`,
        );
      } else {
        this.log.info(`The operator's ceiling is ${ceiling.source}`, {
          policy: ceiling.policy.toJSON(),
        });
      }
    }
    this.#current = ceiling;
    return ceiling;
  }
}
