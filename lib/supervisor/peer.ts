/**
 * The process at the other end of a supervisor connection, and its ancestry, from Linux's `/proc`;
 * and what the other way to find it (`lsof` and `ps`, peer_lsof.ts) shares with this one.
 *
 * A loopback TCP connection is found in the host's `/proc`: the peer's socket is the row of
 * `/proc/net/tcp` (or `tcp6`, for a v4-mapped socket) whose local end is the connection's remote
 * end and whose remote end is the supervisor's; its inode names the socket, `socket:[inode]`, that
 * the peer's processes hold among `/proc/<pid>/fd`; each one's `PPid` (from `/proc/<pid>/status`)
 * gives its parent, up to pid 1. Every pid is the host's (the supervisor's PID namespace), also for
 * a command that Codex's sandbox runs in a PID namespace of its own.
 *
 * Deno lets a program read `/proc` only with `--allow-all`, which the server does not run with, so
 * the text comes from `cat`, `find` and `grep` (its `--allow-run`). The parsing is pure
 * (`inner*`). Nothing read can be forged by the peer: the rows, links and status lines are the
 * kernel's, and paths are matched whole (`find -lname`), never split out of free text.
 *
 * Over the Unix socket the peer cannot be found without netlink (`/proc/net/unix` lists no peer,
 * and Deno gives no descriptor number, no `SO_PEERCRED`). Which way is used where: peer_lookup.ts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const conn = await listener.accept(); // a TcpListener's: its ends are Deno.NetAddr
 * const peers = await procPeerProcesses(conn.localAddr, conn.remoteAddr);
 * // [{ pid: 4242, ancestry: [4242, 4100, 3077, 3060, 1], complete: true }], null or "unavailable"
 * if (Deno.build.os === "linux") {
 *   assert.ok(Array.isArray(peers) && peers.some((p) => p.pid === Deno.pid)); // this process
 * }
 * conn.close();
 * client.close();
 * listener.close();
 * ```
 * @module
 */

import { stdoutOf } from "../base/process.ts";

/** A process that holds the peer's socket, and its ancestry. */
export interface PeerProcess {
  /** Its host pid. */
  pid: number;
  /** `pid`, its parent, the parent's parent, ... nearest first, up to pid 1. */
  ancestry: number[];
  /**
   * False when a process of the chain had no status line (it ended meanwhile, or is unreadable):
   * then the chain stops there and says nothing of the processes above.
   */
  complete: boolean;
}

/** One end of a TCP connection. */
export interface Endpoint {
  /** The address as Deno reports it: an IPv4 dotted quad, or IPv6 (`::1`). */
  hostname: string;
  port: number;
}

/**
 * What one way of looking returns: the processes holding the peer's socket; null when it cannot
 * tell (no such socket, no process found holding it, a tool that fails); `"unavailable"` when its
 * source cannot be read on this machine at all (no `/proc`, no `lsof`), so another way may.
 */
export type PeerAnswer = PeerProcess[] | null | "unavailable";

/** Whether this machine stores numbers little-endian (as `/proc/net/tcp` prints addresses). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A `/proc/net/tcp` or `tcp6` address (`0100007F`, or 32 hex digits) as a dotted IPv4 address, or
 * null for an IPv6 address that is not v4-mapped. The kernel prints each 32-bit word of the
 * address as the machine stores it, so on a little-endian machine `127.0.0.1` is `0100007F`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(innerProcIpv4("0100007F", true), "127.0.0.1");
 * assert.equal(innerProcIpv4("0000000000000000FFFF00000100007F", true), "127.0.0.1");
 * ```
 */
export function innerProcIpv4(hex: string, littleEndian: boolean): string | null {
  const words = hex.match(/[0-9A-Fa-f]{8}/g);
  if (!words || words.join("").length !== hex.length) return null;
  const bytes = words.flatMap((word) => {
    const n = parseInt(word, 16);
    const big = [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
    return littleEndian ? big.reverse() : big;
  });
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.length !== 16) return null;
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff &&
    bytes[11] === 0xff;
  return mapped ? bytes.slice(12).join(".") : null;
}

/**
 * The inode of the socket whose local end is `local` and remote end is `remote`, from the text of
 * `/proc/net/tcp` and `/proc/net/tcp6` (header lines included), or null when no row matches or
 * its inode is 0 (no process holds it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const tcpText =
 *   "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
 *   "   0: 0100007F:83D2 0100007F:97B7 01 00000000:00000000 00:00000000 00000000  1000        0 123456 1\n";
 * const local = { hostname: "127.0.0.1", port: 33746 };
 * assert.equal(innerSocketInode(tcpText, local, { hostname: "127.0.0.1", port: 38839 }, true), 123456);
 * ```
 */
export function innerSocketInode(
  tcpText: string,
  local: Endpoint,
  remote: Endpoint,
  littleEndian: boolean,
): number | null {
  const endOf = (field: string): Endpoint | null => {
    const [ip, port] = field.split(":");
    const hostname = ip === undefined ? null : innerProcIpv4(ip, littleEndian);
    if (hostname === null || port === undefined || !/^[0-9A-Fa-f]{4}$/.test(port)) return null;
    return { hostname, port: parseInt(port, 16) };
  };
  const same = (a: Endpoint | null, b: Endpoint) =>
    a !== null && a.hostname === b.hostname && a.port === b.port;
  for (const line of tcpText.split("\n")) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    if (!/^\d+:$/.test(fields[0] ?? "") || fields.length < 10) continue;
    if (!same(endOf(fields[1]!), local) || !same(endOf(fields[2]!), remote)) continue;
    const inode = Number(fields[9]);
    return Number.isSafeInteger(inode) && inode > 0 ? inode : null;
  }
  return null;
}

