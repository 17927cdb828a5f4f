/**
 * The Codex versions codex-swarm supports, and what differs between them.
 *
 * The range runs from {@link OLDEST_CODEX_VERSION} (the pinned version: `deno task test` and CI run
 * it) to {@link NEWEST_TESTED_CODEX_VERSION} (the newest that `deno task test:codex-latest` passed
 * against). Older: refused, naming the version found and the one needed. Newer: it runs, with a
 * warning that it is untested. Versions compare by semver (`base/versions.ts`), so a pre-release
 * of the oldest (`0.169.0-alpha.1`) is below the range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(codexVersionFit("0.171.0").kind, "supported");
 * assert.equal(codexVersionFit("0.172.0").kind, "untested");
 * assert.equal(codexVersionFit("0.169.0-alpha.1").kind, "too_old");
 * ```
 * @module
 */

import { compareVersions } from "../base/versions.ts";

/** The oldest Codex whose `app-server` codex-swarm speaks; the version the tests pin. */
export const OLDEST_CODEX_VERSION = "0.169.0";

/**
 * The newest Codex the whole suite passed against (`deno task test:codex-latest`, which installs
 * this version). Raise it when a newer Codex passes.
 */
export const NEWEST_TESTED_CODEX_VERSION = "0.171.0";

/** The first Codex whose `thread/list` takes `includedThreadIds` (0.169 ignores the field). */
export const INCLUDED_THREAD_IDS_SINCE = "0.171.0";

/**
 * The first Codex without the server request `currentTime/read`: earlier ones may ask the client
 * for the time of a thread's turn, and get the supervisor's clock.
 */
export const CURRENT_TIME_READ_UNTIL = "0.171.0";

/** How a Codex version fits the supported range. */
export type CodexVersionFit =
  | { kind: "supported" }
  /** Below the range: codex-swarm refuses it. */
  | { kind: "too_old"; message: string }
  /** Above the range: it runs, with a warning. */
  | { kind: "untested"; message: string };

/**
 * How `version` (`"unknown"` when Codex did not tell) fits the range; the messages name the
 * version found and the range.
 */
export function codexVersionFit(version: string): CodexVersionFit {
  if (version === "unknown" || compareVersions(version, OLDEST_CODEX_VERSION) < 0) {
    return {
      kind: "too_old",
      message: `its version is ${version}: codex-swarm needs ${OLDEST_CODEX_VERSION} or newer ` +
        `(tested up to ${NEWEST_TESTED_CODEX_VERSION})`,
    };
  }
  if (compareVersions(version, NEWEST_TESTED_CODEX_VERSION) > 0) {
    return {
      kind: "untested",
      message: `Codex ${version} is newer than the newest codex-swarm was tested with ` +
        `(${NEWEST_TESTED_CODEX_VERSION}); it runs, but report what fails`,
    };
  }
  return { kind: "supported" };
}

/** Whether Codex `version` takes `thread/list`'s `includedThreadIds`. */
export function hasIncludedThreadIds(version: string): boolean {
  return compareVersions(version, INCLUDED_THREAD_IDS_SINCE) >= 0;
}

/** Whether Codex `version` may send the server request `currentTime/read`. */
export function sendsCurrentTimeRead(version: string): boolean {
  return compareVersions(version, CURRENT_TIME_READ_UNTIL) < 0;
}
