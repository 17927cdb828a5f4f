/**
 * One worker's life: connect, check, serve, and come back.
 *
 * A connect opens the transport (`./worker_transport.ts`), connects the second channel
 * (`./exec_server_client.ts`), refuses a worker whose Codex version differs from the
 * app-server's (naming both) and probes its sandbox (`./sandbox_probe.ts`). Then the worker is
 * `ready`.
 *
 * When the connection ends, the worker is `connecting` for a grace period (15 s by default): the
 * tunnel is restarted and the connect retried each second. Past the grace, or when the first
 * connect fails, it is `down` with the cause in `lastError`, and retried with backoff (1 s,
 * doubling, at most 60 s) until it comes back. Every change of state goes to the listener.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a worker
 * const link = new WorkerLink(spec, transport, { log, codexVersion: async () => "0.169.0" }, onChange);
 * await link.settled;
 * link.channel().run(["git", "status"], { cwd: "/srv/repo", inheritEnv: true });
 * ```
 * @module
 */

import type { Logger } from "../base/log.ts";
import { ExecServerClient } from "./exec_server_client.ts";
import { probeSandbox, type SandboxSupport } from "./sandbox_probe.ts";
import type { WorkerSpec } from "./worker_config.ts";
import type { Endpoint, WorkerTransport } from "./worker_transport.ts";

/** How long a lost worker may take to come back before it is down. */
export const DEFAULT_GRACE_MS = 15_000;
/** How often a lost worker is tried again within the grace. */
const GRACE_RETRY_MS = 1_000;
/** The backoff of a down worker: the first wait, doubled up to the last. */
export const DEFAULT_RETRY = { firstMs: 1_000, maxMs: 60_000 };

/** A worker's kind. */
export type WorkerKind = "local" | "ws" | "ssh";
/** A worker's state. */
export type WorkerState = "connecting" | "ready" | "down";

/** A worker as `server-info` and placement see it. */
export interface WorkerStatus {
  name: string;
  kind: WorkerKind;
  /** As configured (`ssh://me@box`, `ws://127.0.0.1:4501`); never holds a token. Null for local. */
  url: string | null;
  state: WorkerState;
  /** How many of its tasks may run at once. */
  cap: number;
  /** Its Codex version (`executorVersion`), once connected. */
  version: string | null;
  /** Why it is down or reconnecting, else the last problem; null when none. */
  lastError: string | null;
  /** Whether it enforces a task's sandbox (found at connect time). */
  sandbox: SandboxSupport;
  /** Why `sandbox` is not `enforced`, when known. */
  sandboxDetail: string | null;
}

/** What `environment/add` of the app-server takes for a worker (the token is a secret). */
export interface WorkerEnvironment {
  environmentId: string;
  execServerUrl: string;
  authBearerToken?: string;
}

/** A connect that must not be retried within the grace (the worker is wrong, not away). */
class Refusal extends Error {}

/** What every worker's link takes of the pool's options (`./worker_pool.ts`). */
export interface LinkOptions {
  log: Logger;
  /** The app-server's Codex version, which every worker must run (null: unknown). */
  codexVersion: () => Promise<string | null>;
  /** How long a lost worker may take to come back (default 15 s; tests shorten it). */
  graceMs?: number;
  /** The backoff of a down worker (default 1 s doubling to 60 s). */
  retry?: { firstMs: number; maxMs: number };
}

/** One configured worker and its connection. */
export class WorkerLink {
  /** Resolves once the first connect succeeded or failed. */
  readonly settled: Promise<void>;
  #status: WorkerStatus;
  #client: ExecServerClient | null = null;
  #endpoint: Endpoint | null = null;
  #closing = new AbortController();
  #settle!: () => void;
  #running: Promise<void>;

  /** `onChange` hears every change of the worker's state. */
  constructor(
    private readonly spec: WorkerSpec,
    private readonly transport: WorkerTransport,
    private readonly options: LinkOptions,
    private readonly onChange: (status: WorkerStatus) => void,
  ) {
    this.#status = {
      name: spec.name,
      kind: spec.address.kind,
      url: spec.address.url,
      state: "connecting",
      cap: spec.cap,
      version: null,
      lastError: null,
      sandbox: "unknown",
      sandboxDetail: null,
    };
    this.settled = new Promise((resolve) => this.#settle = resolve);
    this.#running = this.#run();
  }

