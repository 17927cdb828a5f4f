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
 * const remote = new RemoteTasks(workers, 4);
 * const worker = remote.place(meta, running); // "local", a worker's name, or null (wait)
 * const where = await remote.open(server, meta, null); // { cwd, environments }
 * ```
 * @module
 */

import type { AppServer } from "../codex/app_server.ts";
import { type CommandOutcome, TAIL_CHARS } from "../codex/sandboxed_command.ts";
import type { SandboxPolicy } from "../codex/protocol/generated/v2/SandboxPolicy.ts";
import { execSandbox } from "../workers/exec_sandbox.ts";
import { copyIgnoredToWorker } from "../workers/remote_copy.ts";
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
import { checkPlacement, type PlacementSlot, placeTask } from "./placement.ts";
import { LOCAL_WORKER } from "../workers/worker_config.ts";
import type { TaskMeta, TaskRequest } from "./task.ts";
import type { WorkerEnvironment, WorkerPool, WorkerStatus } from "../workers/worker_pool.ts";

/** What the engine needs of the worker pool. */
export type WorkerDirectory = Pick<WorkerPool, "list" | "channel" | "environment" | "onChange">;

/** Where a remote task's thread runs: its cwd on the worker and the thread's environments. */
export interface RemotePlace {
  cwd: string;
  environments: Array<{ environmentId: string; cwd: string }>;
}

/** How long the app-server waits to connect to a worker's environment (its default is longer). */
const ENVIRONMENT_CONNECT_TIMEOUT_MS = 5_000;

/** The id of the app-server's own machine among its environments (Codex's name). */
const LOCAL_ENVIRONMENT = "local";

/** Places tasks on workers and runs the worker side of remote tasks. */
export class RemoteTasks {
  /** Per app-server, the environments it was given: id -> address (see ensureEnvironment). */
  #added = new WeakMap<AppServer, Map<string, string>>();
  /** One git operation at a time per worker and repository (its cache there is shared). */
  #caches = new KeyedLock();

  /**
   * @param workers The workers, `local` among them unless `--no-local`.
   * @param localCap `--max-parallel`: the local cap.
   */
  constructor(private readonly workers: WorkerDirectory, private readonly localCap: number) {}

  /** The workers with how many of `running`'s tasks each runs (for placement and server-info). */
  slots(running: Iterable<TaskMeta>): Array<PlacementSlot & { view: WorkerStatus }> {
    const counts = new Map<string, number>();
    for (const meta of running) {
      const name = meta.worker ?? LOCAL_WORKER;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return this.workers.list().map((view) => ({
      name: view.name,
      local: view.kind === "local",
      ready: view.state === "ready",
      down: view.state === "down" ? view.lastError ?? "no reason given" : null,
      // --max-parallel is local's cap, whatever the pool says.
      cap: view.kind === "local" ? this.localCap : view.cap,
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
    if (worktree && request.commit === false) {
      // Its work would stay on the worker: only a commit comes back. It runs here.
      const here = this.workers.list().some((w) => w.kind === "local");
      if ((pinned !== null && pinned !== LOCAL_WORKER) || !here) {
        throw new Error(
          `Cannot place the task on ${
            here ? `worker "${pinned}"` : "a worker (the server runs with --no-local)"
          } as its worktree is not committed (commit: false, or the checkout of a review): its ` +
            "work comes back from a worker only as a commit",
        );
      }
    }
    const travels = worktree && request.commit !== false;
    checkPlacement({ pinned, worktree: travels, sandboxed: sandboxed(request) }, this.slots([]));
    return pinned;
  }

  /** The worker to start `meta` on now, or null when it must wait. */
  place(meta: TaskMeta, running: Iterable<TaskMeta>): string | null {
    const demand = {
      pinned: meta.request.worker ?? null,
      // Only a worktree whose work is committed travels (see check).
      worktree: meta.worktree !== null && meta.request.commit !== false,
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
    const environment = this.workers.environment(name);
    let given = this.#added.get(server);
    if (!given) this.#added.set(server, given = new Map());
    await ensureEnvironment(server, given, environment);
    return {
      cwd: meta.remote.cwd,
      environments: [{ environmentId: environment.environmentId, cwd: meta.remote.cwd }],
    };
  }

  /**
   * Where a local task's thread runs once workers are configured: on the app-server's own machine
   * only. A thread started without `environments` gets every environment the app-server was given,
   * and its start waited 44 s for a worker that was down. Null with `local` only (as before workers).
   */
  localPlace(cwd: string): RemotePlace | null {
    if (!this.workers.list().some((w) => w.kind !== "local")) return null;
    return { cwd, environments: [{ environmentId: LOCAL_ENVIRONMENT, cwd }] };
  }

  /**
   * Waits while the worker of remote task `meta` reconnects (its grace, see worker_pool.ts): its
   * turn may end meanwhile, its commands failed as tool output. Returns why the worker is lost
   * (`worker NAME lost: ...`) once it is down, or null when it is (or is back) ready.
   */
  async settle(meta: TaskMeta): Promise<string | null> {
    if (!this.isRemote(meta)) return null;
    const name = meta.worker!;
    const status = () => this.workers.list().find((w) => w.name === name);
    await new Promise<void>((resolve) => {
      const stop = this.workers.onChange((s) => {
        if (s.name === name && s.state !== "connecting") done();
      });
      const done = () => {
        stop();
        resolve();
      };
      if (status()?.state !== "connecting") done();
    });
    const now = status();
    return now?.state === "ready" ? null : `worker ${name} lost: ${now?.lastError ?? "it is gone"}`;
  }

  /** Commits the task's work on its worker and brings its branch back (see remote_workspace.ts). */
  async bringBack(meta: TaskMeta, message: string): Promise<void> {
    if (!meta.remote || !meta.worktree) return;
    const [channel, remote, info] = [this.#channel(meta.worker!), meta.remote, meta.worktree];
    await this.#caches.run(cacheKey(meta), () => bringBack(channel, remote, info, message));
  }

  /** Copies ignored files of the main checkout at `from` into the task's worktree on its worker. */
  async copyIgnored(meta: TaskMeta, from: string, paths: readonly string[]): Promise<number> {
    return await copyIgnoredToWorker(this.#channel(meta.worker!), from, meta.remote!.path, paths);
  }

  /** Drops what a check left in the task's workspace on its worker (never committed). */
  async dropLeftovers(meta: TaskMeta): Promise<string[]> {
    return await dropRemoteLeftovers(this.#channel(meta.worker!), meta.remote!);
  }

  /** Removes the task's workspace on its worker (the sweep); a down worker keeps it for later. */
  async remove(meta: TaskMeta): Promise<void> {
    const { remote, worktree } = meta;
    if (!remote || !worktree) return;
    const channel = this.#channel(meta.worker!);
    await this.#caches.run(cacheKey(meta), async () => {
      await removeRemoteWorkspace(channel, remote, worktree.branch);
      await pruneCache(channel, remote.cache);
    });
  }

  /**
   * Runs a set-up or check of a remote task in its workspace on the worker, through the second
   * channel, in `sandbox` (the task's, held to its session's ceiling) as the exec-server applies
   * it (../workers/exec_sandbox.ts): the sandbox the same command gets locally.
   */
  async runCommand(
    meta: TaskMeta,
    command: string,
    env: Record<string, string>,
    signal: AbortSignal,
    sandbox: SandboxPolicy,
  ): Promise<CommandOutcome> {
    const channel = this.#channel(meta.worker!);
    const started = Date.now();
    const cwd = meta.remote!.cwd;
    const result = await channel.run(["sh", "-c", command], {
      cwd,
      // The worker's own environment (its PATH, HOME, variables), the session's on top.
      env,
      inheritEnv: true,
      signal,
      sandbox: execSandbox(sandbox, cwd) ?? undefined,
    }).catch((error) => {
      // A cancel or the time limit terminated it (the run rejects with the abort's reason).
      if (signal.aborted) return null;
      throw error;
    });
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return {
      command,
      exitCode: result?.exitCode ?? 137,
      tail: result ? (decode(result.stdout) + decode(result.stderr)).slice(-TAIL_CHARS) : "",
      timedOut: false,
      cancelled: signal.aborted,
      durationMs: Date.now() - started,
    };
  }

  #channel(name: string): WorkspaceChannel {
    return this.workers.channel(name);
  }
}

/** The lock of a task's repository cache on its worker. */
function cacheKey(meta: TaskMeta): string {
  return `${meta.worker}\0${meta.worktree?.repoRoot}`;
}

/**
 * Gives `server` a worker's environment (`environment/add`) unless `given` says it holds it at
 * this address and `environment/status` says it is not `disconnected`: the app-server gives up on
 * an environment whose exec-server stayed away past its own recovery (45 s), and a worker back at
 * a new address or with a new token (an ssh worker's restarted server) needs its new one. A
 * second `environment/add` of an id replaces the first. `given`: environment id -> address.
 *
 * @example
 * ```ts ignore
 * // ignore: needs an app-server
 * await ensureEnvironment(server, new Map(), pool.environment("gpu"));
 * ```
 */
export async function ensureEnvironment(
  server: Pick<AppServer, "request">,
  given: Map<string, string>,
  environment: WorkerEnvironment,
): Promise<void> {
  const { environmentId, execServerUrl, authBearerToken } = environment;
  const address = `${execServerUrl}\0${authBearerToken ?? ""}`;
  if (given.get(environmentId) === address) {
    const status = await server.request("environment/status", { environmentId } as never)
      .then((answer) => (answer as { status?: string }).status, () => "unknown");
    if (status !== "disconnected" && status !== "unknown") return;
  }
  await server.request("environment/add", {
    ...environment,
    connectTimeoutMs: ENVIRONMENT_CONNECT_TIMEOUT_MS,
  } as never);
  given.set(environmentId, address);
}

/** Whether a request runs in a sandbox (anything but `danger-full-access`). */
function sandboxed(request: TaskRequest): boolean {
  return request.sandbox !== "danger-full-access";
}
