/**
 * What the tests of the peer lookup share: a loopback connection of this process with itself,
 * whether lsof can run here, and a child process with a PATH of its own.
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

import { stdoutOf } from "../../lib/base/process.ts";
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

/**
 * What `code` (a TypeScript module) prints, as JSON, run by a child Deno whose PATH is `path`; it
 * fails naming the exit code and stderr when the child does. `code` imports by absolute URL
 * (`import.meta.resolve`).
 *
 * A PATH of its own takes a process of its own: the environment is the process's, and
 * `deno test --parallel` runs test files at once in one process, so setting PATH here for one test
 * made every program another file spawned meanwhile (lsof, git, codex) "not found".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const code = 'console.log(JSON.stringify(Deno.env.get("PATH")?.split(":")))';
 * const path = await jsonWithPath("/nonexistent", code) as string[];
 * assert.equal(path.at(-1), "/nonexistent"); // Deno may put a directory of its own (node) first
 * ```
 */
export async function jsonWithPath(path: string, code: string): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    env: { PATH: path },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `Cannot read the child's answer as it exited with ${out.code}: stderr is ${
        decoder.decode(out.stderr)
      }`,
    );
  }
  return JSON.parse(decoder.decode(out.stdout));
}

/**
 * `peers` without the children of this process. A program this process spawns holds a copy of
 * each of its sockets from fork to exec (they close on exec), and `deno test --parallel` runs other
 * test files in this process that spawn programs at any time: a lookup of a connection this process
 * holds may find such a child too, for a moment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const self = { pid: Deno.pid, ancestry: [Deno.pid, Deno.ppid], complete: true };
 * const forked = { pid: 99999, ancestry: [99999, Deno.pid, Deno.ppid], complete: true };
 * assert.deepEqual(withoutChildren([self, forked]), [self]);
 * ```
 */
export function withoutChildren<T extends { ancestry: number[] }>(peers: T[]): T[] {
  return peers.filter((peer) => peer.ancestry[1] !== Deno.pid);
}
