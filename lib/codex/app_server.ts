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
 * @example
 * ```ts
 * await using server = await AppServer.start({ bin: "codex", env: Deno.env.toObject(), log });
 * server.setRequestHandler(async (request) => ({ decision: "decline" }));
 * server.onEvent((event) => console.log(event.method));
 * const { thread } = await server.request("thread/start", { cwd: "/tmp" }) as { thread: { id: string } };
 * await server.request("turn/start", { threadId: thread.id, input: [{ type: "text", text: "hi", text_elements: [] }] });
 * ```
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import type { Logger } from "../base/log.ts";
import { checkBinary, sendSignal, SpawnError } from "../base/process.ts";
import {
  type AppServerEvent,
  parseEvent,
  parseServerRequest,
  type ServerRequest,
} from "./events.ts";
import { codexVersionFit, sendsCurrentTimeRead } from "./codex_versions.ts";
import { LineSplitter, LineTooLongError } from "../base/lines.ts";
import { messageOf } from "../base/errors.ts";
import type { ClientRequests } from "./protocol/generated/index.ts";
import { isRecord } from "../base/records.ts";

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

/**
 * How long the server may take to answer `initialize`: {@link INITIALIZE_TIMEOUT_MS}, or the hidden
 * `CODEX_SWARM_INITIALIZE_TIMEOUT_MS` of the supervisor's environment (tests of a hung Codex).
 */
function initializeTimeoutMs(): number {
  const value = Number(Deno.env.get("CODEX_SWARM_INITIALIZE_TIMEOUT_MS") ?? "");
  return Number.isInteger(value) && value > 0 ? value : INITIALIZE_TIMEOUT_MS;
}
/** How long {@link AppServer.close} waits for the server to exit after its stdin closed. */
export const CLOSE_GRACE_MS = 2_000;

/** JSON-RPC error codes of the replies this client sends. */
export const JSONRPC_METHOD_NOT_FOUND = -32601;
/** The handler threw. */
export const JSONRPC_INTERNAL_ERROR = -32603;

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
  userAgent: string;
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

/** Why the server could not be started or used. */
export type AppServerErrorReason =
  | "missing"
  | "not_executable"
  | "not_allowed"
  | "spawn_failed"
  | "exited"
  | "too_old"
  | "timeout"
  | "closed";

