/**
 * A client of one long-lived `codex app-server`: JSON-RPC, one JSON object per line on its
 * stdin/stdout (server messages omit `"jsonrpc"`), logs on its stderr.
 *
 * {@link AppServer.start} spawns the server in its own process group, does the `initialize` /
 * `initialized` handshake and checks the version. Then {@link AppServer.request} calls methods,
 * {@link AppServer.onEvent} hears every notification (parsed by `./events.ts`) and the handler of
 * {@link AppServer.setRequestHandler} answers the server's own requests (approvals, questions):
 * every one of them gets an answer, an error reply when nobody can give one.
 *
 * The parts: which Codex to run and its version (`codex_binary.ts`), the errors
 * (`app_server_errors.ts`), the calls waiting for their answer (`pending_calls.ts`) and the answers
 * to the server's requests (`server_request_reply.ts`).
 *
 * @example Not run: it starts a Codex app-server (and needs a logger).
 * ```ts ignore
 * await using server = await AppServer.start({ bin: "codex", env: Deno.env.toObject(), log });
 * server.setRequestHandler(async (request) => ({ decision: "decline" }));
 * server.onEvent((event) => console.log(event.method));
 * const { thread } = await server.request("thread/start", { cwd: "/tmp" }) as { thread: { id: string } };
 * await server.request("turn/start", { threadId: thread.id, input: [{ type: "text", text: "hi", text_elements: [] }] });
 * ```
 * @module
 */

import { spawn } from "node:child_process";
import denoJson from "../../deno.json" with { type: "json" };
import type { Logger } from "../base/log.ts";
import { sendSignal } from "../base/process.ts";
import {
  type AppServerEvent,
  parseEvent,
  parseServerRequest,
  type ServerRequest,
} from "./events.ts";
import { LineSplitter, LineTooLongError } from "../base/lines.ts";
import { messageOf } from "../base/errors.ts";
import { withTimeout } from "../base/delay.ts";
import { isRecord } from "../base/records.ts";
import type { ClientRequests } from "./protocol/generated/index.ts";
import {
  AppServerError,
  AppServerRequestError,
  checkBinary,
  earlyExitError,
  spawnError,
  tooOld,
} from "./app_server_errors.ts";
import { lastErrorLine, resolveCodex, versionOf, versionOfUserAgent } from "./codex_binary.ts";
import { answerRequest, type ServerRequestHandler } from "./server_request_reply.ts";
import { type CallLimits, PendingCalls } from "./pending_calls.ts";

/** How much of the server's stderr {@link AppServer.exited} keeps (the tail), in characters. */
export const STDERR_TAIL_CHARS = 16 * 1024;

/**
 * The longest message line read from the server, in bytes. Far above any real message (a thread's
 * whole history, its diffs included, stays in the low megabytes): only a broken server reaches it,
 * and the server is then stopped rather than let fill the supervisor's memory.
 */
export const APP_SERVER_LINE_MAX_BYTES = 128 * 1024 * 1024;
/** How long {@link AppServer.start} waits for the `initialize` answer. */
export const INITIALIZE_TIMEOUT_MS = 30_000;

/** How long {@link AppServer.close} waits for the server to exit after its stdin closed. */
export const CLOSE_GRACE_MS = 2_000;

/** How to start the server. */
export interface AppServerOptions {
  /** The `codex` to run: a path or a name on `env.PATH`. The npm wrapper is resolved to its native binary when allowed. */
  bin: string;
  /** The whole environment the server gets (nothing else is inherited). */
  env: Record<string, string>;
  /** The server's working directory (threads have their own `cwd`). */
  cwd?: string;
  log: Logger;
  /** Extra arguments after `app-server`, e.g. `["-c", "features.shell_snapshot=false"]`. */
  args?: string[];
  /** The longest message line (default {@link APP_SERVER_LINE_MAX_BYTES}). */
  maxLineBytes?: number;
}

/** What the server said about itself in the handshake. */
export interface AppServerInfo {
  codexHome: string;
  /** The Codex version, from the user agent (`codex-swarm/0.169.0 (...)`). */
  version: string;
  /** The executable actually run (the native binary behind the npm wrapper when resolved). */
  command: string;
}

/** How the server process ended. */
export interface AppServerExit {
  code: number | null;
  signal: string | null;
  /** The last {@link STDERR_TAIL_CHARS} of its stderr. */
  stderrTail: string;
}

/** The params of `method`: typed for the methods of {@link ClientRequests}, else anything. */
export type ParamsOf<M extends string> = M extends keyof ClientRequests
  ? ClientRequests[M]["params"]
  : unknown;
/** The result of `method`: typed for the methods of {@link ClientRequests}, else unknown. */
export type ResultOf<M extends string> = M extends keyof ClientRequests
  ? ClientRequests[M]["result"]
  : unknown;

