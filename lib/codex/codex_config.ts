/**
 * The few settings of Codex's own config (the system and user `config.toml` with the app-server's
 * overrides, as `config/read` without a cwd answers them, so no project's `.codex/`) that
 * codex-swarm applies itself to a thread whose project it marks untrusted (./project_trust.ts):
 * the default sandbox, the projects the user trusts, and how the project's `AGENTS.md` files are
 * found and capped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // What `config/read` answers (`readCodexConfig(server)` asks a running app-server for it).
 * const config = parseCodexConfig({
 *   config: { projects: { "/src/app": { trust_level: "trusted" } } },
 *   origins: {},
 * });
 * assert.equal(config.sandboxMode, null); // config.toml sets no sandbox_mode
 * assert.equal(config.trust["/src/app"], "trusted");
 * ```
 * @module
 */

import type { AppServer } from "./app_server.ts";
import type { SandboxMode } from "./protocol/generated/v2/SandboxMode.ts";
import { messageOf } from "../base/errors.ts";
import { SANDBOX_MODES } from "./policy.ts";

/** Codex's default `project_doc_max_bytes` (32 KiB), for an answer that lacks it. */
export const DEFAULT_PROJECT_DOC_MAX_BYTES = 32 * 1024;

/** Codex's default `project_root_markers`. */
export const DEFAULT_PROJECT_ROOT_MARKERS: readonly string[] = [".git"];

/** What codex-swarm reads of Codex's config. */
export interface CodexConfig {
  /** `sandbox_mode`, or null when the config sets none. */
  sandboxMode: SandboxMode | null;
  /** `projects.<dir>.trust_level` by directory, as the user's config lists them. */
  trust: Record<string, string>;
  /** `project_doc_max_bytes`: the cap on a project's `AGENTS.md` text; 0: none is read. */
  projectDocMaxBytes: number;
  /** `project_root_markers`: the names whose presence makes a directory a project root. */
  projectRootMarkers: string[];
  /** `project_doc_fallback_filenames`: names tried after `AGENTS.md` in each directory. */
  projectDocFallbackFilenames: string[];
}

/**
 * Reads {@link CodexConfig} from a `config/read` answer (`{config: {...}}`).
 * @throws {Error} Naming the setting whose value Codex answered is of the wrong kind.
 */
export function parseCodexConfig(answer: unknown): CodexConfig {
  const config = (answer as { config?: Record<string, unknown> } | null)?.config ?? {};
  const mode = config.sandbox_mode ?? null;
  const sandboxMode = mode === null ? null : SANDBOX_MODES.find((m) => m === mode);
  if (sandboxMode === undefined) {
    throw new Error(
      `Cannot read Codex's config as its sandbox_mode is ${JSON.stringify(mode)}: expected one ` +
        `of ${SANDBOX_MODES.join(", ")}`,
    );
  }
  const trust: Record<string, string> = {};
  const projects = config.projects ?? {};
  if (typeof projects !== "object" || Array.isArray(projects)) {
    throw new Error(`Cannot read Codex's config as its projects is not a table`);
  }
  for (const [dir, entry] of Object.entries(projects as Record<string, unknown>)) {
    const level = (entry as { trust_level?: unknown } | null)?.trust_level;
    if (typeof level === "string") trust[dir] = level;
  }
  const maxBytes = config.project_doc_max_bytes ?? DEFAULT_PROJECT_DOC_MAX_BYTES;
  if (!Number.isInteger(maxBytes) || (maxBytes as number) < 0) {
    throw new Error(
      `Cannot read Codex's config as its project_doc_max_bytes is ${
        JSON.stringify(maxBytes)
      }: expected a whole number of bytes, 0 or more`,
    );
  }
  return {
    sandboxMode,
    trust,
    projectDocMaxBytes: maxBytes as number,
    projectRootMarkers: stringList(config, "project_root_markers") ??
      [...DEFAULT_PROJECT_ROOT_MARKERS],
    projectDocFallbackFilenames: stringList(config, "project_doc_fallback_filenames") ?? [],
  };
}

/** `config[key]` as a list of strings; null when absent. @throws {Error} Naming `key` otherwise. */
function stringList(config: Record<string, unknown>, key: string): string[] | null {
  const value = config[key] ?? null;
  if (value === null) return null;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new Error(`Cannot read Codex's config as its ${key} is not a list of strings`);
  }
  return value;
}

/**
 * Asks Codex for its config (`config/read`) and reads {@link CodexConfig} from the answer.
 * @throws {Error} Naming `config/read` when Codex cannot answer, or the setting it answered badly.
 */
export async function readCodexConfig(server: Pick<AppServer, "request">): Promise<CodexConfig> {
  let answer: unknown;
  try {
    // Not in the protocol types codex-swarm keeps; `config` holds the merged settings.
    answer = await server.request("config/read", { includeLayers: false });
  } catch (error) {
    throw new Error(
      `Cannot open the task's thread as Codex cannot read its config (config/read): ${
        messageOf(error)
      }`,
    );
  }
  return parseCodexConfig(answer);
}