/** The server could not be started, or is gone. */
export class AppServerError extends Error {
  readonly reason: AppServerErrorReason;
  readonly bin: string;
  /** The version found, when known. */
  readonly version: string | null;
  /** The server's stderr tail, when it ran. */
  readonly stderrTail: string;
  constructor(
    reason: AppServerErrorReason,
    bin: string,
    message: string,
    details: { version?: string | null; stderrTail?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "AppServerError";
    this.reason = reason;
    this.bin = bin;
    this.version = details.version ?? null;
    this.stderrTail = details.stderrTail ?? "";
  }
}

/** The server answered a request with a JSON-RPC error. */
export class AppServerRequestError extends Error {
  readonly method: string;
  readonly code: number;
  readonly data: unknown;
  constructor(method: string, code: number, message: string, data: unknown) {
    super(message);
    this.name = "AppServerRequestError";
    this.method = method;
    this.code = code;
    this.data = data;
  }
}

/** Options of one {@link AppServer.request}. */
export interface RequestOptions {
  /** Aborting rejects the call with the signal's reason (a later answer is dropped). */
  signal?: AbortSignal;
  /** Rejects with an {@link AppServerError} `timeout` after this many ms. */
  timeoutMs?: number;
}

/** The params of `method`: typed for the methods of {@link ClientRequests}, else anything. */
export type ParamsOf<M extends string> = M extends keyof ClientRequests
  ? ClientRequests[M]["params"]
  : unknown;
/** The result of `method`: typed for the methods of {@link ClientRequests}, else unknown. */
export type ResultOf<M extends string> = M extends keyof ClientRequests
  ? ClientRequests[M]["result"]
  : unknown;

/** Answers a server request: the value is the result; a throw becomes an error reply. */
export type ServerRequestHandler = (request: ServerRequest) => Promise<unknown>;

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/** The version in a user agent like `codex-swarm/0.169.0 (Debian 12; x86_64) ...`, or null. */
export function versionOfUserAgent(userAgent: string): string | null {
  return /^[^/\s]+\/(\d+\.\d+\.\d+[^\s]*)/.exec(userAgent)?.[1] ?? null;
}

/** The npm platform package and Rust target of this machine, or null. */
function platformTarget(): { pkg: string; triple: string; exe: string } | null {
  const arch = Deno.build.arch === "x86_64"
    ? "x64"
    : Deno.build.arch === "aarch64"
    ? "arm64"
    : null;
  if (arch === null) return null;
  const cpu = Deno.build.arch;
  switch (Deno.build.os) {
    case "linux":
    case "android":
      return { pkg: `codex-linux-${arch}`, triple: `${cpu}-unknown-linux-musl`, exe: "codex" };
    case "darwin":
      return { pkg: `codex-darwin-${arch}`, triple: `${cpu}-apple-darwin`, exe: "codex" };
    case "windows":
      return { pkg: `codex-win32-${arch}`, triple: `${cpu}-pc-windows-msvc`, exe: "codex.exe" };
    default:
      return null;
  }
}

/** `bin` as a path: itself when it has a slash, else the first executable of that name on PATH. */
function onPath(bin: string, pathVar: string): string | null {
  if (bin.includes("/") || bin.includes("\\")) return bin;
  for (const dir of pathVar.split(Deno.build.os === "windows" ? ";" : ":").filter(Boolean)) {
    if (existsSync(`${dir}/${bin}`)) return `${dir}/${bin}`;
  }
  return null;
}

/** What to run for `bin`: the native binary behind the npm wrapper when it can be found. */
export interface ResolvedCodex {
  /** The executable to spawn. */
  command: string;
  /** Variables the npm wrapper would have set for the native binary. */
  env: Record<string, string>;
  /** Whether `command` is the native binary found behind the npm wrapper. */
  native: boolean;
}

/**
 * Finds the native Codex binary behind the npm wrapper `bin` (`@openai/codex/bin/codex.js`):
 * `@openai/codex-<platform>/vendor/<target>/bin/codex`, next to the wrapper's package or inside
 * it. Starting it directly saves a Node process (about 45 MB) per server. Falls back to `bin`
 * itself when it is no wrapper, nothing is found, or Deno's permissions do not allow running it.
 */
export function resolveCodex(bin: string, pathVar: string): ResolvedCodex {
  const fallback = { command: bin, env: {}, native: false };
  const target = platformTarget();
  const found = onPath(bin, pathVar);
  if (target === null || found === null) return fallback;
  let script: string;
  try {
    script = realpathSync(found);
  } catch {
    return fallback;
  }
  if (path.basename(script) !== "codex.js") return fallback;
  const packageRoot = path.dirname(path.dirname(script));
  const candidates = [
    path.join(packageRoot, "node_modules", "@openai", target.pkg),
    path.join(path.dirname(packageRoot), target.pkg),
  ].map((dir) => path.join(dir, "vendor", target.triple, "bin", target.exe));
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const allowed = Deno.permissions.querySync({ name: "run", command: candidate }).state;
    if (allowed !== "granted") return fallback;
    return {
      command: candidate,
      env: { CODEX_MANAGED_PACKAGE_ROOT: packageRoot, CODEX_MANAGED_BY_NPM: "1" },
      native: true,
    };
  }
  return fallback;
}

/**
 * The last line of a stderr text that starts `Error:` (colour codes removed), else the last line
 * that says `error:`, else its last line.
 */
export function lastErrorLine(stderr: string): string {
  // deno-lint-ignore no-control-regex
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim())
    .filter(Boolean);
  return lines.findLast((l) => /^error:/i.test(l)) ?? lines.findLast((l) => /\berror:/i.test(l)) ??
    lines.at(-1) ?? "(no output)";
}

