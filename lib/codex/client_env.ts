/**
 * The environment Codex gets from a client's: the client's own secrets stay behind, what Codex and
 * a build need goes through.
 *
 * Clients pass their whole environment to their MCP servers (Claude Code passes
 * `ANTHROPIC_API_KEY`). Dropped: the `ANTHROPIC_*` and `CLAUDE_*` families and every name holding
 * `KEY`, `TOKEN`, `SECRET`, `PASSWORD`, `PASSWD` or `CREDENTIAL` (any case). Kept although they
 * match: `OPENAI_*`, `CODEX_*`, the `env_key` of each model provider in Codex's config, the
 * variables the operator names with `--pass-env`, and `SSH_AUTH_SOCK`. Everything else (PATH,
 * HOME, SHELL, USER, TMPDIR, TERM, locale, proxies, certificates, toolchains) is kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const env = { PATH: "/usr/bin", GITHUB_TOKEN: "ghp_x", MY_LICENSE_KEY: "k" };
 * const keep = [...providerEnvKeys(env), "MY_LICENSE_KEY"];
 * assert.deepEqual(filterClientEnv(env, keep), { PATH: "/usr/bin", MY_LICENSE_KEY: "k" });
 * ```
 * @module
 */

import { join } from "node:path";
import { parse as parseToml } from "smol-toml";

/** Name parts that make a variable look like a secret. */
const SECRET_WORDS = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;
/** The client's own families, dropped whatever their names. */
const CLIENT_FAMILIES = /^(ANTHROPIC|CLAUDE)/i;
/** Families Codex needs, kept although their names may look like secrets. */
const CODEX_FAMILIES = /^(OPENAI|CODEX)_/;
/** Single variables a build needs whose names match {@link SECRET_WORDS}. */
const ALWAYS_KEPT = ["SSH_AUTH_SOCK"];

/**
 * Filters a client's environment for Codex: the variables Codex gets, without those that belong
 * to the client or look like a secret, unless exempt.
 * @param env The client's environment (or the server's, when it runs for one client).
 * @param keepNames Names kept whatever they look like (provider `env_key`s, `--pass-env`).
 */
export function filterClientEnv(
  env: Record<string, string | undefined>,
  keepNames: Iterable<string> = [],
): Record<string, string> {
  const keep = new Set([...keepNames, ...ALWAYS_KEPT]);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const secret = !keep.has(name) &&
      (CLIENT_FAMILIES.test(name) || (!CODEX_FAMILIES.test(name) && SECRET_WORDS.test(name)));
    if (value !== undefined && !secret) out[name] = value;
  }
  return out;
}

/** Codex's home directory: `$CODEX_HOME`, else `~/.codex`; null when neither is known. */
export function codexHomeOf(env: Record<string, string | undefined>): string | null {
  if (env.CODEX_HOME) return env.CODEX_HOME;
  return env.HOME ? join(env.HOME, ".codex") : null;
}

/**
 * The `env_key` of every model provider in Codex's `config.toml` (top level and profiles), the
 * variables Codex reads the providers' API keys from. A missing or unreadable file gives none.
 * @param env The environment that locates `CODEX_HOME`.
 */
export function providerEnvKeys(env: Record<string, string | undefined>): string[] {
  const home = codexHomeOf(env);
  if (home === null) return [];
  let config: unknown;
  try {
    config = parseToml(Deno.readTextFileSync(join(home, "config.toml")));
  } catch {
    return []; // no file, or not TOML
  }
  const keys = new Set<string>();
  const collect = (providers: unknown) => {
    if (typeof providers !== "object" || providers === null) return;
    for (const provider of Object.values(providers)) {
      const key = (provider as { env_key?: unknown } | null)?.env_key;
      if (typeof key === "string" && key !== "") keys.add(key);
    }
  };
  const root = config as { model_providers?: unknown; profiles?: unknown };
  collect(root.model_providers);
  if (typeof root.profiles === "object" && root.profiles !== null) {
    for (const profile of Object.values(root.profiles)) {
      collect((profile as { model_providers?: unknown } | null)?.model_providers);
    }
  }
  return [...keys].sort();
}

/**
 * The environment Codex gets for a client: {@link filterClientEnv} keeping the providers'
 * `env_key`s and `passEnv`.
 */
export function codexEnvFor(
  env: Record<string, string | undefined>,
  passEnv: readonly string[] = [],
): Record<string, string> {
  return filterClientEnv(env, [...providerEnvKeys(env), ...passEnv]);
}

/** The model credentials a session may bring to Codex, besides its providers' `env_key`s. */
export const MODEL_CREDENTIALS: readonly string[] = ["OPENAI_API_KEY", "CODEX_API_KEY"];

/**
 * The model credentials in a session's environment: {@link MODEL_CREDENTIALS} and the `env_key`s
 * of the supervisor's model providers. They are all a session brings to the app-server it runs on
 * (whose program, `CODEX_HOME` and environment are the supervisor's), and the app-servers' key:
 * two sessions with different keys never share one.
 */
export function credentialsOf(
  env: Record<string, string | undefined>,
  providerKeys: readonly string[],
): Record<string, string> {
  const names = [...MODEL_CREDENTIALS, ...providerKeys];
  return Object.fromEntries(
    names.flatMap((name) => env[name] === undefined ? [] : [[name, env[name]]]),
  );
}

/**
 * What a session's environment changes in the app-server's, for the commands inside the sandbox
 * (through the thread's `shell_environment_policy.set`, or `command/exec`'s `env`): every variable
 * whose value differs, but for the credentials, which stay with the app-server.
 */
export function commandEnvOverrides(
  session: Record<string, string>,
  server: Record<string, string>,
  credentials: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(session).filter(([name, value]) =>
      !(name in credentials) && server[name] !== value
    ),
  );
}
