/**
 * One `codex app-server` per set of model credentials: the program, `CODEX_HOME` and environment
 * are the supervisor's ({@link CodexPoolOptions.env}), and a session adds only its credentials.
 * A server starts on first use, is shared by every task with the same credentials, and starts
 * again after it exits. Two sessions with different keys never share a server.
 *
 * @example Not run: it needs a running `codex app-server` (`server`).
 * ```ts ignore
 * const pool = new CodexPool({ bin: "codex", env, log, onEvent, onRequest, onExit });
 * const server = await pool.get({ OPENAI_API_KEY: "sk-..." });
 * await server.request("thread/start", { cwd: "/repo" });
 * ```
 * @module
 */

import { AppServer, type AppServerOptions } from "../codex/app_server.ts";
import { codexVersionFit } from "../codex/codex_versions.ts";
import type { AppServerEvent, ServerRequest } from "../codex/events.ts";
import { descendantPids, sendSignal } from "../base/process.ts";

/** How an app-server ended. */
export type AppServerExit = Awaited<AppServer["exited"]>;

/**
 * What {@link CodexPool} needs: the Codex executable, the environment of every server (the
 * supervisor's, its secrets filtered out), the log, and:
 */
export interface CodexPoolOptions extends Pick<AppServerOptions, "bin" | "env" | "log"> {
  /** Every notification of every server. */
  onEvent: (server: AppServer, event: AppServerEvent) => void;
  /** Every server-to-client request; the value is the reply. */
  onRequest: (server: AppServer, request: ServerRequest) => Promise<unknown>;
  /** A server exited (crashed or was closed). */
  onExit: (server: AppServer, exit: AppServerExit) => void;
  /**
   * The empty directory the servers run in (made when missing). `command/exec` (set-ups, checks)
   * lets a workspace-write command write its server's directory, so it must hold nothing.
   */
  cwd?: string;
}

/** The running app-servers, by environment. */
export class CodexPool implements AsyncDisposable {
  #servers = new Map<string, Promise<AppServer>>();
  /** The servers that started and have not exited. */
  #running = new Set<AppServer>();
  /** Said once each (in the log and in server-info): e.g. a Codex newer than the newest tested. */
  #warnings: string[] = [];
  #closed = false;

  constructor(private readonly options: CodexPoolOptions) {}

  /** The server for `credentials`, started if none runs. Rejects with the start error. */
  get(credentials: Record<string, string>): Promise<AppServer> {
    if (this.#closed) return Promise.reject(new Error("Cannot start Codex: the engine is closing"));
    // The same credentials, the same server.
    const key = JSON.stringify(Object.entries(credentials).sort(([a], [b]) => a.localeCompare(b)));
    const running = this.#servers.get(key);
    if (running) return running;
    const starting = this.#start({ ...this.options.env, ...credentials });
    this.#servers.set(key, starting);
    const forget = () => {
      if (this.#servers.get(key) === starting) this.#servers.delete(key);
    };
    // A failed start is not kept, nor an exited server: the next task starts a new one.
    starting.then((server) => server.exited.then(forget), forget);
    return starting;
  }

  async #start(env: Record<string, string>): Promise<AppServer> {
    const { bin, log, onEvent, onRequest, onExit, cwd } = this.options;
    if (cwd !== undefined) await Deno.mkdir(cwd, { recursive: true, mode: 0o700 });
    const server = await AppServer.start({ bin, env, log, cwd });
    server.onEvent((event) => onEvent(server, event));
    server.setRequestHandler((request) => onRequest(server, request));
    log.info(`Codex app-server started`, {
      pid: server.pid,
      codexHome: server.info.codexHome,
      version: server.info.version,
    });
    const fit = codexVersionFit(server.info.version);
    if (fit.kind === "untested" && !this.#warnings.includes(fit.message)) {
      this.#warnings.push(fit.message);
      log.warning(fit.message, { codex: server.info.command });
    }
    this.#running.add(server);
    server.exited.then((exit) => {
      this.#running.delete(server);
      if (!this.#closed) log.warning(`Codex app-server ${server.pid} exited`, { ...exit });
      onExit(server, exit);
    });
    return server;
  }

  /** What the servers' start found worth a warning (each said once), for server-info. */
  warnings(): string[] {
    return [...this.#warnings];
  }

  /** The servers that run now (each a long-lived Codex process), as server-info lists them. */
  list(): Array<{ pid: number; codex_home: string; version: string }> {
    return [...this.#running].map((s) => ({
      pid: s.pid,
      codex_home: s.info.codexHome,
      version: s.info.version,
    }));
  }

  /**
   * Stops every server and every process below it: commands that left the server's process
   * group (sandboxed shells start their own) are stopped too, so nothing outlives the pool.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    const settled = await Promise.allSettled(this.#servers.values());
    this.#servers.clear();
    const servers = settled.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
    const below = servers.flatMap((server) => descendantPids(server.pid));
    await Promise.all(servers.map((server) => server.close()));
    if (below.length > 0) sendSignal(below, "SIGKILL");
  }
}
