/**
 * The server's settings ({@linkcode ServerConfig}) and their defaults and limits. The flags and
 * environment variables that set them are lib/supervisor/cli.ts's; the MCP server, its tools and
 * the supervisor read them, and the engine its part ({@linkcode EngineConfig}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MAX_PARALLEL, type ServerConfig } from "./server_config.ts";
 *
 * const parallel = (config: Pick<ServerConfig, "maxParallel">) => config.maxParallel;
 * assert.equal(parallel({ maxParallel: DEFAULT_MAX_PARALLEL }), 8);
 * ```
 * @module
 */

import type { WorkerFlags } from "../workers/worker_config.ts";
import type { ServerDefaults } from "../codex/codex_args.ts";
import type { LogLevel } from "../base/log.ts";
import type { Policy } from "../codex/policy.ts";
import type { EngineConfig } from "../tasks/engine_config.ts";

/**
 * The server's settings, from the command line and the environment (lib/supervisor/cli.ts parses
 * them; a front-end passes them to the supervisor in its hello).
 */
export interface ServerConfig extends EngineConfig {
  /** What every `codex exec` gets. */
  defaults: ServerDefaults;
  /** Seconds a task may run before it is stopped; 0 means no limit. */
  taskTimeoutS: number;
  /** Absolute directory for task records. */
  taskDir: string;
  /** Absolute directory for Git worktrees. */
  worktreeDir: string;
  /** Seconds the supervisor stays up with no client and no unfinished task (at least 1). */
  idleExitS: number;
  /**
   * Who may answer Codex's questions: `client` (elicitation, `codex_approve`, `top`) or `human`
   * (elicitation and `top` only: agents get no `codex_approve`).
   */
  approvals: "client" | "human";
  /** Absolute path of a log file, or null to log to stderr only. */
  logFile: string | null;
  /** The least severe level that is logged. */
  logLevel: LogLevel;
  /** The longest tool result (structured content and text together), in characters. */
  maxResultChars: number;
  /** Also register `codex_reply`, the old alias of `codex-reply`. */
  replyAlias: boolean;
  /** How often a blocking call sends progress while nothing happens, in ms (hidden setting). */
  heartbeatMs: number;
  /** What callers may make Codex do (`--allow-config`, `--max-sandbox`, `--allow-root`, `--pass-env`). */
  policy: Policy;
  /**
   * `--worker`, `--worker-token-file` and `--no-local`, when any is given (the settings file's
   * `[[workers]]` come on top, in the supervisor).
   */
  workerFlags?: WorkerFlags;
}

/** Default for `--max-parallel`. */
export const DEFAULT_MAX_PARALLEL = 8;
/** Default for `--task-timeout`, in seconds (Codex without network retries forever). */
export const DEFAULT_TASK_TIMEOUT_S = 3600;
/** Default for `--idle-exit`, in seconds. */
export const DEFAULT_IDLE_EXIT_S = 600;
/** Default for `--task-max-age`, in seconds. */
export const DEFAULT_TASK_MAX_AGE_S = 86400;
/** Default for `--max-result-chars`. */
export const DEFAULT_MAX_RESULT_CHARS = 20_000;
/** The smallest `--max-result-chars`: room for a page of text and the hints around it. */
export const MIN_MAX_RESULT_CHARS = 2_000;
/** How often blocking calls send progress while nothing happens (env CODEX_SWARM_HEARTBEAT_MS). */
export const DEFAULT_HEARTBEAT_MS = 10_000;
/** The longest timeout `setTimeout` can wait, in whole seconds (2^31-1 ms). */
export const MAX_TIMER_S = Math.floor((2 ** 31 - 1) / 1000);
/** The longest task age, in whole seconds, that stays a safe integer in milliseconds. */
export const MAX_AGE_S = Math.floor(Number.MAX_SAFE_INTEGER / 1000);
