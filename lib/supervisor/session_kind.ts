/**
 * Who opened a session: a **client**, or a **task** (a process that descends from an app-server
 * this supervisor started: a command a task runs, or an MCP server Codex started for it).
 *
 * The supervisor decides at each hello, from the peer process it finds (in `/proc` on Linux, with
 * `lsof` and `ps` on macOS: {@link findPeer}) and the pids of the app-servers its engine runs now:
 *
 * - `task` when a process holding the peer's socket is, or descends from, one of those
 *   app-servers;
 * - `task` when it cannot tell: Windows, neither `/proc` nor `lsof` to read, the Unix socket (its
 *   peer cannot be found without netlink; front-ends on Linux connect over TCP, so only other
 *   programs land there), no process found holding the socket, or a chain of parents that breaks
 *   off;
 * - `client` otherwise: every process holding the socket was found, with its whole ancestry, and
 *   none descends from an app-server of this supervisor.
 *
 * For a task session, the task is the one running the thread named by `CODEX_THREAD_ID` in the
 * environment of the process Codex started (the app-server's child in the peer's ancestry), when
 * that variable names a thread of a task here; else the task is unknown (null). That environment is
 * read from `/proc`: on macOS the task is unknown. Under Codex's
 * sandbox that process is Codex's launcher; under `danger-full-access` it is the command's shell,
 * which can `exec` with an environment of its choosing: there the task is the command's word.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const conn = await listener.accept(); // a TcpListener's: its ends are Deno.NetAddr
 * // The supervisor passes its engine's app-server pids and tasks; this process runs none.
 * const origin = await sessionOrigin(conn.localAddr, conn.remoteAddr, {
 *   appServerPids: [],
 *   tasks: () => [],
 * });
 * assert.equal(origin.kind, "client");
 * conn.close();
 * client.close();
 * listener.close();
 * ```
 * @module
 */

import type { SessionKind } from "../tasks/engine_api.ts";
import { isFinal, type TaskSnapshot } from "../tasks/task.ts";
import { environValue, type PeerProcess } from "./peer.ts";
import { findPeer, type PeerLookup } from "./peer_lookup.ts";

/** The variable Codex sets for every command it runs: the id of the thread that runs it. */
export const THREAD_ID_VARIABLE = "CODEX_THREAD_ID";

/** What the supervisor found out about who opened a session. */
export interface SessionOrigin {
  kind: SessionKind;
  /** For a task session: the task whose command opened it, when known; else null. */
  taskId: string | null;
  /** Why, in a few words, for the log (e.g. `pid 4242 descends from app-server 3077`). */
  why: string;
  /** The peer process and its parents, nearest first, when it was found; else empty. */
  ancestry?: number[];
  /** How the peer was looked up; null when no way could be (Windows, the Unix socket). */
  via: PeerLookup | null;
}

/** The verdict on the peer processes found, before the task is looked up. */
export interface PeerVerdict {
  kind: SessionKind;
  why: string;
  /** For a task session found by ancestry: the app-server's child the peer descends from. */
  commandPid: number | null;
}

/**
 * The kind of session opened by `peers` (null: they could not be found) when the engine runs the
 * app-servers `appServerPids`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(innerPeerVerdict([{ pid: 9, ancestry: [9, 8, 7, 1], complete: true }], [7]), {
 *   kind: "task",
 *   why: "pid 9 descends from app-server 7",
 *   commandPid: 8,
 * });
 * ```
 */
export function innerPeerVerdict(
  peers: readonly PeerProcess[] | null,
  appServerPids: readonly number[],
): PeerVerdict {
  if (peers === null || peers.length === 0) {
    return {
      kind: "task",
      why: "cannot tell: no process found holding its socket",
      commandPid: null,
    };
  }
  for (const peer of peers) {
    const at = peer.ancestry.findIndex((pid) => appServerPids.includes(pid));
    if (at < 0) continue;
    return {
      kind: "task",
      why: at === 0
        ? `pid ${peer.pid} is app-server ${peer.pid}`
        : `pid ${peer.pid} descends from app-server ${peer.ancestry[at]}`,
      commandPid: at === 0 ? null : peer.ancestry[at - 1]!,
    };
  }
  const broken = peers.find((peer) => !peer.complete);
  if (broken) {
    return {
      kind: "task",
      why: `cannot tell: the parents of pid ${broken.pid} end at pid ${broken.ancestry.at(-1)}`,
      commandPid: null,
    };
  }
  const pids = peers.map((peer) => peer.pid).join(", ");
  return { kind: "client", why: `pid ${pids} descends from no app-server`, commandPid: null };
}

/**
 * The task that runs Codex thread `threadId`: the unfinished one, else the newest; null when no
 * task here has that thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // engine.list(): the task running that thread gives its id ("66fa23f826e6"); here none.
 * assert.equal(innerTaskOfThread([], "0199a1b2-0000-7000-8000-000000000000"), null);
 * ```
 */
export function innerTaskOfThread(
  tasks: readonly TaskSnapshot[],
  threadId: string,
): string | null {
  const on = tasks.filter((task) => task.meta.threadId === threadId);
  const running = on.find((task) => !isFinal(task.meta.phase));
  const newest = on.reduce<TaskSnapshot | null>(
    (best, task) => best === null || task.meta.createdAt > best.meta.createdAt ? task : best,
    null,
  );
  return (running ?? newest)?.meta.id ?? null;
}

/** What {@link sessionOrigin} asks of the engine, at the time of the lookup. */
export interface OriginSources {
  /** The pids of the app-servers the engine runs now. */
  appServerPids: readonly number[];
  /** The tasks the engine knows (to find the task of a thread). */
  tasks: () => readonly TaskSnapshot[];
  /** The way to look the peer up (`CODEX_SWARM_PEER_LOOKUP`); absent or null: this platform's. */
  peerLookup?: PeerLookup | null;
}

/**
 * Who opened the connection whose ends are `local` (the supervisor's) and `remote`: looks the
 * peer up (TCP: `/proc` on Linux, lsof on macOS) and decides; `task` whenever it cannot tell.
 */
export async function sessionOrigin(
  local: Deno.Addr,
  remote: Deno.Addr,
  sources: OriginSources,
): Promise<SessionOrigin> {
  if (local.transport !== "tcp") {
    return { kind: "task", taskId: null, why: "cannot tell over the Unix socket", via: null };
  }
  const { via, peers } = await findPeer(local, remote, { via: sources.peerLookup ?? null });
  if (via === null) {
    const why = `cannot tell on ${Deno.build.os}: neither /proc nor lsof can be read`;
    return { kind: "task", taskId: null, why, via };
  }
  const verdict = innerPeerVerdict(peers, sources.appServerPids);
  let taskId: string | null = null;
  if (verdict.commandPid !== null) {
    const threadId = await environValue(verdict.commandPid, THREAD_ID_VARIABLE);
    if (threadId !== null) taskId = innerTaskOfThread(sources.tasks(), threadId);
  }
  return {
    kind: verdict.kind,
    taskId,
    why: verdict.why,
    via,
    ...(peers?.length === 1 ? { ancestry: peers[0]!.ancestry } : {}),
  };
}
