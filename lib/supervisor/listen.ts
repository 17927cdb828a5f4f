/**
 * Where the supervisor listens, and the files that say so: always a loopback port, whose
 * connections must prove they know the token of the 0600 file `token`, and the Unix socket (0600,
 * in a 0700 directory) where Deno allows it (see {@link unixSocketProblem}); `info.json` names
 * both. {@linkcode stopListening} closes the listeners and removes the files again.
 *
 * @example
 * ```ts ignore
 * // ignore: listens, and writes into a task directory
 * import { listen, stopListening } from "./listen.ts";
 * import { supervisorPaths } from "./paths.ts";
 *
 * const paths = supervisorPaths("/tmp/tasks");
 * const listening = listen(paths, { config, env: Deno.env.toObject(), log, version: "0.2.0" });
 * stopListening(listening.listeners, paths);
 * ```
 * @module
 */

import { quietly } from "../base/errors.ts";
import type { RunOptions } from "./hello.ts";
import type { SupervisorInfo } from "../mcp/resources.ts";
import { type SupervisorPaths, unixSocketProblem } from "./paths.ts";

/** What `info.json` holds. */
export interface InfoFile extends SupervisorInfo {
  /** The loopback port (a hello over it must carry the token). */
  port: number;
  /** The Unix socket, or null when there is none. */
  unix: string | null;
}

/** Reads the running supervisor's `info.json`, or null. */
export function readInfo(path: string): InfoFile | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as InfoFile;
  } catch {
    return null;
  }
}

/**
 * Listens on a loopback port (with a new token) and on the Unix socket where allowed, and writes
 * `token` and `info.json`. Returns the listeners, the port, the token a connection over the port
 * must prove it knows, and what `info.json` says.
 */
export function listen(paths: SupervisorPaths, { config, env, log, version }: RunOptions) {
  const unixProblem = unixSocketProblem(paths.socket, env);
  const token = crypto.getRandomValues(new Uint8Array(32)).toHex();
  for (const path of [paths.token, paths.socket]) quietly(() => Deno.removeSync(path));
  Deno.writeTextFileSync(paths.token, token, { mode: 0o600, createNew: true });
  const listeners: Deno.Listener[] = [Deno.listen({ hostname: "127.0.0.1", port: 0 })];
  const port = (listeners[0]!.addr as Deno.NetAddr).port;
  if (unixProblem === null) {
    listeners.push(Deno.listen({ transport: "unix", path: paths.socket }));
    Deno.chmodSync(paths.socket, 0o600);
  } else {
    log.debug(`No Unix socket: ${unixProblem}`);
  }
  const info: InfoFile = {
    pid: Deno.pid,
    started_at: new Date().toISOString(),
    version,
    socket: unixProblem === null ? paths.socket : `tcp://127.0.0.1:${port}`,
    port,
    unix: unixProblem === null ? paths.socket : null,
  };
  Deno.writeTextFileSync(`${paths.info}.tmp`, JSON.stringify(info), { mode: 0o600 });
  Deno.renameSync(`${paths.info}.tmp`, paths.info);
  log.info(`codex-swarm supervisor ${version} listening on ${info.socket}`, {
    pid: Deno.pid,
    port,
    taskDir: config.taskDir,
  });
  return { listeners, port, token, info };
}

/** Closes the listeners and removes the socket, the token and (when still ours) `info.json`. */
export function stopListening(listeners: Deno.Listener[], paths: SupervisorPaths): void {
  for (const listener of listeners) quietly(() => listener.close());
  for (const path of [paths.socket, paths.info, paths.token]) {
    if (path !== paths.info || readInfo(path)?.pid === Deno.pid) {
      quietly(() => Deno.removeSync(path));
    }
  }
}
