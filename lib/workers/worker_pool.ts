/**
 * The supervisor's workers: `local` (its own machine, unless `--no-local`) and each configured
 * worker (`./worker_config.ts`) with its connection (`./worker_link.ts`).
 *
 * Placement reads {@link WorkerPool.list}, uses {@link WorkerPool.channel} (the second channel, for
 * git and files on the worker) and gives the app-server {@link WorkerPool.environment} for
 * `environment/add`; {@link WorkerPool.onChange} tells when a worker is ready, lost (reconnecting
 * within its grace), down, or back. Tokens stay inside: {@link WorkerPool.list} never shows one.
 *
 * After a worker is back, ask {@link WorkerPool.environment} again: an `ssh://` worker whose server
 * ended was started anew, with a new token (its tunnel keeps its local port when it can).
 *
 * @example
 * ```ts ignore
 * // ignore: connects to workers
 * await using pool = new WorkerPool({ workers: specs, noLocal: false, localCap: 8, log, codexVersion: async () => "0.169.0" });
 * await pool.settled();
 * pool.onChange((status) => console.log(status.name, status.state));
 * for (const worker of pool.list()) console.log(worker.name, worker.state, worker.version);
 * ```
 * @module
 */

import type { ExecServerClient } from "./exec_server_client.ts";
import { LOCAL_WORKER, type WorkerSpec } from "./worker_config.ts";
import {
  type LinkOptions,
  type WorkerEnvironment,
  type WorkerKind,
  WorkerLink,
  type WorkerState,
  type WorkerStatus,
} from "./worker_link.ts";
import { SshTransport, type WorkerTransport, WsTransport } from "./worker_transport.ts";

export type { WorkerEnvironment, WorkerKind, WorkerState, WorkerStatus };

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions extends LinkOptions {
  /** The configured workers (not `local`). */
  workers: WorkerSpec[];
  /** No `local` worker (`--no-local`). */
  noLocal: boolean;
  /** `local`'s cap (`--max-parallel`). */
  localCap: number;
  /** The ssh client and options before the host, for `ssh://` workers. */
  ssh?: { bin?: string; args?: string[] };
}

/** The workers of a supervisor. */
export class WorkerPool implements AsyncDisposable {
  #links = new Map<string, WorkerLink>();
  #listeners = new Set<(status: WorkerStatus) => void>();
  #local: WorkerStatus | null;

  constructor(options: WorkerPoolOptions) {
    this.#local = options.noLocal ? null : {
      name: LOCAL_WORKER,
      kind: "local",
      url: null,
      state: "ready",
      cap: options.localCap,
      version: null,
      lastError: null,
      sandbox: "unknown",
      sandboxDetail: null,
    };
    // Asked only when there are workers to compare with (it runs `codex --version`).
    if (this.#local !== null && options.workers.length > 0) {
      const local = this.#local;
      options.codexVersion().then((version) => local.version = version, () => {});
    }
    for (const spec of options.workers) {
      const transport = transportOf(spec, options);
      const link = new WorkerLink(spec, transport, options, (status) => this.#emit(status));
      this.#links.set(spec.name, link);
    }
  }

  /** Resolves once every worker's first connect succeeded or failed. */
  async settled(): Promise<void> {
    await Promise.all([...this.#links.values()].map((link) => link.settled));
  }

  /** Every worker, `local` first (unless `--no-local`), then in configured order. */
  list(): WorkerStatus[] {
    return [
      ...(this.#local ? [{ ...this.#local }] : []),
      ...[...this.#links.values()].map((link) => link.status()),
    ];
  }

  /** The second channel to a worker; throws naming it when unknown, local or not ready. */
  channel(name: string): ExecServerClient {
    return this.#link(name).channel();
  }

  /** What the app-server's `environment/add` takes for a worker; throws like {@link channel}. */
  environment(name: string): WorkerEnvironment {
    return this.#link(name).environment();
  }

  /** Hears each change of a worker's state; returns a function that stops it. */
  onChange(listener: (status: WorkerStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes every connection and stops what was started (ssh servers and tunnels). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listeners.clear();
    await Promise.all([...this.#links.values()].map((link) => link.close()));
  }

  #link(name: string): WorkerLink {
    const link = this.#links.get(name);
    if (link !== undefined) return link;
    if (name === LOCAL_WORKER) {
      throw new Error(`Cannot use worker "local" over an exec-server: local tasks run as before`);
    }
    const known = this.list().map((w) => w.name).join(", ") || "none";
    throw new Error(`Cannot use worker "${name}" as no worker has that name (known: ${known})`);
  }

  #emit(status: WorkerStatus): void {
    for (const listener of [...this.#listeners]) listener(status);
  }
}

function transportOf(spec: WorkerSpec, options: WorkerPoolOptions): WorkerTransport {
  const { address } = spec;
  if (address.kind === "ws") return new WsTransport(address.url, spec.tokenFile!, spec.name);
  return new SshTransport(
    { user: address.user, host: address.host, port: address.port, codexBin: spec.codexBin },
    {
      log: options.log,
      sshBin: options.ssh?.bin,
      sshArgs: [...(spec.sshConfig ? ["-F", spec.sshConfig] : []), ...(options.ssh?.args ?? [])],
    },
  );
}
