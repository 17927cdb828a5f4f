/**
 * Which way the supervisor finds the process at the other end of a connection, and the lookup:
 * `/proc` on Linux (peer.ts: no extra package), `lsof` and `ps` elsewhere (peer_lsof.ts: macOS
 * ships lsof) and on Linux when `/proc` cannot be read. Neither on Windows, nor over the Unix
 * socket: there it cannot tell.
 *
 * The hidden `CODEX_SWARM_PEER_LOOKUP` (`proc` or `lsof`) of the supervisor's environment forces
 * one way, so that a test on Linux runs the macOS way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const conn = await listener.accept(); // a TcpListener's: its ends are Deno.NetAddr
 * const { via, peers } = await findPeer(conn.localAddr, conn.remoteAddr);
 * // via: "proc" on Linux, "lsof" on macOS, null where no way can be read
 * if (via !== null) assert.ok(Array.isArray(peers) && peers.some((p) => p.pid === Deno.pid));
 * conn.close();
 * client.close();
 * listener.close();
 * ```
 * @module
 */

import { type PeerProcess, procPeerProcesses } from "./peer.ts";
import { lsofPeerProcesses } from "./peer_lsof.ts";

/** A way to find a connection's peer: `/proc`, or `lsof` and `ps`. */
export type PeerLookup = "proc" | "lsof";

/** The hidden setting that forces a way (tests of the macOS way on Linux). */
export const PEER_LOOKUP_VARIABLE = "CODEX_SWARM_PEER_LOOKUP";

/**
 * The ways to try on `os`, in order (the next only when one cannot be read at all): `forced`
 * alone, else `/proc` then lsof on Linux, nothing on Windows, lsof elsewhere (macOS, the BSDs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(innerPeerLookups("darwin", null), ["lsof"]);
 * assert.deepEqual(innerPeerLookups("linux", null), ["proc", "lsof"]);
 * assert.deepEqual(innerPeerLookups("linux", "lsof"), ["lsof"]);
 * ```
 */
export function innerPeerLookups(os: string, forced: PeerLookup | null): PeerLookup[] {
  if (forced !== null) return [forced];
  if (os === "linux") return ["proc", "lsof"];
  return os === "windows" ? [] : ["lsof"];
}

/**
 * The way that `CODEX_SWARM_PEER_LOOKUP` in `env` forces, or null (unset, or not a way).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(peerLookupSetting({ CODEX_SWARM_PEER_LOOKUP: "lsof" }), "lsof");
 * assert.equal(peerLookupSetting({ CODEX_SWARM_PEER_LOOKUP: "ps" }), null);
 * ```
 */
export function peerLookupSetting(env: Record<string, string | undefined>): PeerLookup | null {
  const value = env[PEER_LOOKUP_VARIABLE];
  return value === "proc" || value === "lsof" ? value : null;
}

/** What {@link findPeer} found. */
export interface PeerFound {
  /** The way that answered; null when none could be read here (or over the Unix socket). */
  via: PeerLookup | null;
  /** The processes holding the peer's socket, with their ancestry; null when it cannot tell. */
  peers: PeerProcess[] | null;
}

/**
 * The processes at the other end of a connection the supervisor accepted (`local` is its own
 * end), trying each way of {@link innerPeerLookups} for this platform (or `options.via` alone).
 */
export async function findPeer(
  local: Deno.Addr,
  remote: Deno.Addr,
  options: { via?: PeerLookup | null } = {},
): Promise<PeerFound> {
  if (local.transport !== "tcp" || remote.transport !== "tcp") return { via: null, peers: null };
  for (const via of innerPeerLookups(Deno.build.os, options.via ?? null)) {
    const look = via === "proc" ? procPeerProcesses : lsofPeerProcesses;
    const answer = await look(local, remote);
    if (answer !== "unavailable") return { via, peers: answer };
  }
  return { via: null, peers: null };
}
