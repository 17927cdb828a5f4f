/**
 * The sandbox of a new thread that no call, session or profile asks for one: the `sandbox_mode`
 * of Codex's own config (the system and user `config.toml`, as `config/read` without a cwd answers,
 * so no project's `.codex/`), else `read-only`.
 *
 * codex-swarm sends it explicitly because every thread marks its project untrusted
 * (./project_trust.ts), and Codex 0.169 gives a thread without a sandbox `workspace-write` as soon
 * as its project has any trust decision, `untrusted` included; left to Codex, the marking would
 * widen the default from `read-only` (measured: `thread/start` answered `workspaceWrite`). A
 * project the user's `config.toml` trusts no longer gets `workspace-write` by default either.
 *
 * @example
 * ```ts
 * const sandbox = params.sandbox ?? await configuredSandbox(server); // "read-only" unless config.toml says
 * await server.request("thread/start", { ...params, sandbox });
 * ```
 * @module
 */

import type { AppServer } from "./app_server.ts";
import type { SandboxMode } from "./protocol/generated/v2/SandboxMode.ts";

/** The sandbox when Codex's config sets none: Codex's own default for a directory it knows nothing of. */
export const DEFAULT_SANDBOX: SandboxMode = "read-only";

/** The modes `sandbox_mode` may hold. */
const MODES: readonly SandboxMode[] = ["read-only", "workspace-write", "danger-full-access"];

/**
 * Asks Codex which sandbox its config sets; {@link DEFAULT_SANDBOX} when none.
 * @throws {Error} Naming `config/read` when Codex cannot answer, or the value when it is no mode.
 */
export async function configuredSandbox(server: Pick<AppServer, "request">): Promise<SandboxMode> {
  let answer: unknown;
  try {
    // Not in the protocol types codex-swarm keeps; `config.sandbox_mode` is a mode or null.
    answer = await server.request("config/read", { includeLayers: false });
  } catch (error) {
    throw new Error(
      `Cannot choose the task's sandbox as Codex cannot read its config (config/read): ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  const mode = (answer as { config?: { sandbox_mode?: unknown } } | null)?.config?.sandbox_mode;
  if (mode === null || mode === undefined) return DEFAULT_SANDBOX;
  const known = MODES.find((m) => m === mode);
  if (known === undefined) {
    throw new Error(
      `Cannot choose the task's sandbox as Codex's config has sandbox_mode ${
        JSON.stringify(mode)
      }: expected one of ${MODES.join(", ")}`,
    );
  }
  return known;
}
