/**
 * An engine with workers for tests and benches: the real app-server against the fake Responses
 * API, and real `codex exec-server`s on 127.0.0.1, each in a root directory of its own with a
 * marker variable `WORKER_MARKER=marker-<name>` in its environment. The workers are connected here
 * as the pool connects them (lib/workers/worker_pool.ts); {@link WorkerRigDirectory.lose} tells
 * the engine a worker is down as the pool does once its grace is over.
 *
 * @example
 * ```ts ignore
 * // ignore: starts an app-server and two exec-servers
 * await using r = await rig({ local: 1 });
 * const task = await startTask(r.engine, { prompt: "hi", worktree: true, worker: "a" }, r.session);
 * ```
 * @module
 */

import { clientSession } from "./engine_parts.ts";
import { makeWorld, type World } from "./harness.ts";
import { makeRepo } from "./repo.ts";
import { type RunningExecServer, startExecServer } from "./exec_server.ts";
import { ExecServerClient } from "../../lib/workers/exec_server_client.ts";
import { Logger } from "../../lib/base/log.ts";
import { WorktreeManager } from "../../lib/git/worktree.ts";
import type { Session } from "../../lib/tasks/engine_api.ts";
import { AppServerEngine } from "../../lib/tasks/app_engine.ts";
import { TaskStore } from "../../lib/tasks/task_store.ts";
import type { WorkerDirectory } from "../../lib/tasks/remote_tasks.ts";
import type { WorkerStatus } from "../../lib/workers/worker_pool.ts";
import { planTask } from "../../lib/request/task_plan.ts";

/** A worker of the test: its exec-server, its root, the connection. */
export interface TestWorker {
  name: string;
  root: string;
  server: RunningExecServer;
  client: ExecServerClient;
  state: WorkerStatus["state"];
  lastError: string | null;
}

/** Starts worker `name`'s exec-server (in `at`, else a new directory) and connects to it. */
export async function startWorker(name: string, at?: string): Promise<TestWorker> {
  const root = at ?? await Deno.realPath(await Deno.makeTempDir({ prefix: `worker-${name}-` }));
  const server = await startExecServer({ cwd: root, env: { WORKER_MARKER: `marker-${name}` } });
  const client = await ExecServerClient.connect(server.url, { token: server.token, name });
  return { name, root, server, client, state: "ready", lastError: null };
}

/** The workers as the pool lists them. */
export type WorkerRigDirectory = ReturnType<typeof directory>;

/** The workers as the pool lists them; `lose` tells the engine one is down, `back` that it returned. */
function directory(workers: TestWorker[], local: number | null) {
  const listeners = new Set<(status: WorkerStatus) => void>();
  const status = (name: string, kind: WorkerStatus["kind"], cap: number): WorkerStatus => ({
    name,
    kind,
    url: null,
    state: "ready",
    cap,
    version: null,
    lastError: null,
    sandbox: "enforced",
    sandboxDetail: null,
  });
  const view = (w: TestWorker): WorkerStatus => ({
    ...status(w.name, "ws", 2),
    state: w.state,
    lastError: w.lastError,
  });
  const dir: WorkerDirectory & {
    lose(name: string, error: string): void;
    back(worker: TestWorker): void;
  } = {
    list: () => [
      ...(local === null ? [] : [status("local", "local", local)]),
      ...workers.map(view),
    ],
    channel: (name) => workers.find((w) => w.name === name)!.client,
    environment: (name) => {
      const w = workers.find((w) => w.name === name)!;
      return { environmentId: name, execServerUrl: w.server.url, authBearerToken: w.server.token };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    lose(name, error) {
      const w = workers.find((w) => w.name === name)!;
      w.state = "down";
      w.lastError = error;
      for (const listener of listeners) listener(view(w));
    },
    back(worker) {
      workers[workers.findIndex((w) => w.name === worker.name)] = worker;
      for (const listener of listeners) listener(view(worker));
    },
  };
  return dir;
}

/** An engine with workers "a" and "b", a repository, a session. */
export interface Rig extends AsyncDisposable {
  world: World;
  engine: AppServerEngine;
  workers: TestWorker[];
  dir: ReturnType<typeof directory>;
  session: Session;
  repo: string;
  worktrees: WorktreeManager;
  /** A new engine on the same task directory and workers (after disposing the first). */
  restart(): Promise<AppServerEngine>;
}

/** Starts a {@link Rig}: `local` is the local cap, null for `--no-local`. */
export async function rig(options: { local: number | null; repo?: string }): Promise<Rig> {
  const world = await makeWorld();
  const repo = options.repo ?? await makeRepo();
  const workers = await Promise.all([startWorker("a"), startWorker("b")]);
  const dir = directory(workers, options.local);
  const session = clientSession(repo, { id: "s-workers", env: world.env });
  const worktrees = new WorktreeManager({ worktreeDir: world.worktreeDir });
  const make = () =>
    new AppServerEngine({
      planTask,
      config: { codexBin: "codex", maxParallel: options.local ?? 0, taskMaxAgeS: 86400 },
      store: new TaskStore(world.taskDir),
      worktrees,
      log: new Logger({ level: "warning", file: null }),
      fallbackSession: session,
      workers: dir,
    });
  let engine = make();
  await engine.init();
  return {
    world,
    get engine() {
      return engine;
    },
    async restart() {
      await engine[Symbol.asyncDispose]();
      engine = make();
      await engine.init();
      return engine;
    },
    workers,
    dir,
    session,
    repo,
    worktrees,
    async [Symbol.asyncDispose]() {
      await engine[Symbol.asyncDispose]();
      for (const w of workers) {
        await w.client.close().catch(() => {});
        await Promise.resolve(w.server[Symbol.asyncDispose]()).catch(() => {});
        await Deno.remove(w.root, { recursive: true }).catch(() => {});
      }
      await world[Symbol.asyncDispose]();
      await Deno.remove(repo, { recursive: true }).catch(() => {});
    },
  };
}
