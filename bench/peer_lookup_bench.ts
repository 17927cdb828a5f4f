/**
 * `deno run --allow-all bench/peer_lookup_bench.ts [runs] [extra-processes] [proc|lsof]`: how long
 * the supervisor takes to tell who opened a session (lib/supervisor/session_kind.ts), per loopback
 * connection: by default this platform's way (Linux: `/proc/net/tcp`, the holders of the socket
 * among `/proc/*\/fd`, every process's parent; macOS: lsof and ps), or the one named (`lsof` on
 * Linux measures the macOS way). With `extra-processes`, that many idle processes (each with a few
 * descriptors) run meanwhile, to see how the lookup grows with the process table. Prints the
 * median, p90 and max in milliseconds.
 *
 * @module
 */

import { stdoutOf } from "../lib/base/process.ts";
import { type PeerLookup, peerLookupSetting } from "../lib/supervisor/peer_lookup.ts";
import { sessionOrigin } from "../lib/supervisor/session_kind.ts";

/** The median, p90 and max of `runs` lookups of a fresh loopback connection's peer, `via` a way. */
export async function peerLookupMs(
  runs: number,
  via: PeerLookup | null = null,
): Promise<{ median: number; p90: number; max: number }> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    using _client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    using server = await listener.accept();
    const begin = performance.now();
    const origin = await sessionOrigin(server.localAddr, server.remoteAddr, {
      appServerPids: [],
      tasks: () => [],
      peerLookup: via,
    });
    times.push(performance.now() - begin);
    if (origin.kind !== "client") throw new Error(`Expected a client session: ${origin.why}`);
    if (via !== null && origin.via !== via) throw new Error(`Looked up with ${origin.via}`);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { median: at(0.5), p90: at(0.9), max: times.at(-1)! };
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 50);
  const extra = Number(Deno.args[1] ?? 0);
  const via = peerLookupSetting({ CODEX_SWARM_PEER_LOOKUP: Deno.args[2] });
  const idle = Array.from(
    { length: extra },
    () =>
      new Deno.Command("sleep", { args: ["600"], stdin: "piped", stdout: "piped", stderr: "piped" })
        .spawn(),
  );
  try {
    const table = await stdoutOf("ps", ["-A", "-o", "pid="]);
    const processes = table?.split("\n").filter((line) => line.trim() !== "").length;
    const { median, p90, max } = await peerLookupMs(runs, via);
    console.log(
      `peer lookup (${via ?? "this platform's way"}), ${runs} connections, ${processes} ` +
        `processes: median ${median.toFixed(1)} ms, ` +
        `p90 ${p90.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    );
  } finally {
    for (const child of idle) child.kill("SIGKILL");
    await Promise.all(idle.map((child) => child.status));
  }
}
