/**
 * The Deno permission flags the codex-swarm server runs with.
 *
 * This is the single source of truth: `deno task compile` bakes exactly these flags into the
 * released binaries (see `.github/scripts/compile.ts`), the npm package's launcher passes them, and
 * the server's own code imports them (to start the supervisor, and top's server) so that `deno task
 * start` and the compiled binary cannot drift apart. It lives in lib/ as the running server needs
 * it; the release scripts import it from here.
 *
 * Keep every entry a complete, single command-line argument (`--allow-run=codex,git`, never
 * `["--allow-run", "codex,git"]`), so the list can be spliced into any `deno` argv as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SERVER_PERMISSIONS } from "./permissions.ts";
 *
 * assert.ok(SERVER_PERMISSIONS.includes("--allow-read"));
 * ```
 *
 * @module
 */

/** Permission flags for `deno run` / `deno compile` of the server, in argv form. */
export const SERVER_PERMISSIONS: readonly string[] = Object.freeze([
  "--allow-read",
  "--allow-write",
  "--allow-env",
  // Unscoped: a front-end starts the supervisor, and top its server, by running this program again
  // (Deno.execPath(), whose path is not known in advance), and the supervisor runs codex, git,
  // kill and ps.
  "--allow-run",
  // The supervisor's loopback TCP fallback where there are no Unix sockets (Windows).
  "--allow-net=127.0.0.1",
]);
