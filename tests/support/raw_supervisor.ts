/**
 * Raw connections to a world's supervisor, as another local process would open them: the auth
 * line (with or without the right proof), a hello, or any bytes, and the lines the supervisor
 * answers.
 *
 * @example Not run: it needs a running supervisor (`world`).
 * ```ts ignore
 * const raw = await RawConnection.open(world);
 * await raw.sendLine(JSON.stringify(await raw.authLine()));
 * const answer = JSON.parse(await raw.readLine());
 * ```
 * @module
 */

import { VERSION } from "../../lib/supervisor/cli.ts";
import { proofOf } from "../../lib/supervisor/auth.ts";
import type { AuthLine } from "../../lib/supervisor/hello_check.ts";
import { HELLO_PROTOCOL } from "../../lib/supervisor/hello.ts";
import { LineSplitter } from "../../lib/base/lines.ts";
import type { World } from "./harness.ts";

/** One connection to the supervisor's loopback port (or its Unix socket). */
export class RawConnection {
  readonly conn: Deno.Conn;
  /** The port, or null over the Unix socket. */
  readonly port: number | null;
  readonly token: string;
  #split = new LineSplitter();
  #lines: string[] = [];

  private constructor(conn: Deno.Conn, port: number | null, token: string) {
    this.conn = conn;
    this.port = port;
    this.token = token;
  }

  /**
   * Connects to the port in the world's `info.json` (the token is read from its file), or to its
   * Unix socket with `unix`.
   */
  static async open(world: World, unix = false): Promise<RawConnection> {
    const info = world.supervisorInfo();
    if (!info) throw new Error(`No supervisor runs for ${world.taskDir}`);
    const token = (await Deno.readTextFile(`${world.supervisorDir}/token`)).trim();
    if (unix) {
      if (!info.unix) throw new Error(`The supervisor of ${world.taskDir} has no Unix socket`);
      return new RawConnection(
        await Deno.connect({ transport: "unix", path: info.unix }),
        null,
        token,
      );
    }
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: info.port });
    return new RawConnection(conn, info.port, token);
  }

  /**
   * An auth line of the current protocol, its proof made with `token` (default: the right one);
   * without a proof over the Unix socket.
   */
  async authLine(token = this.token): Promise<AuthLine> {
    const nonce = crypto.randomUUID();
    const line: AuthLine = { codex_swarm_auth: HELLO_PROTOCOL, version: VERSION, nonce };
    if (this.port !== null) line.proof = await proofOf(token, "client", this.port, nonce);
    return line;
  }

  async sendLine(line: string): Promise<void> {
    await this.write(new TextEncoder().encode(line + "\n"));
  }

  async write(bytes: Uint8Array): Promise<void> {
    for (let done = 0; done < bytes.length;) done += await this.conn.write(bytes.subarray(done));
  }

  /** The next line, or null when the supervisor closed the connection (or reset it) first. */
  async readLine(): Promise<string | null> {
    const buffer = new Uint8Array(64 * 1024);
    while (this.#lines.length === 0) {
      let n: number | null;
      try {
        n = await this.conn.read(buffer);
      } catch {
        return null;
      }
      if (n === null) return null;
      this.#lines.push(...this.#split.push(buffer.subarray(0, n)));
    }
    return this.#lines.shift()!;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
  }
}

/** The resident set size of process `pid` in MB, from `/proc`, or null where there is none. */
export function rssMb(pid: number): number | null {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : null;
  } catch {
    return null;
  }
}
