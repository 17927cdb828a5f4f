/**
 * How a worker's exec-server is reached: its URL and token now, made (or mended) on demand.
 *
 * - {@link WsTransport}: a `ws://127.0.0.1:PORT` the user's own tunnel offers; the token is read
 *   from its file at each open (so a replaced token is picked up).
 * - {@link SshTransport}: `./ssh_worker.ts`'s server and tunnel, restarted where they died (and
 *   the tunnel always, when asked for a fresh one after a lost connection).
 *
 * @example
 * ```ts ignore
 * // ignore: reads a token file
 * const transport = new WsTransport("ws://127.0.0.1:4501", "/home/me/pod.token", "pod");
 * const { url, token } = await transport.open(false);
 * ```
 * @module
 */

import { SshExecServer, type SshOptions, type SshTarget, SshTunnel } from "./ssh_worker.ts";

/** Where the exec-server is now (the token is a secret: never log it). */
export interface Endpoint {
  url: string;
  token: string;
}

/** A way to a worker's exec-server. */
export interface WorkerTransport {
  /** Makes what is missing; `fresh` restarts the tunnel even when it seems alive. */
  open(fresh: boolean): Promise<Endpoint>;
  /** Stops what it started. */
  close(): Promise<void>;
}

/** A loopback URL with a token file: nothing to start. */
export class WsTransport implements WorkerTransport {
  constructor(
    private readonly url: string,
    private readonly tokenFile: string,
    private readonly name: string,
  ) {}

  async open(): Promise<Endpoint> {
    let token: string;
    try {
      token = (await Deno.readTextFile(this.tokenFile)).trim();
    } catch (error) {
      throw new Error(
        `Cannot read the token file of worker "${this.name}", ${this.tokenFile}: ${
          (error as Error).name
        }`,
      );
    }
    if (token === "") {
      throw new Error(
        `Cannot use the token file of worker "${this.name}", ${this.tokenFile}: it is empty`,
      );
    }
    return { url: this.url, token };
  }

  async close(): Promise<void> {}
}

/** An exec-server codex-swarm starts over ssh, behind its own tunnel. */
export class SshTransport implements WorkerTransport {
  #server: SshExecServer | null = null;
  #serverDead = false;
  #tunnel: SshTunnel | null = null;
  #tunnelDead = false;
  /** The local port, kept across tunnel restarts so the app-server's URL stays right. */
  #localPort: number | null = null;

  constructor(private readonly target: SshTarget, private readonly options: SshOptions) {}

  async open(fresh: boolean): Promise<Endpoint> {
    if (this.#serverDead) await this.#stopServer();
    if (this.#server === null) {
      await this.#stopTunnel();
      const server = await SshExecServer.start(this.target, this.options);
      this.#server = server;
      this.#serverDead = false;
      server.exited.then((why) => {
        if (this.#server !== server) return;
        this.#serverDead = true;
        this.options.log.warning(`The exec-server on ${this.target.host} ended: ${why}`);
      });
    }
    if (fresh || this.#tunnelDead) await this.#stopTunnel();
    if (this.#tunnel === null) {
      const tunnel = await SshTunnel.start(
        this.target,
        this.#localPort,
        this.#server.remotePort,
        this.options,
      ).catch((error) => {
        this.#localPort = null; // taken meanwhile, perhaps: the next try picks another
        throw error;
      });
      this.#tunnel = tunnel;
      this.#tunnelDead = false;
      this.#localPort = tunnel.localPort;
      tunnel.exited.then(() => {
        if (this.#tunnel === tunnel) this.#tunnelDead = true;
      });
    }
    return { url: this.#tunnel.url, token: this.#server.token };
  }

  async close(): Promise<void> {
    await this.#stopTunnel();
    await this.#stopServer();
  }

  async #stopTunnel(): Promise<void> {
    const tunnel = this.#tunnel;
    this.#tunnel = null;
    await tunnel?.stop();
  }

  async #stopServer(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    await server?.stop();
  }
}
