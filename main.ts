#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-run=codex,git,kill,ps
/**
 * codex-swarm: an MCP server (stdio) that runs OpenAI Codex tasks, many at once.
 *
 * This file only wires the parts together; see `lib/`.
 *
 * @example
 * ```sh
 * deno run -A jsr:@codex-swarm/server --max-parallel 4 -c model="gpt-5.2-codex"
 * ```
 * @module
 */

import process from "node:process";
import { parseCli, VERSION } from "./lib/cli.ts";
import { TaskEngine } from "./lib/engine.ts";
import { Logger } from "./lib/log.ts";
import { DetachedLauncher } from "./lib/process.ts";
import { StdioServerTransport } from "./lib/sdk.ts";
import { createServer } from "./lib/server.ts";
import { TaskStore } from "./lib/task_store.ts";
import { WorktreeManager } from "./lib/worktree.ts";

/** The environment, or nothing when not allowed to read it (enough for --help and --version). */
function readEnv(): Record<string, string> {
  try {
    return Deno.env.toObject();
  } catch {
    return {};
  }
}

/**
 * Runs the server until its client goes away, or `codex-swarm top` (`lib/top/`). Returns the
 * process exit code.
 */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "top") {
    // Loaded only for `top`: the terminal UI stays out of the server's start-up.
    const { runTop } = await import("./lib/top/main.ts");
    return await runTop(args.slice(1));
  }
  let parsed;
  try {
    parsed = parseCli(args, readEnv());
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
  const worktrees = new WorktreeManager({ worktreeDir: config.worktreeDir });
  const engine = new TaskEngine({
    config,
    launcher: new DetachedLauncher(),
    store: new TaskStore(config.taskDir),
    worktrees,
    log,
    env: Deno.env.toObject(),
  });
  // A bug in one task's handling must not take the server (and every other task's client) down.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    log.error(`Unhandled rejection: ${event.reason?.stack ?? event.reason}`);
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    log.error(`Uncaught error: ${event.error?.stack ?? event.message}`);
  });
  await engine.init();
  const server = createServer({ engine, worktrees, config, log, version: VERSION });
  const closed = Promise.withResolvers<void>();
  const transport = new StdioServerTransport();
  transport.onclose = () => closed.resolve();
  // The SDK's transport does not notice the client closing stdin: without this the server would
  // stay up after its client went away.
  process.stdin.once("end", () => closed.resolve());
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => closed.resolve());
  }
  await server.connect(transport);
  log.info(`codex-swarm ${VERSION} serving on stdio`, { taskDir: config.taskDir });
  await closed.promise;
  // Tasks keep running: the next instance finds them in the task directory.
  server.detach();
  engine.close();
  log.info("codex-swarm stopped; running tasks continue");
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
