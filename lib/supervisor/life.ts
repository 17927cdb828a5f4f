/**
 * The life of a running supervisor: its sessions and connections, when it has been idle since,
 * and how it stops: after `--idle-exit` seconds with no client and no unfinished task, on SIGINT or
 * SIGTERM, or to make way for a newer program (at once, or once no task is unfinished).
 *
 * @example
 * ```ts ignore
 * // ignore: needs a running engine and listeners
 * const life = new SupervisorLife({ log, idleExitS: 600, unfinished, stopListening, stopEngine, release });
 * life.start();
 * await life.done.promise; // after life.shutdown("...")
 * life.finish();
 * ```
 * @module
 */

import { quietly } from "../base/errors.ts";
import type { Logger } from "../base/log.ts";
import type { SocketTransport } from "./socket_transport.ts";

/** What {@linkcode SupervisorLife} acts on. */
export interface LifeParts {
  log: Logger;
  /** Seconds with no client and no unfinished task after which the supervisor stops. */
  idleExitS: number;
  /** How many tasks are not final. */
  unfinished: () => number;
  /** Closes the listeners and removes the files that point at them. */
  stopListening: () => void;
  /** Stops the engine (its app-servers; their threads stay resumable). */
  stopEngine: () => Promise<void>;
  /** Lets go of the task directory (the life lock), once the engine has stopped. */
  release: () => void;
}

/** The state of a running supervisor and its stopping (see the module doc). */
export class SupervisorLife {
  /** The sessions being served. */
  readonly sessions = new Set<SocketTransport>();
  /** The connections being read, before and during their session. */
  readonly connections = new Set<Deno.Conn>();
  /** Set once the supervisor stops: nothing new is served. */
  stopping = false;
  /** A newer program waits: stop once no task is unfinished. */
  retireWhenIdle = false;
  /** When the last connection ended (or a session or task was last seen). */
  idleSince = Date.now();
  /** Settles once the supervisor has stopped and let go of its engine. */
  readonly done = Promise.withResolvers<void>();
  #idleTimer: ReturnType<typeof setInterval> | undefined;
  readonly #signals: Array<[Deno.Signal, () => void]> = [];

  /** A life that has not started its timers yet. */
  constructor(private readonly parts: LifeParts) {}

  /** Starts the idle check and listens for SIGINT and SIGTERM. */
  start(): void {
    const { idleExitS, unfinished } = this.parts;
    const checkMs = Math.min(1000, idleExitS * 250);
    this.#idleTimer = setInterval(() => {
      const busy = unfinished();
      if (this.retireWhenIdle && busy === 0) {
        this.shutdown("a newer codex-swarm is waiting and no task is unfinished");
        return;
      }
      if (this.sessions.size > 0 || busy > 0) this.idleSince = Date.now();
      else if (Date.now() - this.idleSince >= idleExitS * 1000) {
        this.shutdown(`no client and no unfinished task for ${idleExitS} s`);
      }
    }, checkMs);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const handler = () => this.shutdown(`${signal}`);
      try {
        Deno.addSignalListener(signal, handler);
        this.#signals.push([signal, handler]);
      } catch {
        // Not on this platform (SIGTERM on Windows).
      }
    }
  }

  /** Stops: closes the listeners, the sessions and connections, then the engine. Once. */
  shutdown(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    const { log, unfinished } = this.parts;
    log.info(`The supervisor stops: ${reason}`, { unfinished: unfinished() });
    this.parts.stopListening();
    for (const transport of this.sessions) transport.close();
    for (const conn of this.connections) quietly(() => conn.close());
    this.parts.stopEngine()
      .catch((error: unknown) => log.error(`Cannot stop the engine: ${error}`))
      .finally(() => {
        this.parts.release();
        this.done.resolve();
      });
  }

  /** Says the reply, then stops: the front-end that asked can start the new one at once. */
  async retire(say: () => Promise<void>, other: string): Promise<void> {
    this.parts.stopListening();
    await say().catch(() => {});
    this.shutdown(`retired for codex-swarm ${other}`);
  }

  /** Stops the idle check and the signal listeners (after {@linkcode done}). */
  finish(): void {
    clearInterval(this.#idleTimer);
    for (const [signal, handler] of this.#signals) Deno.removeSignalListener(signal, handler);
  }
}
