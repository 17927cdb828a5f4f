/**
 * What codex-swarm gives a thread of the project that it marks untrusted (./project_trust.ts) in
 * place of what Codex would give a trusted one: the project's `AGENTS.md` instructions
 * (./project_docs.ts) and the facts the default sandbox is chosen by (./configured_sandbox.ts).
 * Read once per thread, before it opens.
 *
 * The settings come from Codex's own config (./codex_config.ts), overridden by the thread's own
 * config (the session's `-c`, the profile, the call's `config`): `project_doc_max_bytes` (which
 * callers may set; 0 reads no instructions), `project_root_markers` and
 * `project_doc_fallback_filenames`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AppServer } from "./app_server.ts";
 *
 * // The engine passes the thread's app-server; this one answers `config/read` with an empty config.
 * const server = {
 *   request: () => Promise.resolve({ config: {}, origins: {} }),
 * } as unknown as Pick<AppServer, "request">;
 * const root = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${root}/.git`);
 * await Deno.writeTextFile(`${root}/AGENTS.md`, "Run deno task check.");
 * const context = await readProjectContext(server, { cwd: root, config: {} }); // params.thread
 * assert.equal(context.root, root);
 * assert.deepEqual(context.docs, { cwd: root, text: "Run deno task check." });
 * await Deno.remove(root, { recursive: true });
 * ```
 * @module
 */

import type { AppServer } from "./app_server.ts";
import { type CodexConfig, readCodexConfig } from "./codex_config.ts";
import { readProjectDocs } from "./project_docs.ts";
import { findProjectRoot } from "./project_root.ts";
import type { Json } from "./config_overrides.ts";

/** What {@link readProjectContext} found. */
export interface ProjectContext {
  /** Codex's own config, with the thread's settings of the project docs applied. */
  config: CodexConfig;
  /** The project root of the thread's cwd, or null when no marker was found. */
  root: string | null;
  /** The project's instructions for the cwd (unrendered), or null for none. */
  docs: { cwd: string; text: string } | null;
}

/**
 * `config` with the thread's own `project_doc_max_bytes`, `project_root_markers` and
 * `project_doc_fallback_filenames` where it sets them (values of the wrong kind are left to Codex,
 * which refuses the thread naming them).
 */
export function withThreadSettings(
  config: CodexConfig,
  thread: Record<string, Json>,
): CodexConfig {
  const maxBytes = thread.project_doc_max_bytes;
  const list = (value: Json | undefined) =>
    Array.isArray(value) && value.every((v) => typeof v === "string") ? value as string[] : null;
  return {
    ...config,
    projectDocMaxBytes: typeof maxBytes === "number" && Number.isInteger(maxBytes) && maxBytes >= 0
      ? maxBytes
      : config.projectDocMaxBytes,
    projectRootMarkers: list(thread.project_root_markers) ?? config.projectRootMarkers,
    projectDocFallbackFilenames: list(thread.project_doc_fallback_filenames) ??
      config.projectDocFallbackFilenames,
  };
}

/**
 * Reads Codex's config, finds the project root of `thread.cwd` and reads its instructions.
 * @throws {Error} When Codex cannot answer `config/read` (naming it).
 */
export async function readProjectContext(
  server: Pick<AppServer, "request">,
  thread: { cwd: string; config: Record<string, Json> },
): Promise<ProjectContext> {
  const config = withThreadSettings(await readCodexConfig(server), thread.config);
  const root = await findProjectRoot(thread.cwd, config.projectRootMarkers);
  const text = await readProjectDocs({
    cwd: thread.cwd,
    root,
    maxBytes: config.projectDocMaxBytes,
    fallbackFilenames: config.projectDocFallbackFilenames,
  });
  return { config, root, docs: text === null ? null : { cwd: thread.cwd, text } };
}