/** One running `codex app-server` and the connection to it. */
export class AppServer implements AsyncDisposable {
  /** The server's pid, also its process group id. */
  readonly pid: number;
  /** Settles when the server process has exited. */
  readonly exited: Promise<AppServerExit>;
  #info: AppServerInfo | null = null;
  #calls: PendingCalls;
  #listeners = new Set<(event: AppServerEvent) => void>();
  #rawListeners = new Set<(message: unknown) => void>();
  #handler: ServerRequestHandler | null = null;
  #stderr = "";
  /** Splits stdout into messages; null once a line was too long (the server is then stopped). */
  #lines: LineSplitter | null;
  #exit: AppServerExit | null = null;
  #closing: Promise<void> | null = null;

  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    private readonly bin: string,
    private readonly log: Logger,
    maxLineBytes = APP_SERVER_LINE_MAX_BYTES,
  ) {
    this.pid = child.pid!;
    this.#calls = new PendingCalls(bin);
    this.#lines = new LineSplitter(maxLineBytes);
    child.stdout!.on("data", (chunk: Uint8Array) => this.#onStdout(chunk));
    const errDecoder = new TextDecoder();
    child.stderr!.on("data", (chunk: Uint8Array) => {
      this.#stderr += errDecoder.decode(chunk, { stream: true });
      if (this.#stderr.length > STDERR_TAIL_CHARS * 2) {
        this.#stderr = this.#stderr.slice(-STDERR_TAIL_CHARS);
      }
    });
    // A write after the server died (EPIPE) is reported through the exit, not thrown.
    child.stdin!.on("error", () => {});
    this.exited = new Promise<AppServerExit>((resolve) => {
      child.once("exit", (code, signal) => {
        // Let the last stdout/stderr chunks arrive before telling anyone.
        setTimeout(() => {
          const exit = { code, signal, stderrTail: this.#stderr.slice(-STDERR_TAIL_CHARS) };
          this.#exit = exit;
          this.log.debug("codex app-server exited", { pid: this.pid, code, signal });
          const error = new AppServerError(
            "exited",
            this.bin,
            `Codex app-server (pid ${this.pid}) exited (${signal ?? `code ${code}`}): ${
              lastErrorLine(exit.stderrTail)
            }`,
            { stderrTail: exit.stderrTail, version: this.#info?.version ?? null },
          );
          this.#calls.rejectAll(error);
          resolve(exit);
        }, 20);
      });
    });
  }

  /**
   * Spawns `<bin> app-server` and does the handshake. Rejects with an {@link AppServerError}
   * naming the binary and the cause: missing, not executable, not allowed by Deno's permissions,
   * exited early (its stderr's last error line), too old, or no answer in time.
   */
  static async start(options: AppServerOptions): Promise<AppServer> {
    const { bin, log } = options;
    checkBinary(bin, options.env.PATH ?? "");
    const resolved = resolveCodex(bin, options.env.PATH ?? "");
    const env = { ...resolved.env, ...options.env };
    // In its own process group; a throw of spawn (refused at once) rejects the promise too.
    const child = await new Promise<ReturnType<typeof spawn>>((resolve, reject) => {
      const proc = spawn(resolved.command, ["app-server", ...(options.args ?? [])], {
        cwd: options.cwd,
        env,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      });
      proc.once("error", reject);
      proc.once("spawn", () => resolve(proc));
    }).catch((error) => {
      throw spawnError(bin, error);
    });
    const server = new AppServer(child, bin, log, options.maxLineBytes);
    log.debug("codex app-server started", { pid: server.pid, command: resolved.command });
    const answer = await server.#initialize();
    if (answer === null) {
      throw await earlyExitError(bin, await server.exited, resolved.command, env);
    }
    const result = isRecord(answer) ? answer : {};
    const userAgent = typeof result.userAgent === "string" ? result.userAgent : "";
    const version = versionOfUserAgent(userAgent) ?? (await versionOf(resolved.command, env)) ??
      "unknown";
    const old = tooOld(bin, version);
    if (old !== null) {
      await server.close(0);
      throw old;
    }
    server.#info = {
      codexHome: typeof result.codexHome === "string" ? result.codexHome : "",
      version,
      command: resolved.command,
    };
    server.#write({ method: "initialized" });
    return server;
  }

  /** The answer to `initialize`, or null when the server exited first. */
  async #initialize(): Promise<unknown> {
    // The hidden CODEX_SWARM_INITIALIZE_TIMEOUT_MS of the supervisor's environment replaces
    // INITIALIZE_TIMEOUT_MS (tests of a hung Codex).
    const value = Number(Deno.env.get("CODEX_SWARM_INITIALIZE_TIMEOUT_MS") ?? "");
    const timeoutMs = Number.isInteger(value) && value > 0 ? value : INITIALIZE_TIMEOUT_MS;
    try {
      return await Promise.race([
        this.request("initialize", {
          clientInfo: { name: "codex-swarm", title: "codex-swarm", version: denoJson.version },
          capabilities: { experimentalApi: true, requestAttestation: false },
        }, { timeoutMs }),
        this.exited.then(() => null),
      ]);
    } catch (error) {
      if (error instanceof AppServerError && error.reason === "exited") return null;
      await this.close(0);
      throw error instanceof AppServerRequestError
        ? new AppServerError(
          "exited",
          this.bin,
          `Cannot start Codex app-server at ${this.bin} as initialize failed: ${error.message}`,
          { cause: error },
        )
        : error;
    }
  }

  /** What the server said in the handshake. */
  get info(): AppServerInfo {
    if (this.#info === null) throw new Error("The app-server has not finished its handshake");
    return this.#info;
  }

  /**
   * Calls `method`. Resolves with the result; a JSON-RPC error rejects with an
   * {@link AppServerRequestError}; the server's exit rejects with an {@link AppServerError}.
   */
  request<M extends string>(
    method: M,
    params: ParamsOf<M>,
    options: CallLimits = {},
  ): Promise<ResultOf<M>> {
    if (this.#exit !== null || this.#closing !== null) {
      return Promise.reject(
        new AppServerError(
          "closed",
          this.bin,
          `Cannot call ${method} as the Codex app-server (pid ${this.pid}) is ${
            this.#exit ? "gone" : "closing"
          }`,
        ),
      );
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const { id, answer } = this.#calls.add(method, options);
    this.#write({ id, method, params });
    return answer as Promise<ResultOf<M>>;
  }

  /** Hears every notification; returns a function that stops it. */
  onEvent(listener: (event: AppServerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Hears every message the server sends (notifications, its requests, answers), parsed from JSON
   * but not validated, before anything else does; for logs and recordings. Returns a function
   * that stops it.
   */
  onMessage(listener: (message: unknown) => void): () => void {
    this.#rawListeners.add(listener);
    return () => this.#rawListeners.delete(listener);
  }

  /**
   * Sets who answers the server's requests (approvals, questions). Without a handler, and for a
   * method `./events.ts` does not know, the server gets an error reply naming the method.
   */
  setRequestHandler(handler: ServerRequestHandler): void {
    this.#handler = handler;
  }

  /**
   * Stops the server: closes its stdin (it then ends its turns and exits), waits up to
   * `graceMs`, then SIGTERM and, a second later, SIGKILL to its whole process group. Resolves once
   * it has exited. Idempotent.
   */
  close(graceMs: number = CLOSE_GRACE_MS): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(graceMs: number): Promise<void> {
    try {
      this.child.stdin!.end();
    } catch {
      // Already closed.
    }
    if ((await withTimeout(this.exited, graceMs)) === "timeout") {
      this.log.debug("codex app-server did not exit on stdin close; SIGTERM", { pid: this.pid });
      sendSignal([-this.pid, this.pid], "SIGTERM");
      if ((await withTimeout(this.exited, 1_000)) === "timeout") {
        sendSignal([-this.pid, this.pid], "SIGKILL");
        await this.exited;
      }
    }
    // The group may outlive its leader (a stray child): sweep it.
    sendSignal([-this.pid], "SIGKILL");
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  #write(message: Record<string, unknown>): void {
    try {
      this.child.stdin!.write(JSON.stringify(message) + "\n");
    } catch (error) {
      this.log.debug("cannot write to codex app-server", { pid: this.pid, error: String(error) });
    }
  }

  #onStdout(chunk: Uint8Array): void {
    if (this.#lines === null) return;
    let lines: string[];
    try {
      lines = this.#lines.push(chunk);
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      this.#lines = null;
      this.log.error(
        `Cannot read codex app-server (pid ${this.pid}): ${messageOf(error)}; stopping it`,
      );
      void this.close(0);
      return;
    }
    for (const line of lines) {
      const text = line.trim();
      if (text !== "") this.#onLine(text);
    }
  }

  #onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.#malformed(line, "not JSON");
      return;
    }
    for (const listener of [...this.#rawListeners]) {
      try {
        listener(message);
      } catch (error) {
        this.log.error("app-server message listener threw", { error: String(error) });
      }
    }
    const fields = isRecord(message) ? message : {};
    const { method, id } = fields;
    const hasId = typeof id === "number" || typeof id === "string";
    if (typeof method === "string") {
      if (hasId) void this.#answer(parseServerRequest({ ...fields, method, id }));
      else this.#emit(parseEvent({ ...fields, method }));
      return;
    }
    if (hasId && ("result" in fields || "error" in fields)) {
      this.#calls.settle(id as number, fields);
      return;
    }
    this.#malformed(message, "neither a notification, request nor response");
  }

  /** Tells the listeners of a message that is not one the client can read. */
  #malformed(params: unknown, problem: string): void {
    this.#emit({ kind: "malformed", method: "", params, threadId: null, problem });
  }

  #emit(event: AppServerEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.log.error("app-server event listener threw", {
          method: event.method,
          error: String(error),
        });
      }
    }
  }

  #answer(request: ServerRequest): Promise<void> {
    return answerRequest(request, {
      version: this.#info?.version ?? "unknown",
      handler: this.#handler,
      log: this.log,
      write: (reply) => this.#write(reply),
    });
  }
}
