#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-run --allow-net=127.0.0.1
/**
 * codex-swarm: an MCP server (stdio) that runs OpenAI Codex tasks, many at once.
 *
 * `codex-swarm` is a thin front-end that relays its client to the one supervisor of its task
 * directory (starting it when none runs); `codex-swarm supervisor` is that supervisor, in the
 * foreground. This file only wires the parts together; see `lib/` and `lib/supervisor/`.
 *
 * @example
 * ```sh
 * deno run -A jsr:@codex-swarm/server --max-parallel 4 -c model="gpt-5.2-codex"
 * ```
 * @module
 */

import { parseCli, VERSION } from "./lib/supervisor/cli.ts";
import { Logger } from "./lib/base/log.ts";
import { runFrontEnd } from "./lib/supervisor/front_end.ts";
import { programVersion } from "./lib/supervisor/version.ts";

/** The environment, or nothing when not allowed to read it (enough for --help and --version). */
function readEnv(): Record<string, string> {
  try {
    return Deno.env.toObject();
  } catch {
    return {};
  }
}

/**
 * Runs the front-end (or, with `supervisor` first, the supervisor; with `top`, the terminal view
 * of `lib/top/`). Returns the exit code.
 */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "top") {
    // Loaded only for `top`: the terminal UI stays out of the server's start-up.
    const { runTop } = await import("./lib/top/main.ts");
    return await runTop(args.slice(1));
  }
  const supervisor = args[0] === "supervisor";
  const env = readEnv();
  let parsed;
  try {
    parsed = parseCli(supervisor ? args.slice(1) : args, env);
  } catch (error) {
    console.error(`codex-swarm: ${error instanceof Error ? error.message : error}`);
    console.error("Run codex-swarm --help for the flags.");
    return 2;
  }
  if (parsed.kind !== "run") {
    console.log(parsed.text);
    return 0;
  }
  const { config } = parsed;
  const log = new Logger({ level: config.logLevel, file: config.logFile });
  const version = programVersion(VERSION, env);
  if (!supervisor) return await runFrontEnd({ config, env, version, log });

  // A bug in one task's handling must not take the supervisor (and every client) down.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    log.local("error", `Unhandled rejection: ${event.reason?.stack ?? event.reason}`);
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    log.local("error", `Uncaught error: ${event.error?.stack ?? event.message}`);
  });
  // Loaded only here: the front-end must start without the SDK, zod or the engine.
  const { runSupervisor } = await import("./lib/supervisor/supervisor.ts");
  try {
    return await runSupervisor({ config, env, log, version });
  } catch (error) {
    log.error(`The supervisor failed: ${error instanceof Error ? error.stack : error}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
