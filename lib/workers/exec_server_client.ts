/**
 * A client of `codex exec-server` (Codex 0.169.0's protocol, `codex-rs/exec-server/src/protocol.rs`)
 * over its WebSocket: the second channel to a worker, beside the app-server's own.
 *
 * {@link ExecServerClient.connect} opens the socket with the capability token as a bearer
 * `Authorization` header of the upgrade (a wrong token is refused there with HTTP 401), then does
 * the `initialize` / `initialized` handshake, whose answer gives {@link ExecServerClient.info}
 * (`executorVersion` is the worker's Codex version). {@link ExecServerClient.run} runs a command to
 * its end; the `fs/*` methods write and remove the worker's files. Paths are the worker's absolute
 * paths; the protocol carries them as `file://` URIs.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a running `codex exec-server`
 * await using worker = await ExecServerClient.connect("ws://127.0.0.1:4500", { token, name: "a" });
 * console.log(worker.info.executorVersion); // "0.169.0"
 * const result = await worker.run(["git", "--version"], { cwd: "/tmp", env: { PATH: "/usr/bin:/bin" } });
 * console.log(new TextDecoder().decode(result.stdout));
 * ```
 * @module
 */

import { withTimeout } from "../base/delay.ts";
import { JsonRpcSocket } from "./json_rpc_socket.ts";
import { type OutputStream, ProcessOutput } from "./process_output.ts";

/** How long {@link ExecServerClient.connect} waits for the `initialize` answer. */
const INITIALIZE_TIMEOUT_MS = 10_000;
/** How long {@link ExecServerClient.run} waits for a terminated process's last events. */
const TERMINATE_WAIT_MS = 5_000;

/** What the exec-server said about itself in the handshake. */
export interface ExecServerInfo {
  /** The worker's Codex version, e.g. `0.169.0`. */
  executorVersion: string;
  /** The exec-server's working directory (a path on the worker). */
  cwd: string;
  /** The worker's temporary directory, when given. */
  tempDir: string | null;
}

/** How a command run by {@link ExecServerClient.run} ended. */
export interface RunResult {
  /** The exit code; null when the process was terminated at its timeout. */
  exitCode: number | null;
  /** `SIGKILL` when {@link RunOptions.timeoutMs} ran out and the process was terminated. */
  signal: string | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** Options of {@link ExecServerClient.run}. */
export interface RunOptions {
  /** The working directory on the worker (absolute). */
  cwd: string;
  /** The command's environment. Nothing is inherited unless {@link inheritEnv}: pass PATH, HOME. */
  env?: Record<string, string>;
  /** Start from the exec-server's own environment (minus Codex's default excludes), `env` on top. */
  inheritEnv?: boolean;
  /** Bytes for the command's stdin (else it reads nothing). */
  stdin?: Uint8Array;
  /** Terminate the process after this long (the result then has `signal: "SIGKILL"`). */
  timeoutMs?: number;
  /** Aborting terminates the process and rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * The exec-server's sandbox for the process (its `FileSystemSandboxContext`, as
   * `./exec_sandbox.ts` builds it from a task's sandbox); none by default.
   */
  sandbox?: Record<string, unknown>;
}

/** Options of {@link ExecServerClient.connect}. */
export interface ExecServerConnectOptions {
  /** The capability token, sent as `Authorization: Bearer <token>` (never in the URL). */
  token?: string;
  /** The worker's name, for errors. */
  name?: string;
}

/**
 * An absolute path on the worker as the `file://` URI the protocol wants.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(fileUri("/tmp/a b"), "file:///tmp/a%20b");
 * ```
 */
export function fileUri(path: string): string {
  if (!path.startsWith("/")) {
    throw new Error(`Cannot use path "${path}" on a worker as it is not absolute`);
  }
  return "file://" + path.split("/").map(encodeURIComponent).join("/");
}

/**
 * The path of a `file://` URI (null for anything else).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(pathOfUri("file:///tmp/a%20b"), "/tmp/a b");
 * ```
 */
export function pathOfUri(uri: unknown): string | null {
  if (typeof uri !== "string" || !uri.startsWith("file://")) return null;
  return decodeURIComponent(new URL(uri).pathname);
}

/**
 * Reads the `initialize` answer, the fields codex-swarm uses (fields the worker leaves out become
 * null or "").
 */
export function parseInitialize(result: unknown): ExecServerInfo {
  const answer = (result ?? {}) as Record<string, unknown>;
  const env = (answer.environmentInfo ?? {}) as Record<string, unknown>;
  return {
    executorVersion: typeof env.executorVersion === "string" ? env.executorVersion : "",
    cwd: pathOfUri(env.cwd) ?? "",
    tempDir: pathOfUri(env.tempDir),
  };
}

/** A connection to one `codex exec-server`. */
export class ExecServerClient implements AsyncDisposable {
  /** Resolves when the connection ends: null when closed by us, else the cause. */
  readonly closed: Promise<Error | null>;
  /** Aborted with {@link closed}'s value when the connection ends (runs listen while they wait). */
  readonly #gone = new AbortController();