/** `codex --version` of `bin` ("0.98.0"), or null when it does not tell. */
export async function versionOf(
  command: string,
  env: Record<string, string>,
): Promise<string | null> {
  try {
    const out = await new Deno.Command(command, {
      args: ["--version"],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return /(\d+\.\d+\.\d+\S*)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The error for a Codex below the supported range, or null when `version` is in it or above. */
function tooOld(bin: string, version: string): AppServerError | null {
  const fit = codexVersionFit(version);
  return fit.kind === "too_old"
    ? new AppServerError("too_old", bin, `Cannot use Codex at ${bin} as ${fit.message}`, {
      version,
    })
    : null;
}

/**
 * The reply to a server request that needs nobody's decision, or null. Codex before 0.171 may ask
 * for the time of a thread's turn (`currentTime/read`, experimental): the supervisor's clock, in
 * whole Unix seconds. A later Codex no longer sends it, so nothing answers it there.
 */
export function ownReply(
  version: string,
  request: ServerRequest,
  nowMs: number,
): Record<string, unknown> | null {
  if (request.method === "currentTime/read" && sendsCurrentTimeRead(version)) {
    return { currentTimeAt: Math.floor(nowMs / 1000) };
  }
  return null;
}

/** One running `codex app-server` and the connection to it. */
export class AppServer implements AsyncDisposable {
  /** The server's pid, also its process group id. */
  readonly pid: number;
  /** Settles when the server process has exited. */
  readonly exited: Promise<AppServerExit>;
  #info: AppServerInfo | null = null;
  #child: ReturnType<typeof spawn>;
  #log: Logger;
  #bin: string;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Set<(event: AppServerEvent) => void>();
  #rawListeners = new Set<(message: unknown) => void>();
  #handler: ServerRequestHandler | null = null;
  #stderr = "";
  /** Splits stdout into messages; null once a line was too long (the server is then stopped). */
  #lines: LineSplitter | null;
  #exit: AppServerExit | null = null;
  #closing: Promise<void> | null = null;

  private constructor(
    child: ReturnType<typeof spawn>,
    bin: string,
    log: Logger,
    maxLineBytes: number,
  ) {
    this.#child = child;
    this.pid = child.pid!;
    this.#bin = bin;
    this.#log = log;
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
          const exit = { code, signal, stderrTail: this.stderrTail() };
          this.#exit = exit;
          this.#log.debug("codex app-server exited", { pid: this.pid, code, signal });
          const error = new AppServerError(
            "exited",
            this.#bin,
            `Codex app-server (pid ${this.pid}) exited (${signal ?? `code ${code}`}): ${
              lastErrorLine(exit.stderrTail)
            }`,
            { stderrTail: exit.stderrTail, version: this.#info?.version ?? null },
          );
          for (const pending of [...this.#pending.values()]) {
            pending.cleanup();
            pending.reject(error);
          }
          this.#pending.clear();
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
    try {
      checkBinary(bin, options.env.PATH ?? "");
    } catch (error) {
      const code = error instanceof SpawnError ? error.errorCode : undefined;
      throw new AppServerError(
        code === "EACCES" ? "not_executable" : "missing",
        bin,
        (error as Error).message,
        { cause: error },
      );
    }
    const resolved = resolveCodex(bin, options.env.PATH ?? "");
    const env = { ...resolved.env, ...options.env };
    const child = await new Promise<ReturnType<typeof spawn>>((resolve, reject) => {
      let proc: ReturnType<typeof spawn>;
      try {
        proc = spawn(resolved.command, ["app-server", ...(options.args ?? [])], {
          cwd: options.cwd,
          env,
          stdio: ["pipe", "pipe", "pipe"],
          detached: true,
        });
      } catch (error) {
        reject(AppServer.#spawnError(bin, error));
        return;
      }
      proc.once("error", (error) => reject(AppServer.#spawnError(bin, error)));
      proc.once("spawn", () => resolve(proc));
    });
    const server = new AppServer(
      child,
      bin,
      log,
      options.maxLineBytes ?? APP_SERVER_LINE_MAX_BYTES,
    );
    log.debug("codex app-server started", { pid: server.pid, command: resolved.command });
    let answer: unknown;
    try {
      answer = await Promise.race([
        server.request("initialize", {
          clientInfo: { name: "codex-swarm", title: "codex-swarm", version: denoJson.version },
          capabilities: { experimentalApi: true, requestAttestation: false },
        }, { timeoutMs: initializeTimeoutMs() }),
        server.exited.then(() => null),
      ]);
    } catch (error) {
      if (!(error instanceof AppServerError && error.reason === "exited")) {
        await server.close(0);
        throw error instanceof AppServerRequestError
          ? new AppServerError(
            "exited",
            bin,
            `Cannot start Codex app-server at ${bin} as initialize failed: ${error.message}`,
            { cause: error },
          )
          : error;
      }
      answer = null;
    }
    if (answer === null) {
      const exit = await server.exited;
      // An old Codex refuses the subcommand (or takes it for a prompt and fails otherwise).
      const version = await versionOf(resolved.command, env);
      const unrecognized = /unrecognized subcommand/i.test(exit.stderrTail);
      const old = version !== null || unrecognized ? tooOld(bin, version ?? "unknown") : null;
      if (old !== null) throw old;
      throw new AppServerError(
        "exited",
        bin,
        `Cannot start Codex app-server at ${bin} as it exited early (${
          exit.signal ?? `code ${exit.code}`
        }): ${lastErrorLine(exit.stderrTail)}`,
        { stderrTail: exit.stderrTail },
      );
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
      userAgent,
      codexHome: typeof result.codexHome === "string" ? result.codexHome : "",
      version,
      command: resolved.command,
    };
    server.#notify("initialized");
    return server;
  }

  static #spawnError(bin: string, error: unknown): AppServerError {
    const spawnError = new SpawnError(
      bin,
      error instanceof Deno.errors.NotCapable ||
        (error instanceof Error && /Requires run access|NotCapable/.test(error.message))
        ? "NotCapable"
        : (error as { code?: string }).code,
      { cause: error },
    );
    const reason = spawnError.errorCode === "ENOENT"
      ? "missing"
      : spawnError.errorCode === "EACCES"
      ? "not_executable"
      : spawnError.errorCode === "NotCapable"
      ? "not_allowed"
      : "spawn_failed";
    return new AppServerError(reason, bin, spawnError.message, { cause: error });
  }

  /** What the server said in the handshake. */
  get info(): AppServerInfo {
    if (this.#info === null) throw new Error("The app-server has not finished its handshake");
    return this.#info;
  }

  /** The last {@link STDERR_TAIL_CHARS} characters of the server's stderr so far. */
  stderrTail(): string {
    return this.#stderr.slice(-STDERR_TAIL_CHARS);
  }

  /**
   * Calls `method`. Resolves with the result; a JSON-RPC error rejects with an
   * {@link AppServerRequestError}; the server's exit rejects with an {@link AppServerError}.
   */
  request<M extends string>(
    method: M,
    params: ParamsOf<M>,
    options: RequestOptions = {},
  ): Promise<ResultOf<M>> {
    if (this.#exit !== null || this.#closing !== null) {
      return Promise.reject(
        new AppServerError(
          "closed",
          this.#bin,
          `Cannot call ${method} as the Codex app-server (pid ${this.pid}) is ${
            this.#exit ? "gone" : "closing"
          }`,
        ),
      );
    }
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        this.#pending.get(id)?.cleanup();
        this.#pending.delete(id);
        reject(signal!.reason);
      };
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      this.#pending.set(id, {
        method,
        resolve: resolve as (value: unknown) => void,
        reject,
        cleanup,
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#pending.delete(id);
          cleanup();
          reject(
            new AppServerError(
              "timeout",
              this.#bin,
              `Codex app-server did not answer ${method} within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      }
      this.#write({ id, method, params });
    });
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
    const waitExit = (ms: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        this.exited.then(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    try {
      this.#child.stdin!.end();
    } catch {
      // Already closed.
    }
    if (!(await waitExit(graceMs))) {
      this.#log.debug("codex app-server did not exit on stdin close; SIGTERM", { pid: this.pid });
      sendSignal([-this.pid, this.pid], "SIGTERM");
      if (!(await waitExit(1_000))) {
        sendSignal([-this.pid, this.pid], "SIGKILL");
        await this.exited;
      }
    }
    // The group may outlive its leader (a stray child): sweep it.
    sendSignal([-this.pid], "SIGKILL");
    this.#child.stdout?.destroy();
    this.#child.stderr?.destroy();
  }

  #write(message: Record<string, unknown>): void {
    try {
      this.#child.stdin!.write(JSON.stringify(message) + "\n");
    } catch (error) {
      this.#log.debug("cannot write to codex app-server", { pid: this.pid, error: String(error) });
    }
  }

  #notify(method: string, params?: unknown): void {
    this.#write(params === undefined ? { method } : { method, params });
  }

  #onStdout(chunk: Uint8Array): void {
    if (this.#lines === null) return;
    let lines: string[];
    try {
      lines = this.#lines.push(chunk);
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      this.#lines = null;
      this.#log.error(
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
      this.#emit({
        kind: "malformed",
        method: "",
        params: line,
        threadId: null,
        problem: "not JSON",
      });
      return;
    }
    for (const listener of [...this.#rawListeners]) {
      try {
        listener(message);
      } catch (error) {
        this.#log.error("app-server message listener threw", { error: String(error) });
      }
    }
    if (!isRecord(message)) {
      this.#emit(parseEvent(message));
      return;
    }
    const hasId = typeof message.id === "number" || typeof message.id === "string";
    if (typeof message.method === "string") {
      if (hasId) void this.#answer(parseServerRequest(message));
      else this.#emit(parseEvent(message));
      return;
    }
    if (hasId && ("result" in message || "error" in message)) {
      const pending = this.#pending.get(message.id as number);
      if (pending === undefined) return; // Aborted or timed out already.
      this.#pending.delete(message.id as number);
      pending.cleanup();
      if ("error" in message && isRecord(message.error)) {
        const error = message.error;
        pending.reject(
          new AppServerRequestError(
            pending.method,
            typeof error.code === "number" ? error.code : 0,
            typeof error.message === "string" ? error.message : JSON.stringify(error),
            error.data,
          ),
        );
      } else {
        pending.resolve(message.result);
      }
      return;
    }
    this.#emit({
      kind: "malformed",
      method: "",
      params: message,
      threadId: null,
      problem: "neither a notification, request nor response",
    });
  }

  #emit(event: AppServerEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#log.error("app-server event listener threw", {
          method: event.method,
          error: String(error),
        });
      }
    }
  }

  async #answer(request: ServerRequest): Promise<void> {
    if (request.id === -1) {
      this.#log.warning("codex app-server sent a request without an id", {
        method: request.method,
      });
      return;
    }
    const own = ownReply(this.#info?.version ?? "unknown", request, Date.now());
    if (own !== null) {
      this.#write({ id: request.id, result: own });
      return;
    }
    const handler = this.#handler;
    if (request.kind !== "request" || handler === null) {
      const why = handler === null
        ? "no handler is set"
        : `codex-swarm does not know this request (${request.kind}${
          request.kind !== "request" && request.problem ? `: ${request.problem}` : ""
        })`;
      this.#log.warning("cannot answer codex app-server request", { method: request.method, why });
      this.#write({
        id: request.id,
        error: {
          code: JSONRPC_METHOD_NOT_FOUND,
          message: `codex-swarm cannot answer ${request.method}: ${why}`,
        },
      });
      return;
    }
    try {
      const result = await handler(request);
      this.#write({ id: request.id, result: result ?? {} });
    } catch (error) {
      this.#write({
        id: request.id,
        error: {
          code: JSONRPC_INTERNAL_ERROR,
          message: `codex-swarm could not answer ${request.method}: ${messageOf(error)}`,
        },
      });
    }
  }
}
