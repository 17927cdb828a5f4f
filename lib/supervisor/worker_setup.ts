/**
 * The supervisor's workers: `[[workers]]` of the operator's settings file (read when the
 * supervisor starts) and its own `--worker` flags, made into the {@link WorkerPool} the engine
 * places tasks with. A worker that cannot be configured is left out with an error in the log,
 * and the supervisor serves on.
 *
 * @example
 * ```ts ignore
 * // ignore: connects to the configured workers
 * await using workers = startWorkerPool({ config, env: Deno.env.toObject(), log, version });
 * ```
 * @module
 */

import type { Logger } from "../base/log.ts";
import { resolveCodex, versionOf } from "../codex/codex_binary.ts";
import { workersOfSettings, type WorkerSpec, workerSpecs } from "../workers/worker_config.ts";
import { WorkerPool } from "../workers/worker_pool.ts";
import type { ServerConfig } from "./cli.ts";
import type { RunOptions } from "./hello.ts";
import { settingsDocument, settingsPath } from "./settings.ts";

/** The `[[workers]]` of the settings file at `path` (none when it is absent or unusable). */
function workersOfFile(path: string | null, log: Logger): WorkerSpec[] {
  if (path === null) return [];
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) log.error(`Cannot read ${path}: ${error}`);
    return [];
  }
  try {
    return workersOfSettings(settingsDocument(text, path), path);
  } catch (error) {
    log.error(`${(error as Error).message}: its workers are left out`);
    return [];
  }
}

/** The configured workers, checked; those that cannot be used are left out (and logged). */
export function configuredWorkers(
  config: Pick<ServerConfig, "workerFlags">,
  env: Record<string, string>,
  log: Logger,
): WorkerSpec[] {
  const fromFile = workersOfFile(settingsPath(env), log);
  const flags = config.workerFlags ?? { workers: [], tokenFiles: [], noLocal: false };
  try {
    return workerSpecs(fromFile, flags);
  } catch (error) {
    log.error(`${(error as Error).message}: no worker of the settings file or flags is used`);
    return [];
  }
}

/** Starts connecting the workers; `local` is the supervisor's own machine with --max-parallel. */
export function startWorkerPool({ config, env, log }: RunOptions): WorkerPool {
  // Every worker must run the Codex of the supervisor's app-servers: asked once, when needed.
  let version: Promise<string | null> | null = null;
  const codexVersion = () =>
    version ??= versionOf(resolveCodex(config.codexBin, env.PATH ?? "").command, env);
  return new WorkerPool({
    workers: configuredWorkers(config, env, log),
    noLocal: config.workerFlags?.noLocal ?? false,
    localCap: config.maxParallel,
    log,
    codexVersion,
  });
}
