/**
 * The engine's side of workers (docs/workers.md): which worker a task runs on
 * (./placement.ts), its workspace there (../workers/remote_workspace.ts), the worker's
 * environment on each app-server (`environment/add`, then `environments` on `thread/start` and
 * `turn/start`), set-ups and checks run there, and what a lost worker means for its tasks.
 *
 * A task records its worker in `meta.worker` (`local` for the supervisor's machine) and, on a
 * worker, its workspace there in `meta.remote`. A reply, fork or review of a remote task runs on
 * its worker, in the same workspace for a reply.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a worker pool and an app-server
 * const remote = new RemoteTasks({ workers, localCap: 4, log });
 * const worker = remote.place(meta, running); // "local", a worker's name, or null (wait)
 * const where = await remote.open(server, meta, null); // { cwd, environments }
 * ```
 * @module
 */

import type { AppServer } from "../codex/app_server.ts";
import type { CommandOutcome } from "../codex/sandboxed_command.ts";
import type { Logger } from "../base/log.ts";
import { KeyedLock } from "../base/keyed_lock.ts";
import {
  bringBack,
  dropRemoteLeftovers,
  pruneCache,
  type RemoteWorkspace,
  removeRemoteWorkspace,
  shipWorkspace,
  type WorkspaceChannel,
} from "../workers/remote_workspace.ts";
import { checkPlacement, LOCAL_WORKER, type PlacementSlot, placeTask } from "./placement.ts";
import type { TaskMeta, TaskRequest } from "./task.ts";
import type { WorkerEnvironment, WorkerPool, WorkerStatus } from "../workers/worker_pool.ts";

/** What the engine needs of the worker pool. */
export type WorkerDirectory = Pick<WorkerPool, "list" | "channel" | "environment" | "onChange">;

/** What {@link RemoteTasks} needs. */
export interface RemoteTasksOptions {
  /** The configured workers; null: only the supervisor's machine (no `[[workers]]`). */
  workers: WorkerDirectory | null;
  /** `--max-parallel`: the local cap. */
  localCap: number;
  log: Logger;
}

/** Where a remote task's thread runs: its cwd on the worker and the thread's environments. */
export interface RemotePlace {
  cwd: string;
  environments: Array<{ environmentId: string; cwd: string }>;
}

/** The longest tail of a set-up's or check's output kept (as ../codex/sandboxed_command.ts). */
const TAIL_CHARS = 4_000;

/** Places tasks on workers and runs the worker side of remote tasks. */
export class RemoteTasks {
  #options: RemoteTasksOptions;
  /** Per app-server, the workers whose environment it was given (`environment/add`). */
  #added = new WeakMap<AppServer, Map<string, Promise<unknown>>>();
  /** One git operation at a time per worker and repository (its cache there is shared). */
  #caches = new KeyedLock();
  /** Per worker, how often it went down: an environment given before then is given again. */
  #downs = new Map<string, number>();

  constructor(options: RemoteTasksOptions) {
    this.#options = options;
  }

