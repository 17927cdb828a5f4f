/**
 * The program's version as front-end and supervisor compare it. The newer program wins.
 *
 * `CODEX_SWARM_PRETEND_VERSION` (hidden, for tests) makes a process claim another version; a
 * supervisor started by a front-end inherits its environment, so it claims the same one. Versions
 * compare by `compareVersions` of `base/versions.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(programVersion("0.2.0", {}), "0.2.0");
 * assert.equal(programVersion("0.2.0", { [PRETEND_VERSION_ENV]: "9.9.9" }), "9.9.9");
 * ```
 * @module
 */

/** The hidden environment variable that overrides the version (tests only). */
export const PRETEND_VERSION_ENV = "CODEX_SWARM_PRETEND_VERSION";

/** The version this process claims: the pretend one when set, else `real`. */
export function programVersion(real: string, env: Record<string, string | undefined>): string {
  const pretend = env[PRETEND_VERSION_ENV];
  return pretend !== undefined && pretend !== "" ? pretend : real;
}
