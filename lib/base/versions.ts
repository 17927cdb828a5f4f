/**
 * Version order, one rule for every version codex-swarm compares (its own, between front-end and
 * supervisor, and Codex's): semver precedence. Numeric parts compare as numbers (a missing part is
 * 0); a pre-release (`-rc.1`) sorts before its release, and pre-releases compare part by part, digits
 * as numbers and below words; build metadata (`+abc`) is ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(compareVersions("0.10.0", "0.9.1"), 1);
 * assert.equal(compareVersions("0.169.0-alpha.2", "0.169.0"), -1);
 * assert.equal(compareVersions("1.0.0-rc.10", "1.0.0-rc.9"), 1);
 * assert.equal(compareVersions("0.169", "0.169.0+linux"), 0);
 * ```
 * @module
 */

/** `a` compared with `b` by semver precedence: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  const core = compareParts(x.core, y.core);
  if (core !== 0) return core;
  if (x.pre.length === 0 || y.pre.length === 0) {
    // A release sorts after its pre-releases.
    return Math.sign(y.pre.length - x.pre.length);
  }
  return compareParts(x.pre, y.pre);
}

/** The numeric core and the pre-release parts of `version` (build metadata dropped). */
function parse(version: string): { core: (number | string)[]; pre: (number | string)[] } {
  const [withoutBuild = ""] = version.split("+", 1);
  const dash = withoutBuild.indexOf("-");
  const core = dash === -1 ? withoutBuild : withoutBuild.slice(0, dash);
  const pre = dash === -1 ? "" : withoutBuild.slice(dash + 1);
  return {
    core: core.split(".").map((part) => Number.parseInt(part, 10) || 0),
    pre: pre === "" ? [] : pre.split(".").map((part) => /^\d+$/.test(part) ? Number(part) : part),
  };
}

/**
 * Part by part; a missing part is 0 in the core, and in a pre-release the shorter list sorts first
 * (`rc` before `rc.1`). Numbers sort before words.
 */
function compareParts(x: (number | string)[], y: (number | string)[]): number {
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    if (p === undefined) return q === 0 ? 0 : -1;
    if (q === undefined) return p === 0 ? 0 : 1;
    if (typeof p !== typeof q) return typeof p === "number" ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}