  private constructor(private readonly socket: JsonRpcSocket, readonly info: ExecServerInfo) {
    this.closed = socket.closed;
    this.closed.then((error) => this.#gone.abort(error));
  }

  /** Connects and does the handshake; rejects naming the worker and the cause (e.g. a refused token). */
  static async connect(
    url: string,
    options: ExecServerConnectOptions = {},
  ): Promise<ExecServerClient> {
    const peer = options.name === undefined
      ? `exec-server ${url}`
      : `worker "${options.name}" (${url})`;
    const headers: Record<string, string> = options.token === undefined
      ? {}
      : { authorization: `Bearer ${options.token}` };
    const socket = await JsonRpcSocket.connect(url, peer, headers);
    try {
      const result = await withTimeout(
        socket.request("initialize", { clientName: "codex-swarm" }),
        INITIALIZE_TIMEOUT_MS,
      );
      if (result === "timeout") {
        throw new Error(
          `Cannot connect to ${peer}: no answer to initialize within ${INITIALIZE_TIMEOUT_MS} ms`,
        );
      }
      socket.notify("initialized", {});
      return new ExecServerClient(socket, parseInitialize(result));
    } catch (error) {
      await socket.close();
      throw error;
    }
  }

  /** Runs `argv` on the worker to its end (its stdout and stderr whole). */
  async run(argv: string[], options: RunOptions): Promise<RunResult> {
    if (argv.length === 0) {
      throw new Error(`Cannot run a command on ${this.socket.peer}: argv is empty`);
    }
    options.signal?.throwIfAborted();
    // stdin's bytes go to a file in the worker's temporary directory first.
    const stdinFile = options.stdin
      ? `${this.info.tempDir ?? "/tmp"}/codex-swarm-stdin-${crypto.randomUUID()}`
      : null;
    try {
      if (stdinFile) await this.writeFile(stdinFile, options.stdin!);
      return await this.#runToEnd(argv, stdinFile, options);
    } finally {
      if (stdinFile) await this.remove(stdinFile).catch(() => {});
    }
  }

  /** Writes (creates or replaces) a file on the worker. */
  async writeFile(path: string, data: Uint8Array): Promise<void> {
    await this.#fs("fs/writeFile", path, { path: fileUri(path), dataBase64: data.toBase64() });
  }

  /** Creates a directory and its missing parents on the worker. */
  async createDirectory(path: string): Promise<void> {
    await this.#fs("fs/createDirectory", path, { path: fileUri(path), recursive: true });
  }

  /** Removes a file (or, with `recursive`, a directory tree); a missing path is no error. */
  async remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.#fs("fs/remove", path, {
      path: fileUri(path),
      recursive: options.recursive ?? false,
      force: true,
    });
  }

  /** Closes the connection ({@link closed} resolves with null). */
  close(): Promise<void> {
    return this.socket.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #fs(method: string, path: string, params: Record<string, unknown>): Promise<unknown> {
    try {
      return await this.socket.request(method, { sandbox: null, ...params });
    } catch (error) {
      throw new Error(`Cannot use "${path}": ${(error as Error).message}`, { cause: error });
    }
  }

  async #runToEnd(
    argv: string[],
    stdinFile: string | null,
    options: RunOptions,
  ): Promise<RunResult> {
    const processId = `codex-swarm-${crypto.randomUUID()}`;
    const output = new ProcessOutput();
    const ended = Promise.withResolvers<void>();
    const stop = this.socket.onNotification((method, params) => {
      if (observe(output, processId, method, params)) ended.resolve();
    });
    const what = `Cannot run "${argv[0]}" on ${this.socket.peer}`;
    try {
      await this.socket.request("process/start", {
        processId,
        // The protocol cannot close a piped stdin, so the shell redirects it from a file.
        argv: stdinFile === null
          ? argv
          : ["/bin/sh", "-c", 'f=$1; shift; exec "$@" < "$f"', "sh", stdinFile, ...argv],
        cwd: fileUri(options.cwd),
        env: options.env ?? {},
        envPolicy: options.inheritEnv ? INHERIT_ALL : null,
        tty: false,
        pipeStdin: false,
        arg0: null,
        sandbox: options.sandbox ?? null,
      }).catch((error) => {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      });
      const timedOut = await this.#waitForEnd(processId, ended.promise, options, what);
      await this.#fillGaps(processId, output, what);
      return {
        exitCode: timedOut ? null : output.exitCode,
        signal: timedOut ? "SIGKILL" : null,
        stdout: output.bytes("stdout"),
        stderr: output.bytes("stderr"),
      };
    } finally {
      stop();
    }
  }

  /** Waits for `process/closed`; true when the timeout ran out and the process was terminated. */
  async #waitForEnd(
    processId: string,
    ended: Promise<void>,
    options: RunOptions,
    what: string,
  ): Promise<boolean> {
    // A listener per wait, removed after it (one on `closed` would stay as long as the connection).
    const gone = this.#gone.signal;
    const lost = Promise.withResolvers<never>();
    lost.promise.catch(() => {});
    const onLost = () =>
      lost.reject(new Error(`${what}: ${gone.reason?.message ?? "the connection was closed"}`));
    gone.addEventListener("abort", onLost, { once: true });
    if (gone.aborted) onLost();
    const abort = Promise.withResolvers<"abort">();
    const onAbort = () => abort.resolve("abort");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort(); // while process/start was answered
    try {
      const end = Promise.race([ended.then(() => "ended" as const), abort.promise, lost.promise]);
      const how = options.timeoutMs === undefined
        ? await end
        : await withTimeout(end, options.timeoutMs);
      if (how === "ended") return false;
      await this.socket.request("process/terminate", { processId }).catch(() => {});
      await withTimeout(Promise.race([ended, lost.promise]), TERMINATE_WAIT_MS);
      if (how === "abort") throw options.signal?.reason ?? new Error(`${what}: aborted`);
      return true;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      gone.removeEventListener("abort", onLost);
    }
  }

  /** Fetches, with `process/read`, events the notifications missed. */
  async #fillGaps(processId: string, output: ProcessOutput, what: string): Promise<void> {
    const gap = output.firstGap();
    if (gap === null) return;
    const read = await this.socket.request("process/read", {
      processId,
      afterSeq: gap - 1,
      maxBytes: null,
      waitMs: 0,
    }) as { chunks?: { seq: number; stream: OutputStream; chunk: string }[] };
    for (const chunk of read.chunks ?? []) {
      output.chunk(chunk.seq, chunk.stream, Uint8Array.fromBase64(chunk.chunk));
    }
    const still = output.firstGap();
    if (still !== null) throw new Error(`${what}: its output from event ${still} on was lost`);
  }
}

/** `envPolicy` for {@link RunOptions.inheritEnv}: the exec-server's environment, then `env`. */
const INHERIT_ALL = {
  inherit: "all",
  ignoreDefaultExcludes: false,
  exclude: [],
  set: {},
  includeOnly: [],
};

/** Records one notification about `processId` in `output`; true once the process is closed. */
function observe(
  output: ProcessOutput,
  processId: string,
  method: string,
  params: unknown,
): boolean {
  const event = (params ?? {}) as Record<string, unknown>;
  if (event.processId !== processId || typeof event.seq !== "number") return false;
  if (method === "process/output") {
    output.chunk(
      event.seq,
      event.stream as OutputStream,
      Uint8Array.fromBase64(String(event.chunk ?? "")),
    );
  } else if (method === "process/exited") {
    output.exited(event.seq, typeof event.exitCode === "number" ? event.exitCode : null);
  } else if (method === "process/closed") {
    output.closed(event.seq);
  }
  return output.isClosed;
}
