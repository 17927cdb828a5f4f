/**
 * The part of the server's settings the engine reads: which Codex to run, how many at once, and
 * how long finished task records are kept. The server's whole configuration
 * (lib/mcp/server_config.ts) extends it.
 *
 * @example
 * ```ts
 * import type { EngineConfig } from "./engine_config.ts";
 *
 * const config: EngineConfig = { codexBin: "codex", maxParallel: 8, taskMaxAgeS: 86400 };
 * ```
 * @module
 */

/** The settings of the engine. */
export interface EngineConfig {
  /** The Codex executable: a name looked up on PATH, or an absolute path. */
  codexBin: string;
  /** How many Codex processes may run at once (at least 1). */
  maxParallel: number;
  /** Seconds after which finished task records may be deleted (at least 1). */
  taskMaxAgeS: number;
}
