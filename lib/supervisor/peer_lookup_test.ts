import assert from "node:assert/strict";
import { stdoutOf } from "./peer.ts";
import { LSOF_PROGRAM } from "./peer_lsof.ts";
import { findPeer, innerPeerLookups, peerLookupSetting } from "./peer_lookup.ts";

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
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    using _client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    using server = await listener.accept();
    const ends = [server.localAddr, server.remoteAddr] as const;
    const lsof = await stdoutOf(LSOF_PROGRAM, ["-v"]) !== null;
    const found = await findPeer(...ends);
    if (Deno.build.os === "linux") assert.equal(found.via, "proc");
    else assert.equal(found.via, lsof ? "lsof" : null);
    if (found.via !== null) assert.deepEqual(found.peers?.map((p) => p.pid), [Deno.pid]);

    // Forced: the way asked for, or none where it cannot be read.
    const forced = await findPeer(...ends, { via: "lsof" });
    if (!lsof) {
      console.log(`Skipped the forced lsof lookup: ${LSOF_PROGRAM} cannot run here`);
      assert.deepEqual(forced, { via: null, peers: null });
    } else {
      assert.equal(forced.via, "lsof");
      assert.deepEqual(forced.peers?.map((p) => p.pid), [Deno.pid]);
    }
    const proc = await findPeer(...ends, { via: "proc" });
    assert.equal(proc.via, Deno.build.os === "linux" ? "proc" : null);
  },
});

Deno.test({
  name: "findPeer on Linux: lsof when /proc cannot be read, none when neither can",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const lsof = await stdoutOf("sh", ["-c", "command -v lsof"]);
    if (!lsof) {
      console.log("Skipped: lsof cannot run here (install the lsof package)");
      return;
    }
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    using _client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    using server = await listener.accept();
    // A PATH with lsof and ps but no cat: /proc/net/tcp cannot be read, so lsof answers.
    const bin = await Deno.makeTempDir({ prefix: "peer-path-" });
    const path = Deno.env.get("PATH");
    try {
      await Deno.symlink(lsof.trim(), `${bin}/lsof`);
      const ps = (await stdoutOf("sh", ["-c", "command -v ps"]))!.trim();
      await Deno.symlink(ps, `${bin}/ps`);
      Deno.env.set("PATH", bin);
      const found = await findPeer(server.localAddr, server.remoteAddr);
      assert.equal(found.via, "lsof");
      assert.deepEqual(found.peers?.map((p) => p.pid), [Deno.pid]);
      await Deno.remove(`${bin}/lsof`);
      assert.deepEqual(await findPeer(server.localAddr, server.remoteAddr), {
        via: null,
        peers: null,
      });
    } finally {
      if (path === undefined) Deno.env.delete("PATH");
      else Deno.env.set("PATH", path);
      await Deno.remove(bin, { recursive: true });
    }
  },
});
