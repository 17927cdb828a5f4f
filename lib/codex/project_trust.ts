/**
 * Keeps a repository's own Codex configuration from running anything: every thread codex-swarm
 * opens (`thread/start`, `thread/resume`, `thread/fork`) marks its cwd and every directory above
 * it as an untrusted project, in the thread's own `config`.
 *
 * Codex 0.169 loads a project's `.codex/` folders (from the cwd up to the project root: its
 * `config.toml`, `hooks.json` and `rules/`) only for a trusted project, and then runs what they
 * name on the host, outside the sandbox: `mcp_servers.*.command`, hooks, and commands that an exec
 * policy rule allows; its `sandbox_mode` and `sandbox_workspace_write.writable_roots` widen the
 * task's sandbox. A project is trusted when the user's `config.toml` says so for the directory of
 * the `.codex` folder, the project root or (for a worktree) the main repository, and `thread/start`
 * with a writable sandbox writes that trust into the user's `config.toml` itself. An
 * `untrusted` entry for a directory comes first in Codex's lookup, so one for each directory from
 * the cwd up disables every project layer, and Codex then writes no trust either (measured with
 * Codex 0.169; see docs/security.md). They go as one table value (`{"projects": {...}}`), the
 * form measured, rather than dotted keys that would have to hold each path, dots and all.
 *
 * What it would cost, codex-swarm gives back itself: Codex takes no instructions from an untrusted
 * project, so codex-swarm reads the project's `AGENTS.md` and passes them to the thread
 * (./project_context.ts, ./project_docs.ts); and Codex gives a thread with any trust decision
 * `workspace-write` when no sandbox is asked for, so codex-swarm chooses the default sandbox
 * itself: `workspace-write` only for a project the user's `config.toml` trusts
 * (./configured_sandbox.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const config: Record<string, unknown> = { "projects./x.trust_level": "trusted" };
 * distrustProjects(config, "/src/app");
 * const projects = config.projects as Record<string, { trust_level: string }>;
 * assert.deepEqual(Object.keys(projects).sort(), ["/", "/src", "/src/app"]);
 * assert.ok(Object.values(projects).every((p) => p.trust_level === "untrusted"));
 * ```
 * @module
 */

import { ancestors } from "./project_root.ts";

/** The config table of Codex's per-directory trust. */
export const PROJECTS_KEY = "projects";

/** One directory's entry in {@link PROJECTS_KEY}. */
export type ProjectTrust = { trust_level: "untrusted" };

/**
 * The {@link PROJECTS_KEY} table that marks `cwd` and every directory above it untrusted.
 * @param cwd The thread's directory (absolute; ideally its real path, as Codex canonicalizes).
 */
export function untrustedProjects(cwd: string): Record<string, ProjectTrust> {
  return Object.fromEntries(ancestors(cwd).map((dir) => [dir, { trust_level: "untrusted" }]));
}

/**
 * Replaces every project-trust setting of a thread's `config` (dotted keys, as sent in
 * `thread/start`) by {@link untrustedProjects} of `cwd`: nothing a session or a call sets can
 * trust a project again.
 */
export function distrustProjects(config: Record<string, unknown>, cwd: string): void {
  for (const key of Object.keys(config)) {
    if (key === PROJECTS_KEY || key.startsWith(`${PROJECTS_KEY}.`)) delete config[key];
  }
  config[PROJECTS_KEY] = untrustedProjects(cwd);
}
