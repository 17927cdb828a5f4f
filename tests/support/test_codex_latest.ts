/**
 * `deno task test:codex-latest`: installs the newest tested Codex ({@link LATEST_CODEX_VERSION},
 * or the version in `CODEX_LATEST_VERSION`) into `.tools/codex-<version>/` and runs the whole suite
 * against it. Arguments go to `deno test` (e.g. `-- --filter app-server`).
 *
 * The tests read the version from `CODEX_SWARM_TEST_CODEX_VERSION`: the protocol-types test then
 * checks only that every method and field codex-swarm uses is still there.
 *
 * @example
 * ```sh
 * deno task test:codex-latest
 * CODEX_LATEST_VERSION=0.172.0 deno task test:codex-latest -- --filter app-server
 * ```
 * @module
 */

import {
  CODEX_UNDER_TEST_ENV,
  LATEST_CODEX_VERSION,
  LATEST_OVERRIDE_ENV,
} from "./codex_versions.ts";
import { installCodex } from "./install_codex.ts";

if (import.meta.main) {
  const version = Deno.env.get(LATEST_OVERRIDE_ENV) || LATEST_CODEX_VERSION;
  let prefix: string;
  try {
    prefix = await installCodex(version);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
  console.error(`Running the suite against Codex ${version} (${prefix})`);
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...Deno.args],
    env: {
      PATH: `${prefix}/node_modules/.bin:${Deno.env.get("PATH") ?? ""}`,
      [CODEX_UNDER_TEST_ENV]: version,
    },
    stdin: "null",
  }).spawn().status;
  Deno.exit(status.code);
}
