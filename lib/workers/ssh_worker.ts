/**
 * An `ssh://` worker: `codex exec-server` started on the host over ssh, reached through an ssh
 * tunnel codex-swarm owns.
 *
 * - The server: `ssh host 'exec /bin/sh -c <script>'`. The script reads a fresh capability token
 *   from ssh's stdin (never argv), writes it to a 0600 file in a 0700 directory, prints its
 *   process group, and runs `codex exec-server --listen ws://127.0.0.1:0 --ws-auth
 *   capability-token --ws-token-file F`: only the host's loopback. It prints its URL. When ssh's
 *   stdin ends (codex-swarm stops, or the connection drops) or the server ends, the script stops
 *   its whole process group and removes the token.
 * - The tunnel: `ssh -L 127.0.0.1:LOCAL:127.0.0.1:REMOTE host 'exec cat >/dev/null'`, on the same
 *   local port after a restart (the app-server keeps its URL). Both ssh processes read a pipe
 *   from the supervisor, so they end with it even when it is killed.
 * - Stopping: stdin closed, `kill -TERM -- -PGID` over ssh, then the local ssh groups killed.
 *
 * @example
 * ```ts ignore
 * // ignore: needs ssh access to a host with Codex
 * const server = await SshExecServer.start({ user: "me", host: "box", port: null, codexBin: "codex" }, { log });
 * const tunnel = await SshTunnel.start(target, null, server.remotePort, { log });
 * const client = await ExecServerClient.connect(tunnel.url, { token: server.token });
 * ```
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import type { Logger } from "../base/log.ts";
import { sendSignal } from "../base/process.ts";
import { delay } from "../base/delay.ts";

/** Where and what to run over ssh. */
export interface SshTarget {
  user: string | null;
  host: string;
  port: number | null;
  /** The `codex` on the host. */
  codexBin: string;
}

/** How to run ssh. */
export interface SshOptions {
  log: Logger;
  /** The ssh client (default `ssh`). */
  sshBin?: string;
  /** Options before the host, e.g. `["-F", "/path/config"]` or `-i KEY`. */
  sshArgs?: string[];
}

/** How long the server may take to print its URL (ssh handshake plus Codex's start). */
const START_TIMEOUT_MS = 30_000;
/** How long the tunnel may take to listen. */
const TUNNEL_TIMEOUT_MS = 15_000;
/** How long the remote kill may take before the local ssh is killed anyway. */
const STOP_TIMEOUT_MS = 5_000;
/** A `codex_bin` safe inside single quotes of any shell. */
const SAFE_BIN = /^[A-Za-z0-9_./+-]+$/;

/** The options every ssh gets: no prompts, dead links noticed within 15 s. */
export function sshArgs(target: SshTarget, extra: string[]): string[] {
  return [
    "-T",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "ServerAliveInterval=5",
    "-o",
    "ServerAliveCountMax=3",
    ...(target.port === null ? [] : ["-p", String(target.port)]),
    ...(target.user === null ? [] : ["-l", target.user]),
    ...extra,
  ];
}

/**
 * The remote command that starts the exec-server (it holds no secret: the token comes on stdin).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.ok(remoteCommand("codex").startsWith("exec /bin/sh -c '"));
 * ```
 */
export function remoteCommand(codexBin: string): string {
  if (!SAFE_BIN.test(codexBin)) {
    throw new Error(
      `Cannot start ${JSON.stringify(codexBin)} over ssh: codex_bin may hold only letters, ` +
        "digits and _ . / + -",
    );
  }
  const script = [
    "umask 077",
    "IFS= read -r t || exit 97",
    'd=$(mktemp -d "${TMPDIR:-/tmp}/codex-swarm-worker.XXXXXX") || exit 98',
    'trap "rm -rf $d" EXIT',
    'trap "exit 143" TERM HUP',
    'printf "%s" "$t" > "$d/token"',
    "t=",
    "echo codex-swarm-pgid $$",
    `${codexBin} exec-server --listen ws://127.0.0.1:0 --ws-auth capability-token ` +
    '--ws-token-file "$d/token" </dev/null &',
    "p=$!",
    // ssh's stdin ends when codex-swarm stops the worker or the connection drops: stop the group.
    "exec 3<&0",
    "(cat <&3 >/dev/null; kill -TERM 0) &",
    // The server ended by itself: stop the group too, so ssh ends and codex-swarm sees it.
    "wait $p",
    "kill -TERM 0",
  ].join("\n");
  // The login shell may be any (fish, zsh): it only execs sh, whose script holds no quote.
  return `exec /bin/sh -c '${script}'`;
}

/** Spawns ssh in its own process group; `exited` resolves with how it ended. */
function spawnSsh(
  args: string[],
  options: SshOptions,
  stdin: "pipe" | "ignore",
): { child: ChildProcess; exited: Promise<string> } {
  const child = spawn(options.sshBin ?? "ssh", args, {
    stdio: [stdin, "pipe", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr!.on("data", (data) => stderr = (stderr + String(data)).slice(-4000));
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => resolve(`ssh could not start: ${error.message}`));
    child.once("exit", (code, signal) => {
      const last = stderr.trim().split("\n").filter(Boolean).at(-1);
      resolve(`ssh ended (${signal ?? `exit code ${code}`})${last ? `: ${last}` : ""}`);
    });
  });
  return { child, exited };
}

