/**
 * The program's version as front-end and supervisor compare it. The newer program wins.
 *
 * `CODEX_SWARM_PRETEND_VERSION` (hidden, for tests) makes a process claim another version; a
 * supervisor started by a front-end inherits its environment, so it claims the same one.
 *
 * @example
 * ```ts
 * compareVersions("0.10.0", "0.9.1"); // 1
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

/** Compares two dotted versions numerically (`-pre` suffixes sort before the release). */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core = "", pre] = v.split("-", 2);
    return { parts: core.split(".").map((p) => Number.parseInt(p, 10) || 0), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}