  status(): WorkerStatus {
    return { ...this.#status };
  }

  /** The second channel; throws when the worker is not ready. */
  channel(): ExecServerClient {
    if (this.#status.state === "ready" && this.#client !== null) return this.#client;
    throw new Error(this.#notReady());
  }

  /** What the app-server's `environment/add` takes; throws when never reached. */
  environment(): WorkerEnvironment {
    if (this.#endpoint === null) throw new Error(this.#notReady());
    return {
      environmentId: this.#status.name,
      execServerUrl: this.#endpoint.url,
      authBearerToken: this.#endpoint.token,
    };
  }

  /** Stops connecting, closes the channel and the transport. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#running;
    await this.#client?.close();
    await this.transport.close();
  }

  #notReady(): string {
    const { name, state, lastError } = this.#status;
    const what = state === "down" ? "down" : "connecting";
    return `Cannot use worker "${name}" as it is ${what}${lastError ? `: ${lastError}` : ""}`;
  }

  async #run(): Promise<void> {
    let failures = 0;
    let lostAt: number | null = null;
    let fresh = false;
    while (!this.#closing.signal.aborted) {
      try {
        // The first try after a loss restarts the tunnel; later ones mend only what died.
        const client = await this.#connect(fresh);
        fresh = false;
        if (this.#closing.signal.aborted) {
          await client.close();
          break;
        }
        this.#client = client;
        failures = 0;
        lostAt = null;
        this.#set({ state: "ready", lastError: null });
        this.#settle();
        const lost = await this.#unlessClosed(client.closed);
        if (this.#closing.signal.aborted) break;
        lostAt = Date.now();
        fresh = true;
        this.#client = null;
        this.#set({ state: "connecting", lastError: lost?.message ?? "the connection ended" });
      } catch (error) {
        fresh = false;
        const message = (error as Error).message;
        const inGrace = lostAt !== null && !(error instanceof Refusal) &&
          Date.now() - lostAt < (this.options.graceMs ?? DEFAULT_GRACE_MS);
        if (inGrace) {
          this.#status.lastError = message;
          await this.#unlessClosed(new Promise(() => {}), GRACE_RETRY_MS);
          continue;
        }
        lostAt = null;
        failures++;
        this.#set({ state: "down", lastError: message });
        this.#settle();
        const { firstMs, maxMs } = this.options.retry ?? DEFAULT_RETRY;
        const pause = Math.min(maxMs, firstMs * 2 ** (failures - 1));
        await this.#unlessClosed(new Promise(() => {}), pause);
      }
    }
  }

  /**
   * What `work` resolves to, null once the link closes (at once when it has), or undefined after
   * `ms`. The close's listener and the timer go when the wait ends: a wait per retry leaves nothing
   * behind on the link while its worker stays down.
   */
  #unlessClosed<T>(work: Promise<T>, ms?: number): Promise<T | null | undefined> {
    const { signal } = this.#closing;
    return new Promise((resolve) => {
      const done = (value: T | null | undefined) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", closed);
        resolve(value);
      };
      const closed = () => done(null);
      const timer = ms === undefined ? undefined : setTimeout(() => done(undefined), ms);
      if (signal.aborted) return closed();
      signal.addEventListener("abort", closed);
      work.then(done);
    });
  }

  /** One connect: transport, channel, version check, sandbox probe. */
  async #connect(fresh: boolean): Promise<ExecServerClient> {
    const { name } = this.spec;
    const endpoint = await this.transport.open(fresh);
    this.#endpoint = endpoint;
    const client = await ExecServerClient.connect(endpoint.url, { token: endpoint.token, name });
    try {
      const expected = await this.options.codexVersion();
      const version = client.info.executorVersion;
      this.#status.version = version;
      if (expected !== null && version !== expected) {
        throw new Refusal(
          `Cannot use worker "${name}" as its Codex is ${version || "of unknown version"} ` +
            `and the supervisor's app-server runs ${expected}: install the same version on both`,
        );
      }
      const probe = await probeSandbox(client);
      this.#status.sandbox = probe.sandbox;
      this.#status.sandboxDetail = probe.detail;
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** Records a change; logs it and tells the listener when the state or the error changed. */
  #set(change: Pick<WorkerStatus, "state" | "lastError">): void {
    const { state, lastError } = this.#status;
    Object.assign(this.#status, change);
    if (state === change.state && lastError === change.lastError) return;
    const { log } = this.options;
    const { name, url, version, sandbox, sandboxDetail } = this.#status;
    if (change.state === "ready") {
      log.info(`Worker "${name}" is ready`, { url, version, sandbox, sandboxDetail });
    } else if (change.state === "down") {
      log.warning(`Worker "${name}" is down: ${change.lastError}`, { url });
    } else log.warning(`Worker "${name}" was lost: ${change.lastError}`, { url });
    this.onChange(this.status());
  }
}