function killGroup(child: ChildProcess): void {
  if (child.pid !== undefined) sendSignal([-child.pid, child.pid], "SIGKILL");
}

/** `codex exec-server` running on an ssh host. */
export class SshExecServer {
  /**
   * @param exited Resolves with why ssh ended.
   * @param pgid The remote process group (the script's shell).
   */
  private constructor(
    private readonly child: ChildProcess,
    readonly exited: Promise<string>,
    readonly token: string,
    readonly remotePort: number,
    readonly pgid: number,
    private readonly target: SshTarget,
    private readonly options: SshOptions,
  ) {}

  /** Starts the server; rejects with ssh's or the script's last words. */
  static async start(target: SshTarget, options: SshOptions): Promise<SshExecServer> {
    const command = remoteCommand(target.codexBin);
    const args = [...sshArgs(target, options.sshArgs ?? []), target.host, command];
    const { child, exited } = spawnSsh(args, options, "pipe");
    // A fresh capability token: 32 random bytes, hex.
    const token = crypto.getRandomValues(new Uint8Array(32)).toHex();
    child.stdin!.write(`${token}\n`);
    let out = "";
    const facts = await new Promise<{ remotePort: number; pgid: number }>((resolve, reject) => {
      const timer = setTimeout(() => {
        killGroup(child);
        reject(new Error(`no exec-server URL within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      child.stdout!.on("data", (data) => {
        out += String(data);
        const pgid = /codex-swarm-pgid (\d+)/.exec(out)?.[1];
        const port = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
        if (pgid && port) {
          clearTimeout(timer);
          resolve({ remotePort: Number(port), pgid: Number(pgid) });
        }
      });
      exited.then((why) => {
        clearTimeout(timer);
        reject(new Error(why));
      });
    }).catch((error) => {
      killGroup(child);
      throw new Error(
        `Cannot start codex exec-server on ${target.host} over ssh: ${error.message}`,
      );
    });
    options.log.debug(`exec-server on ${target.host} listens on its port ${facts.remotePort}`);
    return new SshExecServer(child, exited, token, facts.remotePort, facts.pgid, target, options);
  }

  /** Stops the remote process group and the local ssh. */
  async stop(): Promise<void> {
    this.child.stdin?.end();
    const { child, exited } = spawnSsh(
      [
        ...sshArgs(this.target, this.options.sshArgs ?? []),
        this.target.host,
        `kill -TERM -- -${this.pgid} 2>/dev/null; true`,
      ],
      this.options,
      "ignore",
    );
    const timer = setTimeout(() => killGroup(child), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    killGroup(this.child);
    await this.exited;
  }
}

/** Whether something accepts connections on 127.0.0.1:port. */
async function listening(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** A free port on 127.0.0.1 (free when asked: ssh binds it next). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** `ssh -L 127.0.0.1:LOCAL:127.0.0.1:REMOTE host`, ended by its stdin's end. */
export class SshTunnel {
  private constructor(
    private readonly child: ChildProcess,
    readonly exited: Promise<string>,
    readonly localPort: number,
  ) {}

  /** The URL the tunnel offers. */
  get url(): string {
    return `ws://127.0.0.1:${this.localPort}`;
  }

  /** Opens the tunnel (on `localPort` when given, else a free one) and waits until it listens. */
  static async start(
    target: SshTarget,
    localPort: number | null,
    remotePort: number,
    options: SshOptions,
  ): Promise<SshTunnel> {
    const port = localPort ?? freePort();
    const forward = `127.0.0.1:${port}:127.0.0.1:${remotePort}`;
    const args = [
      ...sshArgs(target, options.sshArgs ?? []),
      "-o",
      "ExitOnForwardFailure=yes",
      "-L",
      forward,
      target.host,
      // Not -N: a command that ends with ssh's stdin, so the tunnel ends with the supervisor
      // even when the supervisor is killed (its end of the pipe closes).
      "exec cat >/dev/null",
    ];
    const { child, exited } = spawnSsh(args, options, "pipe");
    let ended: string | null = null;
    exited.then((why) => ended = why);
    const deadline = Date.now() + TUNNEL_TIMEOUT_MS;
    while (ended === null && Date.now() < deadline) {
      if (await listening(port)) return new SshTunnel(child, exited, port);
      await delay(100);
    }
    killGroup(child);
    throw new Error(
      `Cannot open the ssh tunnel to ${target.host} (${forward}): ${
        ended ?? `not listening within ${TUNNEL_TIMEOUT_MS} ms`
      }`,
    );
  }

  async stop(): Promise<void> {
    killGroup(this.child);
    await this.exited;
  }
}
