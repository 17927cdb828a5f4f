/**
 * What the tests of the peer lookup share: a loopback connection of this process with itself,
 * whether lsof can run here, and a PATH swapped for one call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * import { findPeer } from "../../lib/supervisor/peer_lookup.ts";
 *
 * using pair = await loopbackPair();
 * const { via, peers } = await findPeer(pair.server.localAddr, pair.server.remoteAddr);
 * if (via !== null) assert.ok(Array.isArray(peers) && peers.some((p) => p.pid === Deno.pid));
 * ```
 * @module
 */

import { stdoutOf } from "../../lib/supervisor/peer.ts";
import { LSOF_PROGRAM } from "../../lib/supervisor/peer_lsof.ts";

/** A listener on 127.0.0.1, a client connected to it and the accepted end. */
export interface LoopbackPair extends Disposable {
  listener: Deno.TcpListener;
  client: Deno.TcpConn;
  /** The accepted end: as the supervisor sees a front-end. */
  server: Deno.TcpConn;
}

/** Opens a loopback connection of this process with itself; disposing closes all three. */
export async function loopbackPair(): Promise<LoopbackPair> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  return {
    listener,
    client,
    server,
    [Symbol.dispose]() {
      for (const closer of [server, client, listener]) closer.close();
    },
  };
}

/** Why lsof cannot run here (to print when a test skips), or null when it can. */
export async function lsofMissing(): Promise<string | null> {
  if (Deno.build.os === "windows") return "no lsof on Windows";
  const version = await stdoutOf(LSOF_PROGRAM, ["-v"]);
  return version === null ? `${LSOF_PROGRAM} cannot run here (install the lsof package)` : null;
}

/** Runs `fn` with this process's PATH set to `path`, then puts the old one back. */
export async function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const old = Deno.env.get("PATH");
  Deno.env.set("PATH", path);
  try {
    return await fn();
  } finally {
    if (old === undefined) Deno.env.delete("PATH");
    else Deno.env.set("PATH", old);
  }
}
