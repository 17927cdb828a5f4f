/**
 * Which Codex the tests run: the pinned version (`deno task test`, CI) or the newest tested
 * (`deno task test:codex-latest`). Both come from the supported range in
 * `lib/codex/codex_versions.ts`, so the range codex-swarm states and the versions it is tested
 * with cannot drift apart.
 *
 * The pinned Codex lives in `.tools/`, any other version in `.tools/codex-<version>/`; the test
 * task puts the chosen one's `node_modules/.bin` first on PATH and names its version in
 * {@link CODEX_UNDER_TEST_ENV}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const codex = codexUnderTest(); // { version: "0.169.0", prefix: ".../.tools", pinned: true, ... }
 * assert.equal(codex.pinned, codex.version === PINNED_CODEX_VERSION);
 * ```
 * @module
 */

import {
  NEWEST_TESTED_CODEX_VERSION,
  OLDEST_CODEX_VERSION,
} from "../../lib/codex/codex_versions.ts";

/** The version `deno task test` and CI run: the oldest supported. */
export const PINNED_CODEX_VERSION = OLDEST_CODEX_VERSION;

/**
 * The version `deno task test:codex-latest` installs and runs: the newest tested. The weekly
 * workflow names npm's newest instead, in {@link LATEST_OVERRIDE_ENV}.
 */
export const LATEST_CODEX_VERSION = NEWEST_TESTED_CODEX_VERSION;

/** The environment variable that names the Codex version the suite runs (unset: pinned). */
export const CODEX_UNDER_TEST_ENV = "CODEX_SWARM_TEST_CODEX_VERSION";

/** The environment variable that makes `test:codex-latest` run another version than the latest. */
export const LATEST_OVERRIDE_ENV = "CODEX_LATEST_VERSION";

const root = new URL("../../", import.meta.url).pathname;

/** Where `npm install --prefix` puts Codex `version`. */
export function codexPrefix(version: string): string {
  return version === PINNED_CODEX_VERSION ? `${root}.tools` : `${root}.tools/codex-${version}`;
}

/** One installed Codex the tests can run. */
export interface CodexUnderTest {
  version: string;
  /** True for {@link PINNED_CODEX_VERSION}. */
  pinned: boolean;
  /** The npm prefix it is installed in. */
  prefix: string;
  /** Its npm `codex` (the Node wrapper). */
  bin: string;
  /** The npm package that holds the wrapper, and the native binary of this machine behind it. */
  packageDir: string;
}

/** The Codex this test run uses: {@link CODEX_UNDER_TEST_ENV}, else the pinned one. */
export function codexUnderTest(): CodexUnderTest {
  const version = Deno.env.get(CODEX_UNDER_TEST_ENV) || PINNED_CODEX_VERSION;
  const prefix = codexPrefix(version);
  return {
    version,
    pinned: version === PINNED_CODEX_VERSION,
    prefix,
    bin: `${prefix}/node_modules/.bin/codex`,
    packageDir: `${prefix}/node_modules/@openai/codex`,
  };
}
