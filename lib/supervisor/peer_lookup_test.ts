import assert from "node:assert/strict";
import {
  jsonWithPath,
  loopbackPair,
  lsofMissing,
  withoutChildren,
} from "../../tests/support/loopback.ts";
import type { PeerProcess } from "./peer.ts";
import { stdoutOf } from "../base/process.ts";
import { findPeer, innerPeerLookups, type PeerFound, peerLookupSetting } from "./peer_lookup.ts";

/** A child Deno's lookup of its own loopback connection's peer: it prints its pid and the answer. */
const FIND_OWN_PEER = `
import { findPeer } from ${JSON.stringify(import.meta.resolve("./peer_lookup.ts"))};
import { loopbackPair } from ${
  JSON.stringify(import.meta.resolve("../../tests/support/loopback.ts"))
};
using pair = await loopbackPair();
const found = await findPeer(pair.server.localAddr, pair.server.remoteAddr);
console.log(JSON.stringify({ pid: Deno.pid, found }));
`;

Deno.test("innerPeerLookups: /proc then lsof on Linux, lsof on macOS, none on Windows", () => {
  assert.deepEqual(innerPeerLookups("linux", null), ["proc", "lsof"]);
  assert.deepEqual(innerPeerLookups("darwin", null), ["lsof"]);
  assert.deepEqual(innerPeerLookups("freebsd", null), ["lsof"]);
  assert.deepEqual(innerPeerLookups("windows", null), []);
  assert.deepEqual(innerPeerLookups("linux", "lsof"), ["lsof"], "forced");
  assert.deepEqual(innerPeerLookups("darwin", "proc"), ["proc"], "forced");
});

Deno.test("peerLookupSetting: CODEX_SWARM_PEER_LOOKUP forces proc or lsof, nothing else", () => {
  assert.equal(peerLookupSetting({ CODEX_SWARM_PEER_LOOKUP: "lsof" }), "lsof");
  assert.equal(peerLookupSetting({ CODEX_SWARM_PEER_LOOKUP: "proc" }), "proc");
  assert.equal(peerLookupSetting({ CODEX_SWARM_PEER_LOOKUP: "LSOF" }), null);
  assert.equal(peerLookupSetting({ CODEX_SWARM_PEER_LOOKUP: "" }), null);
  assert.equal(peerLookupSetting({}), null);
});

Deno.test("findPeer: the Unix socket has no way", async () => {
  assert.deepEqual(
    await findPeer({ transport: "unix", path: "/x" }, { transport: "unix", path: "" }),
    { via: null, peers: null },
  );
});

Deno.test({
  name: "findPeer: this platform's way, or the one forced, finds this process",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    using pair = await loopbackPair();
    const ends = [pair.server.localAddr, pair.server.remoteAddr] as const;
    const missing = await lsofMissing();
    const found = await findPeer(...ends);
    assert.equal(found.via, Deno.build.os === "linux" ? "proc" : missing === null ? "lsof" : null);
    // (Leaving out a program another test file spawns, which holds the socket for a moment.)
    const pids = (peers: PeerProcess[] | null) => peers && withoutChildren(peers).map((p) => p.pid);
    if (found.via !== null) assert.deepEqual(pids(found.peers), [Deno.pid]);

    // Forced: the way asked for, or none where it cannot be read.
    const forced = await findPeer(...ends, { via: "lsof" });
    if (missing !== null) {
      console.log(`Skipped the forced lsof lookup: ${missing}`);
      assert.deepEqual(forced, { via: null, peers: null });
    } else {
      assert.equal(forced.via, "lsof");
      assert.deepEqual(pids(forced.peers), [Deno.pid]);
    }
    const proc = await findPeer(...ends, { via: "proc" });
    assert.equal(proc.via, Deno.build.os === "linux" ? "proc" : null);
  },
});

Deno.test({
  name: "findPeer on Linux: lsof when /proc cannot be read, none when neither can",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const lsof = (await stdoutOf("sh", ["-c", "command -v lsof"]))?.trim();
    if (!lsof) {
      console.log("Skipped: lsof cannot run here (install the lsof package)");
      return;
    }
    const ps = (await stdoutOf("sh", ["-c", "command -v ps"]))!.trim();
    // A PATH with lsof and ps but no cat: /proc/net/tcp cannot be read, so lsof answers. The
    // lookup runs in a child with that PATH (see jsonWithPath): its peer is the child itself.
    const bin = await Deno.makeTempDir({ prefix: "peer-path-" });
    try {
      await Deno.symlink(lsof, `${bin}/lsof`);
      await Deno.symlink(ps, `${bin}/ps`);
      const lookup = async () =>
        await jsonWithPath(bin, FIND_OWN_PEER) as { pid: number; found: PeerFound };
      const { pid, found } = await lookup();
      assert.equal(found.via, "lsof");
      assert.deepEqual(found.peers?.map((p) => p.pid), [pid]);
      await Deno.remove(`${bin}/lsof`);
      assert.deepEqual((await lookup()).found, { via: null, peers: null });
    } finally {
      await Deno.remove(bin, { recursive: true });
    }
  },
});
