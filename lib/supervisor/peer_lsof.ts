/**
 * The process at the other end of a supervisor connection, and its ancestry, from `lsof` and `ps`:
 * the way that works on macOS (and on Linux, where peer.ts reads `/proc` instead).
 *
 * `lsof -nP -iTCP:<port> -sTCP:ESTABLISHED -F pn` lists each process holding an established TCP
 * socket on the supervisor's port as a `p<pid>` line followed by one `n<local>-><remote>` line per
 * such socket (lsof 4.88 to 4.93.2, as macOS ships, also add an `f<fd>` line before each name: it
 * is skipped). The peer's processes are those holding a socket whose local end is the connection's
 * remote end and whose remote end is the supervisor's; one `ps -A -o pid=,ppid=` listing gives
 * every process's parent, hence each one's ancestry. `-n` and `-P` keep addresses and ports
 * numeric; lsof prints an IPv6 address in brackets (`[::1]:5000`) and a v4-mapped one as IPv4.
 *
 * Nothing the peer controls is read as structure: lsof's field output tags each line, escapes
 * every non-printable character (a newline cannot start a field), and the name of an Internet
 * socket is the kernel's addresses; the command name (field `c`) is not asked for. The `ps` columns
 * are numbers. A process of another user is not listed by lsof for a supervisor that is not root
 * (macOS and Linux hide other users' descriptors): its socket has no holder found, so its session
 * is a task's; such a process cannot read the 0600 token file to authenticate anyway.
 *
 * @example Not run: it needs `lsof` (macOS has it; a Linux machine may not), and a connection (`listener`).
 * ```ts ignore
 * const conn = await listener.accept(); // a TcpListener's: its ends are Deno.NetAddr
 * await lsofPeerProcesses(conn.localAddr, conn.remoteAddr);
 * // [{ pid: 4242, ancestry: [4242, 4100, 3077, 3060, 1], complete: true }], null or "unavailable"
 * ```
 * @module
 */

import { type Endpoint, innerAncestries, type PeerAnswer } from "./peer.ts";
import { stdoutOf } from "../base/process.ts";

/**
 * The lsof to run: macOS ships it as `/usr/sbin/lsof` on its read-only system volume (a program
 * started from the Dock may lack `/usr/sbin` on its PATH); elsewhere it is found on PATH (Debian's
 * `lsof` package installs `/usr/bin/lsof`).
 */
export const LSOF_PROGRAM = Deno.build.os === "darwin" ? "/usr/sbin/lsof" : "lsof";

/**
 * lsof's arguments for the established TCP sockets of `port` (either end), field output with the
 * pid and the name only. The port keeps lsof from printing every socket of the machine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(lsofArgs(38839), ["-nP", "-iTCP:38839", "-sTCP:ESTABLISHED", "-F", "pn"]);
 * ```
 */
export function lsofArgs(port: number): string[] {
  return ["-nP", `-iTCP:${port}`, "-sTCP:ESTABLISHED", "-F", "pn"];
}

/**
 * An address as lsof prints it (`127.0.0.1`, `[::1]`, `[::ffff:127.0.0.1]`) or Deno reports it
 * (`::1`), in one form: IPv6 lower-case without brackets, a v4-mapped address as IPv4.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(innerHostKey("[::FFFF:127.0.0.1]"), "127.0.0.1");
 * ```
 */
export function innerHostKey(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1] ?? bare;
}

/** An address with its port, as lsof prints one end: IPv4, or IPv6 in brackets. */
const LSOF_END = String.raw`(\d+\.\d+\.\d+\.\d+|\[[0-9A-Fa-f:.]+\]):(\d+)`;
/** An established connection's name: `<local>-><remote>`, nothing before or after. */
const LSOF_CONNECTION = new RegExp(`^${LSOF_END}->${LSOF_END}$`);

/**
 * The two ends of a TCP socket from lsof's name field (`n` without its tag), or null for anything
 * else (a listening socket, a name lsof could not format).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(innerLsofConnection("[::1]:60420->[::1]:38871"), {
 *   local: { hostname: "::1", port: 60420 },
 *   remote: { hostname: "::1", port: 38871 },
 * });
 * ```
 */
export function innerLsofConnection(name: string): { local: Endpoint; remote: Endpoint } | null {
  const match = LSOF_CONNECTION.exec(name);
  if (!match) return null;
  return {
    local: { hostname: innerHostKey(match[1]!), port: Number(match[2]) },
    remote: { hostname: innerHostKey(match[3]!), port: Number(match[4]) },
  };
}

/**
 * The pids that hold a socket whose local end is `local` and remote end is `remote`, each once,
 * from lsof's field output (`-F pn`, lines ending in a newline; other fields are skipped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const loop = (port: number) => ({ hostname: "127.0.0.1", port });
 * assert.deepEqual(innerLsofHolders("p42\nf3\nn127.0.0.1:5000->127.0.0.1:8000\n", loop(5000), loop(8000)), [42]);
 * ```
 */
export function innerLsofHolders(text: string, local: Endpoint, remote: Endpoint): number[] {
  const same = (a: Endpoint, b: Endpoint) =>
    a.port === b.port && a.hostname === innerHostKey(b.hostname);
  const holders = new Set<number>();
  let pid: number | null = null;
  for (const line of text.split("\n")) {
    const value = line.slice(1);
    if (line.startsWith("p")) {
      // A process set begins: its files follow until the next one.
      pid = /^\d+$/.test(value) ? Number(value) : null;
    } else if (line.startsWith("n") && pid !== null) {
      const ends = innerLsofConnection(value);
      if (ends && same(ends.local, local) && same(ends.remote, remote)) holders.add(pid);
    }
  }
  return [...holders];
}

/**
 * Every process's parent from `ps -A -o pid=,ppid=` (two numbers a line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(innerPsParents("    1     0\n 4242  4100\n"), new Map([[1, 0], [4242, 4100]]));
 * ```
 */
export function innerPsParents(text: string): Map<number, number> {
  const parents = new Map<number, number>();
  for (const match of text.matchAll(/^\s*(\d+)\s+(\d+)\s*$/gm)) {
    parents.set(Number(match[1]), Number(match[2]));
  }
  return parents;
}

/**
 * The processes at the other end of a loopback TCP connection the supervisor accepted (`local` is
 * its own end), with their ancestry, from lsof and ps: null when it cannot tell (no process found
 * holding the socket, `ps` cannot run), `"unavailable"` when lsof cannot run here. The two run at
 * once: a process that starts between them holding the socket has no parent listed, and its chain
 * is not complete.
 */
export async function lsofPeerProcesses(local: Endpoint, remote: Endpoint): Promise<PeerAnswer> {
  const [sockets, table] = await Promise.all([
    stdoutOf(LSOF_PROGRAM, lsofArgs(local.port)),
    stdoutOf("ps", ["-A", "-o", "pid=,ppid="]),
  ]);
  if (sockets === null) return "unavailable";
  // The peer's socket: its local end is our remote end.
  const holders = innerLsofHolders(sockets, remote, local);
  if (holders.length === 0 || table === null) return null;
  return innerAncestries(holders, innerPsParents(table));
}
