/**
 * A real `codex exec-server` for a test: on 127.0.0.1, capability-token auth with a fresh token in
 * a 0600 file, in its own process group (killing the npm wrapper alone leaves the native server
 * running), killed as a group when disposed.
 *
 * @example
 * ```ts ignore
 * // ignore: starts a real exec-server
 * await using server = await startExecServer({ env: { MARKER: "a" } });
 * const client = await ExecServerClient.connect(server.url, { token: server.token });
 * ```
 * @module
 */

import { spawn } from "node:child_process";
import { sendSignal } from "../../lib/base/process.ts";

/** How long to wait for the server to print its URL. */
const START_TIMEOUT_MS = 20_000;

/** Options of {@link startExecServer}. */
export interface ExecServerOptions {
  /** The `codex` to run (default: `codex` on PATH). */
  bin?: string;
  /** Variables added to this process's environment for the server. */
  env?: Record<string, string>;
  /** The server's working directory. */
  cwd?: string;
  /** A command line to run the server under, e.g. `["unshare", "-m", "--", "sh", "-c", ...]`: gets the server's argv appended. */
  wrap?: string[];
  /** The token (default: a fresh one). */
  token?: string;
  /** The port (default: a free one), e.g. to start a killed worker again where it was. */
  port?: number;
}

/**
 * `wrap` for {@link startExecServer} that gives the server a private tmpfs on `dir` (root only):
 * what the worker writes there is invisible to the test's own process.
 */
export function privateTmpfs(dir: string): string[] {
  return [
    "unshare",
    "-m",
    "--propagation",
    "private",
    "sh",
    "-c",
    'mount -t tmpfs tmpfs "$0" && exec "$@"',
    dir,
  ];
}

/** A running exec-server. */
export interface RunningExecServer extends AsyncDisposable {
  url: string;
  token: string;
  tokenFile: string;
  /** The process group (the leader's pid). */
  pgid: number;
  /** Kills the whole group with SIGKILL and waits for the leader to go. */
  kill(): Promise<void>;
}

/** Starts `codex exec-server --listen ws://127.0.0.1:0` with a fresh capability token. */
export async function startExecServer(options: ExecServerOptions = {}): Promise<RunningExecServer> {
  const dir = await Deno.makeTempDir({ prefix: "exec-server-token-" });
  const tokenFile = `${dir}/token`;
  const token = options.token ?? crypto.randomUUID().replaceAll("-", "");
  await Deno.writeTextFile(tokenFile, token, { mode: 0o600 });
  const argv = [
    ...(options.wrap ?? []),
    options.bin ?? "codex",
    "exec-server",
    "--listen",
    `ws://127.0.0.1:${options.port ?? 0}`,
    "--ws-auth",
    "capability-token",
    "--ws-token-file",
    tokenFile,
  ];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: { ...Deno.env.toObject(), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  child.stderr!.on("data", (data) => stderr += String(data));
  const kill = async () => {
    if (child.pid !== undefined) sendSignal([-child.pid], "SIGKILL");
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`exec-server printed no URL: ${stderr}`)),
        START_TIMEOUT_MS,
      );
      child.stdout!.on("data", (data) => {
        out += String(data);
        const match = /ws:\/\/127\.0\.0\.1:\d+/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[0]);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`exec-server exited (${code}) before printing its URL: ${stderr}`));
      });
    });
    return {
      url,
      token,
      tokenFile,
      pgid: child.pid!,
      kill,
      async [Symbol.asyncDispose]() {
        await kill();
        await Deno.remove(dir, { recursive: true }).catch(() => {}); // disposed twice
      },
    };
  } catch (error) {
    await kill();
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