  /** The workers, local included unless `--no-local`. */
  workers(): WorkerStatus[] {
    return this.#options.workers?.list() ?? [{
      name: LOCAL_WORKER,
      kind: "local",
      url: null,
      state: "ready",
      cap: this.#options.localCap,
      version: null,
      lastError: null,
      sandbox: "enforced",
      sandboxDetail: null,
    }];
  }

  /** The workers with how many of `running`'s tasks each runs (for placement and server-info). */
  slots(running: Iterable<TaskMeta>): Array<PlacementSlot & { view: WorkerStatus }> {
    const counts = new Map<string, number>();
    for (const meta of running) {
      const name = meta.worker ?? LOCAL_WORKER;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return this.workers().map((view) => ({
      name: view.name,
      local: view.kind === "local",
      ready: view.state === "ready",
      // --max-parallel is local's cap, whatever the pool says.
      cap: view.kind === "local" ? this.#options.localCap : view.cap,
      running: counts.get(view.name) ?? 0,
      sandbox: view.sandbox,
      view,
    }));
  }

  /**
   * Checks where `request` may run before anything is made, and returns the worker it is bound
   * to (pinned, or its parent task's), or null when placement picks one when it starts.
   * @throws {Error} Naming the `worker` field: an unknown worker, a refused one, a pin that
   * differs from the worker of the task it continues.
   */
  check(request: TaskRequest, parent: TaskMeta | undefined, worktree: boolean): string | null {
    const inherited = parent?.worker !== undefined && parent.worker !== LOCAL_WORKER &&
        parent.remote !== undefined
      ? parent.worker
      : null;
    if (request.worker !== undefined && inherited !== null && request.worker !== inherited) {
      throw new Error(
        `Cannot place the task on worker "${request.worker}" as it continues task ` +
          `${parent!.id}, whose work is on worker "${inherited}": leave worker out`,
      );
    }
    const pinned = request.worker ?? inherited;
    checkPlacement({ pinned, worktree, sandboxed: sandboxed(request) }, this.slots([]));
    return pinned;
  }

  /** The worker to start `meta` on now, or null when it must wait. */
  place(meta: TaskMeta, running: Iterable<TaskMeta>): string | null {
    const demand = {
      pinned: meta.request.worker ?? null,
      worktree: meta.worktree !== null,
      sandboxed: sandboxed(meta.request),
    };
    return placeTask(demand, this.slots(running));
  }

  /** Whether some worker has a free slot (ready, under its cap). */
  hasFreeSlot(running: Iterable<TaskMeta>): boolean {
    return this.slots(running).some((s) => s.ready && s.running < s.cap);
  }

  /** Whether `meta` runs on a worker (not on the supervisor's machine). */
  isRemote(meta: TaskMeta): boolean {
    return meta.worker !== undefined && meta.worker !== LOCAL_WORKER && meta.worktree !== null;
  }

  /**
   * Makes the task's workspace on its worker (or continues in `reuse`, a reply's thread's), and
   * gives `server` the worker's environment. Sets `meta.remote`.
   */
  async open(
    server: AppServer,
    meta: TaskMeta,
    reuse: RemoteWorkspace | null,
  ): Promise<RemotePlace> {
    const name = meta.worker!;
    const channel = this.#channel(name);
    meta.remote = reuse ??
      await this.#caches.run(cacheKey(meta), () => shipWorkspace(channel, meta.worktree!));
    const environment = this.#options.workers!.environment(name);
    await this.#addEnvironment(server, name, environment);
    return {
      cwd: meta.remote.cwd,
      environments: [{ environmentId: environment.environmentId, cwd: meta.remote.cwd }],
    };
  }

  /** `environment/add` of the worker on `server`, once per server (again after the worker was down). */
  #addEnvironment(
    server: AppServer,
    name: string,
    environment: WorkerEnvironment,
  ): Promise<unknown> {
    let added = this.#added.get(server);
    if (!added) this.#added.set(server, added = new Map());
    const key = `${name}#${this.#downs.get(name) ?? 0}`;
    const known = added.get(key);
    if (known) return known;
    const adding = server.request("environment/add", environment as never);
    adding.catch(() => added!.delete(key));
    added.set(key, adding);
    return adding;
  }

  /** Forgets the environments given for worker `name` (it went down: its URL may change). */
  forgetEnvironment(name: string): void {
    this.#downs.set(name, (this.#downs.get(name) ?? 0) + 1);
  }

  /** Commits the task's work on its worker and brings its branch back (see remote_workspace.ts). */
  async bringBack(meta: TaskMeta, message: string): Promise<void> {
    if (!meta.remote || !meta.worktree) return;
    const [channel, remote, info] = [this.#channel(meta.worker!), meta.remote, meta.worktree];
    await this.#caches.run(cacheKey(meta), () => bringBack(channel, remote, info, message));
  }

  /** Drops what a check left in the task's workspace on its worker (never committed). */
  async dropLeftovers(meta: TaskMeta): Promise<string[]> {
    return await dropRemoteLeftovers(this.#channel(meta.worker!), meta.remote!);
  }

  /** Removes the task's workspace on its worker (the sweep); a down worker keeps it for later. */
  async remove(meta: TaskMeta): Promise<void> {
    if (!meta.remote || !meta.worktree) return;
    const [channel, remote, branch] = [
      this.#channel(meta.worker!),
      meta.remote,
      meta.worktree.branch,
    ];
    await this.#caches.run(cacheKey(meta), async () => {
      await removeRemoteWorkspace(channel, remote, branch);
      await pruneCache(channel, remote.cache);
    });
  }

  /**
   * Runs a set-up or check of a remote task in its workspace on the worker, through the second
   * channel: with the worker's own rights (the exec-server starts it outside Codex's sandbox).
   */
  async runCommand(
    meta: TaskMeta,
    command: string,
    env: Record<string, string>,
    signal: AbortSignal,
  ): Promise<CommandOutcome> {
    const channel = this.#channel(meta.worker!);
    const started = Date.now();
    const result = await channel.run(["sh", "-c", command], {
      cwd: meta.remote!.cwd,
      // The worker's own environment (its PATH, HOME, variables), the session's on top.
      env,
      inheritEnv: true,
      signal,
    });
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return {
      command,
      exitCode: result.exitCode ?? 137,
      tail: (decode(result.stdout) + decode(result.stderr)).slice(-TAIL_CHARS),
      timedOut: false,
      cancelled: signal.aborted,
      durationMs: Date.now() - started,
    };
  }

  #channel(name: string): WorkspaceChannel {
    if (!this.#options.workers) {
      throw new Error(`Cannot use worker "${name}" as no workers are configured`);
    }
    return this.#options.workers.channel(name);
  }
}

/** The lock of a task's repository cache on its worker. */
function cacheKey(meta: TaskMeta): string {
  return `${meta.worker}\0${meta.worktree?.repoRoot}`;
}

/** Whether a request runs in a sandbox (anything but `danger-full-access`). */
function sandboxed(request: TaskRequest): boolean {
  return request.sandbox !== "danger-full-access";
}
