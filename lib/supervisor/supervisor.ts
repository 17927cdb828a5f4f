/**
 * The supervisor: the one long-lived process of a task directory. It runs the engine, listens on a
 * Unix socket (or, where there is none, a loopback port with a token), and serves every front-end
 * connection as an MCP session of its own. It exits once it has had no connection and no
 * unfinished task for `--idle-exit` seconds, or to make way for a newer program.
 *
 * It always listens on a loopback port, where a connection must prove it knows the token of the
 * 0600 file `token` in its first line (`auth.ts`), and also on the Unix socket (0600, in a 0700
 * directory) where Deno allows it (see {@link unixSocketProblem}). `info.json` says where. Before
 * the proof a connection is read one line of at most 4 KB, for at most 5 s, and at most 16 wait at
 * once (`auth_gate.ts`); then the hello, of at most 1 MB (`hello_check.ts`); then MCP.
 *
 * @example
 * ```sh
 * codex-swarm supervisor --task-dir ~/.local/state/codex-swarm/tasks --idle-exit 60
 * ```
 * @module
 */

import { AppServerEngine } from "../tasks/app_engine.ts";
import { withTimeout } from "../base/delay.ts";
import { TaskStore } from "../tasks/task_store.ts";
import { WorktreeManager } from "../git/worktree.ts";
import { codexEnvFor } from "../codex/client_env.ts";
import { Admission, unfinishedOf } from "./admission.ts";
import { AuthGate } from "./auth_gate.ts";
import { Connection } from "./connection.ts";
import type { SupervisorParts } from "./session.ts";
import { SupervisorLife } from "./life.ts";
import { listen, readInfo, stopListening } from "./listen.ts";
import { type SupervisorPaths, supervisorPaths } from "./paths.ts";
import type { RunOptions } from "./hello.ts";
import { OperatorCeiling, settingsPath } from "./settings.ts";
import { startWorkerPool } from "./worker_setup.ts";
import type { WorkerPool } from "../workers/worker_pool.ts";
import { planTask } from "../request/task_plan.ts";

/** How long a new supervisor waits for the one before it to let go of the task directory. */
const LIFE_LOCK_WAIT_MS = 8_000;

/**
 * The engine: every task a turn of a `codex app-server` thread, placed on `workers` (`local` and
 * the configured ones, disposed after the engine). The supervisor's `env` is its own environment
 * (tasks of an earlier supervisor run with it).
 */
async function startAppServerEngine(
  { config, env, log }: RunOptions,
  worktrees: WorktreeManager,
  workers: WorkerPool,
): Promise<AppServerEngine> {
  // What runs outside a sandbox is the supervisor's: Codex from its PATH, its CODEX_HOME and
  // environment (without a client's secrets); a session brings only its model credentials.
  const codexEnv = codexEnvFor(env, config.policy.passEnv);
  const engine = new AppServerEngine({
    planTask,
    config,
    store: new TaskStore(config.taskDir),
    worktrees,
    log,
    // Queued tasks of codex-swarm 0.1 kept no session: they run with the supervisor's.
    fallbackSession: {
      id: "supervisor",
      // Who opened the session of such a task is not known: as for a peer that cannot be told.
      kind: "task",
      taskId: null,
      defaults: config.defaults,
      taskTimeoutS: config.taskTimeoutS,
      cwd: Deno.cwd(),
      env: codexEnv,
      policy: config.policy,
    },
    codexEnv,
    workers,
  });
  await engine.init();
  return engine;
}

/**
 * Takes the task directory's life lock (one supervisor per task directory, for its whole life),
 * or says who holds it and answers null.
 */
async function lockTaskDir(paths: SupervisorPaths, { config, log }: RunOptions) {
  Deno.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  if (Deno.build.os !== "windows") Deno.chmodSync(paths.dir, 0o700);
  const lifeLock = Deno.openSync(paths.lifeLock, { create: true, write: true, mode: 0o600 });
  if (await withTimeout(lifeLock.lock(true), LIFE_LOCK_WAIT_MS) === "timeout") {
    const other = readInfo(paths.info);
    log.error(
      `Cannot start the supervisor of ${config.taskDir} as another one runs` +
        (other ? ` (pid ${other.pid}, version ${other.version}, ${other.socket})` : ""),
    );
    return null;
  }
  return lifeLock;
}

/** Runs the supervisor until it exits (idle, retired or signalled). Returns the exit code. */
export async function runSupervisor(options: RunOptions): Promise<number> {
  const { config, log } = options;
  const paths = supervisorPaths(config.taskDir);
  const lifeLock = await lockTaskDir(paths, options);
  if (lifeLock === null) return 1;

  // The ceiling of every session: the operator's settings file, else this supervisor's flags.
  const ceiling = new OperatorCeiling(settingsPath(options.env), config.policy, log);
  const worktrees = new WorktreeManager({ worktreeDir: config.worktreeDir });
  const workers = startWorkerPool(options);
  const engine = await startAppServerEngine(options, worktrees, workers).catch(async (error) => {
    await workers[Symbol.asyncDispose]();
    throw error;
  });

  // Listen: always on a loopback port (with a token), and on the Unix socket where allowed.
  const { listeners, port, token, info } = listen(paths, options);
  // What the resources show of the supervisor: info.json without its port and Unix socket.
  const { port: _port, unix: _unix, ...supervisor } = info;
  const life = new SupervisorLife({
    log,
    idleExitS: config.idleExitS,
    unfinished: () => unfinishedOf(engine),
    stopListening: () => stopListening(listeners, paths),
    // The app-servers stop with the engine; their threads stay resumable. Then the workers'
    // connections, ssh servers and tunnels.
    stopEngine: () =>
      Promise.resolve(engine[Symbol.asyncDispose]()).finally(() => workers[Symbol.asyncDispose]()),
    release: () => lifeLock.close(),
  });
  life.start();
  const shared: SupervisorParts = {
    ...options,
    engine,
    worktrees,
    ceiling,
    supervisor,
    life,
    token,
    port,
  };
  const parts = { ...shared, admission: new Admission(shared), gate: new AuthGate() };
  for (const listener of listeners) {
    const tcp = listener.addr.transport === "tcp";
    (async () => {
      try {
        for await (const conn of listener) new Connection(conn, tcp, parts).serve();
      } catch (error) {
        if (!life.stopping) {
          log.error(`The supervisor cannot accept connections: ${error}`);
          life.shutdown("its listener failed");
        }
      }
    })();
  }

  await life.done.promise;
  life.finish();
  log.info("The supervisor stopped; running tasks continue");
  return 0;
}
