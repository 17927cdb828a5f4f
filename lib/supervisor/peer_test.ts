import assert from "node:assert/strict";
import { loopbackPair, withoutChildren } from "../../tests/support/loopback.ts";
import {
  innerAncestries,
  innerEnvironValue,
  innerPeerProcesses,
  innerProcIpv4,
  innerSocketInode,
  procPeerProcesses,
} from "./peer.ts";

// Recorded on Linux 6.18 (x86_64): a supervisor on 127.0.0.1:38839 accepted a connection from
// 127.0.0.1:33746; the kernel lists both ends (the peer's first, then ours).
const TCP =
  `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   5: 0100007F:97B7 0100007F:83D2 01 00000000:00000000 00:00000000 00000000     0        0 272126 1 000000007473bff8 20 0 0 10 -1
  38: 0100007F:83D2 0100007F:97B7 01 00000000:00000000 00:00000000 00000000     0        0 272125 2 000000004e1b0189 20 0 0 10 -1
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
`;
// Recorded the same way: an AF_INET6 client connected to ::ffff:127.0.0.1, and the server end
// not yet accepted (inode 0).
const TCP6 =
  `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   1: 0000000000000000FFFF00000100007F:DA52 0000000000000000FFFF00000100007F:95E1 01 00000000:00000000 00:00000000 00000000     0        0 272161 2 00000000b7c015e4 20 0 0 10 -1
   2: 0000000000000000FFFF00000100007F:95E1 0000000000000000FFFF00000100007F:DA52 01 00000000:00000000 00:00000000 00000000     0        0 0 1 000000006c4bf5ef 20 0 0 10 -1
`;
const loop = (port: number) => ({ hostname: "127.0.0.1", port });

Deno.test("innerProcIpv4 reads IPv4 and v4-mapped IPv6 in either byte order", () => {
  assert.equal(innerProcIpv4("0100007F", true), "127.0.0.1");
  assert.equal(innerProcIpv4("7F000001", false), "127.0.0.1");
  assert.equal(innerProcIpv4("0200007F", true), "127.0.0.2");
  assert.equal(innerProcIpv4("0000000000000000FFFF00000100007F", true), "127.0.0.1");
  assert.equal(innerProcIpv4("00000000000000000000FFFF7F000001", false), "127.0.0.1");
  assert.equal(innerProcIpv4("00000000000000000000000001000000", true), null, "::1 is not IPv4");
  assert.equal(innerProcIpv4("0100007", true), null);
  assert.equal(innerProcIpv4("zz00007F", true), null);
});

Deno.test("innerSocketInode finds the peer's socket by its ends, not ours", () => {
  // The peer's socket: its local end is our remote end (port 0x83D2 = 33746).
  assert.equal(innerSocketInode(TCP, loop(33746), loop(38839), true), 272125);
  // Our own end, looked up the other way round.
  assert.equal(innerSocketInode(TCP, loop(38839), loop(33746), true), 272126);
  assert.equal(innerSocketInode(TCP, loop(33746), loop(1), true), null, "another port");
  assert.equal(
    innerSocketInode(TCP, { hostname: "127.0.0.2", port: 33746 }, loop(38839), true),
    null,
    "another address",
  );
  assert.equal(innerSocketInode(TCP6, loop(0xDA52), loop(0x95E1), true), 272161, "v4-mapped");
  assert.equal(innerSocketInode(TCP6, loop(0x95E1), loop(0xDA52), true), null, "inode 0");
  assert.equal(innerSocketInode("", loop(1), loop(2), true), null);
});

Deno.test("innerPeerProcesses: the holders of the socket, each with its parents up to pid 1", () => {
  const status = [
    "/proc/1/status:PPid:\t0",
    "/proc/3060/status:PPid:\t1",
    "/proc/3077/status:PPid:\t3060",
    "/proc/3796/status:PPid:\t3077",
    "/proc/3801/status:PPid:\t3796",
    "/proc/3802/status:PPid:\t3801",
  ].join("\n");
  // A front-end (3802) and a child that inherited the socket (two descriptors of one process).
  const fds = "/proc/3802/fd/12\n/proc/3802/fd/14\n/proc/3801/fd/3\n";
  assert.deepEqual(innerPeerProcesses({ fds, status }), [
    { pid: 3802, ancestry: [3802, 3801, 3796, 3077, 3060, 1], complete: true },
    { pid: 3801, ancestry: [3801, 3796, 3077, 3060, 1], complete: true },
  ]);
  // A parent that ended (no status line): the chain breaks off and says so.
  assert.deepEqual(
    innerPeerProcesses({ fds: "/proc/9/fd/3\n", status: "/proc/9/status:PPid:\t8\n" }),
    [{ pid: 9, ancestry: [9, 8], complete: false }],
  );
  // Lines that are not the kernel's paths are ignored.
  assert.deepEqual(
    innerPeerProcesses({ fds: "/proc/x/fd/3\nsocket:[1]\n", status: "" }),
    [],
  );
});

Deno.test("innerAncestries: each holder once, up to pid 1, a parent 0 or a loop", () => {
  const parents = new Map([[1, 0], [7, 1], [42, 7], [43, 42], [8, 9], [9, 8]]);
  assert.deepEqual(innerAncestries([43, 42, 43], parents), [
    { pid: 43, ancestry: [43, 42, 7, 1], complete: true },
    { pid: 42, ancestry: [42, 7, 1], complete: true },
  ]);
  // macOS: launchd (1) has parent 0; a process whose parent is 0 ends there too.
  assert.deepEqual(innerAncestries([5], new Map([[5, 0]])), [
    { pid: 5, ancestry: [5], complete: true },
  ]);
  // A loop (pid reuse between two listings) ends at its first repeat.
  assert.deepEqual(innerAncestries([8], parents), [{ pid: 8, ancestry: [8, 9], complete: true }]);
  // A process with no parent listed (it ended): the chain is not complete.
  assert.deepEqual(innerAncestries([50], new Map([[50, 49]])), [
    { pid: 50, ancestry: [50, 49], complete: false },
  ]);
});

Deno.test("innerEnvironValue reads one variable of a NUL-separated environment", () => {
  const environ = "HOME=/root\0CODEX_THREAD_IDX=no\0CODEX_THREAD_ID=01a2-b3\0PATH=/bin\0";
  assert.equal(innerEnvironValue(environ, "CODEX_THREAD_ID"), "01a2-b3");
  assert.equal(innerEnvironValue(environ, "NOPE"), null);
  assert.equal(innerEnvironValue("", "HOME"), null);
});

Deno.test({
  name: "procPeerProcesses finds this process at the other end of a loopback connection",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    using pair = await loopbackPair();
    const { client, server } = pair;
    const found = await procPeerProcesses(server.localAddr, server.remoteAddr);
    assert.ok(Array.isArray(found), `found: ${found}`);
    const peers = withoutChildren(found); // (a program another test file spawns, for a moment)
    assert.deepEqual(peers.map((p) => p.pid), [Deno.pid]);
    assert.equal(peers[0]!.ancestry[0], Deno.pid);
    assert.equal(peers[0]!.ancestry.at(-1), 1, "up to pid 1");
    assert.ok(peers[0]!.complete);
    // Looked up from the client's side, the peer is this process too.
    const back = await procPeerProcesses(client.localAddr, client.remoteAddr);
    assert.deepEqual(Array.isArray(back) && withoutChildren(back).map((p) => p.pid), [Deno.pid]);
    // Not a connection of this machine: cannot tell.
    assert.equal(
      await procPeerProcesses(server.localAddr, { ...server.remoteAddr, port: 1 }),
      null,
    );
  },
});