/**
 * The processes holding the socket with their ancestry, each once, from the two parts of
 * {@link HOLDERS_SCRIPT}'s output: `fds`, the `find` lines (`/proc/<pid>/fd/<fd>`, one per
 * descriptor that is the socket), and `status`, the `grep -H` lines
 * (`/proc/<pid>/status:PPid:\t<ppid>`, one per process).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(innerPeerProcesses({ fds: "/proc/42/fd/3\n", status: "/proc/42/status:PPid:\t1\n" }), [
 *   { pid: 42, ancestry: [42, 1], complete: true },
 * ]);
 * ```
 */
export function innerPeerProcesses(text: { fds: string; status: string }): PeerProcess[] {
  const parents = new Map<number, number>();
  for (const match of text.status.matchAll(/^\/proc\/(\d+)\/status:PPid:\s*(\d+)$/gm)) {
    parents.set(Number(match[1]), Number(match[2]));
  }
  const holders = new Set<number>();
  for (const match of text.fds.matchAll(/^\/proc\/(\d+)\/fd\/\d+$/gm)) {
    holders.add(Number(match[1]));
  }
  return innerAncestries(holders, parents);
}

/**
 * Each of `holders` (once) with its ancestry, from the parent of every process (`parents`: pid to
 * parent pid, 0 for the top). A chain stops at pid 1, at a parent 0, or at a loop; it is not
 * `complete` where a process of it has no parent listed (it ended, or could not be read).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(innerAncestries([42], new Map([[42, 7], [7, 1], [1, 0]])), [
 *   { pid: 42, ancestry: [42, 7, 1], complete: true },
 * ]);
 * ```
 */
export function innerAncestries(
  holders: Iterable<number>,
  parents: ReadonlyMap<number, number>,
): PeerProcess[] {
  return [...new Set(holders)].map((pid) => {
    const ancestry = [pid];
    for (let at = pid; at > 1;) {
      const parent = parents.get(at);
      // No line: the process ended (or cannot be read); 0: the top (pid 1, kernel threads).
      if (parent === undefined) return { pid, ancestry, complete: false };
      if (parent === 0 || ancestry.includes(parent)) break;
      ancestry.push(parent);
      at = parent;
    }
    return { pid, ancestry, complete: true };
  });
}

/**
 * Lists the holders of socket `$1` (an inode) and every process's parent. `find -lname` matches
 * the link target whole; the glob and `grep -H` give paths the kernel named (digits only).
 * Processes that end meanwhile, or whose descriptors cannot be read, are left out (stderr).
 */
const HOLDERS_SCRIPT = 'find /proc/[0-9]*/fd -lname "socket:\\[$1\\]" 2>/dev/null; echo @@; ' +
  'grep -H "^PPid:" /proc/[0-9]*/status 2>/dev/null';

/**
 * The processes at the other end of a loopback TCP connection the supervisor accepted (`local` is
 * its own end), with their ancestry, from `/proc`: null when it cannot tell (no such socket in
 * `/proc/net/tcp*`, no process found holding it), `"unavailable"` when `/proc/net/tcp` cannot be
 * read here (not Linux, no `/proc`, no `cat`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const conn = await listener.accept(); // a TcpListener's: its ends are Deno.NetAddr
 * const peers = await procPeerProcesses(conn.localAddr, conn.remoteAddr);
 * if (Deno.build.os === "linux") assert.ok(Array.isArray(peers) && peers.length > 0);
 * conn.close();
 * client.close();
 * listener.close();
 * ```
 */
export async function procPeerProcesses(local: Endpoint, remote: Endpoint): Promise<PeerAnswer> {
  const tcp = await stdoutOf("cat", ["/proc/net/tcp", "/proc/net/tcp6"]);
  // Every readable table starts with its header line.
  if (tcp === null || !tcp.includes("local_address")) return "unavailable";
  // The peer's socket: its local end is our remote end.
  const inode = innerSocketInode(tcp, remote, local, LITTLE_ENDIAN);
  if (inode === null) return null;
  const out = await stdoutOf("sh", ["-c", HOLDERS_SCRIPT, "sh", String(inode)]);
  const at = out?.indexOf("@@\n") ?? -1;
  if (out === null || at < 0) return null;
  const peers = innerPeerProcesses({ fds: out.slice(0, at), status: out.slice(at + 3) });
  return peers.length > 0 ? peers : null;
}

/**
 * The value of `name` in the text of `/proc/<pid>/environ` (NUL-separated), or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(innerEnvironValue("HOME=/root\0CODEX_THREAD_ID=0199\0", "CODEX_THREAD_ID"), "0199");
 * ```
 */
export function innerEnvironValue(environ: string, name: string): string | null {
  for (const entry of environ.split("\0")) {
    if (entry.startsWith(`${name}=`)) return entry.slice(name.length + 1);
  }
  return null;
}

/** The variable `name` of process `pid`'s environment (as it started), or null (Linux only). */
export async function environValue(pid: number, name: string): Promise<string | null> {
  if (Deno.build.os !== "linux" || !Number.isSafeInteger(pid) || pid <= 0) return null;
  const environ = await stdoutOf("cat", [`/proc/${pid}/environ`]);
  return environ === null ? null : innerEnvironValue(environ, name);
}
