import assert from "node:assert/strict";
import { loopbackPair, lsofMissing, withoutChildren } from "../../tests/support/loopback.ts";
import {
  innerHostKey,
  innerLsofConnection,
  innerLsofHolders,
  innerPsParents,
  lsofArgs,
  lsofPeerProcesses,
} from "./peer_lsof.ts";

const loop = (port: number) => ({ hostname: "127.0.0.1", port });

// Recorded on Linux 6.18 with lsof 4.95.0 (`lsof -nP -iTCP:45949 -sTCP:ESTABLISHED -F pn`): a
// supervisor (25281) on 127.0.0.1:45949 accepted two connections. The first from bash (25287),
// whose child sleep (25288) inherited the socket: two holders; the second from an AF_INET6 socket
// of python (25289) connected to ::ffff:127.0.0.1, which lsof prints as IPv4.
const LINUX_V4 = "p25281\nn127.0.0.1:45949->127.0.0.1:54720\nn127.0.0.1:45949->127.0.0.1:54730\n" +
  "p25287\nn127.0.0.1:54720->127.0.0.1:45949\np25288\nn127.0.0.1:54720->127.0.0.1:45949\n" +
  "p25289\nn127.0.0.1:54730->127.0.0.1:45949\n";
// Recorded the same way (`ps -A -o pid=,ppid=`, the lines of those processes' ancestry and a few
// others): the test runner 25278 < 25277 < 22544 < 22543 < 1.
const LINUX_PS = "    1     0\n    2     0\n 1103     1\n22543     1\n22544 22543\n" +
  "25277 22544\n25278 25277\n25281 25278\n25287 25281\n25288 25287\n25289 25281\n";
// Recorded the same way: one process connected to itself over [::1] (port 43313 listens).
const LINUX_V6 = "p25281\nn[::1]:38086->[::1]:43313\nn[::1]:43313->[::1]:38086\n";
// macOS-shaped, written from lsof's documented field output: lsof 4.88 to 4.93.2 (macOS ships
// 4.91) print an `f` field before each file's name, unasked. Supervisor 812 on 127.0.0.1:61234; a
// front-end (1377) and a client over [::1] to another listener (1400) on the same port.
const MACOS = "p812\nf7\nn127.0.0.1:61234->127.0.0.1:52011\np1377\nf9\n" +
  "n127.0.0.1:52011->127.0.0.1:61234\nf10\nn127.0.0.1:52011->127.0.0.1:61234\np1400\nf4\n" +
  "n[::1]:52100->[::1]:61234\n";

Deno.test("lsofArgs: established TCP sockets of the one port, pid and name fields only", () => {
  assert.deepEqual(lsofArgs(45949), ["-nP", "-iTCP:45949", "-sTCP:ESTABLISHED", "-F", "pn"]);
  // No command name (`c`): nothing the peer names is read.
  assert.ok(!lsofArgs(1).some((arg) => /^-F.*c/.test(arg) || arg === "c"));
});

Deno.test("innerHostKey: brackets off, IPv6 lower-case, v4-mapped as IPv4", () => {
  assert.equal(innerHostKey("127.0.0.1"), "127.0.0.1");
  assert.equal(innerHostKey("[::1]"), "::1");
  assert.equal(innerHostKey("::1"), "::1");
  assert.equal(innerHostKey("[FE80::1]"), "fe80::1");
  assert.equal(innerHostKey("[::ffff:127.0.0.1]"), "127.0.0.1");
  assert.equal(innerHostKey("::FFFF:127.0.0.1"), "127.0.0.1");
});

Deno.test("innerLsofConnection reads both ends of an established socket, nothing else", () => {
  assert.deepEqual(innerLsofConnection("127.0.0.1:54720->127.0.0.1:45949"), {
    local: loop(54720),
    remote: loop(45949),
  });
  assert.deepEqual(innerLsofConnection("[::1]:38086->[::1]:43313"), {
    local: { hostname: "::1", port: 38086 },
    remote: { hostname: "::1", port: 43313 },
  });
  for (
    const name of [
      "127.0.0.1:45949", // listening
      "*:45949",
      "127.0.0.1:1->127.0.0.1:2 (ESTABLISHED)", // normal output, not field output
      "x127.0.0.1:1->127.0.0.1:2",
      "127.0.0.1:1->127.0.0.1:2->127.0.0.1:3",
      "localhost:1->localhost:2", // without -n
      "",
    ]
  ) {
    assert.equal(innerLsofConnection(name), null, name);
  }
});

Deno.test("innerLsofHolders: the holders of the peer's socket, by its ends, not ours", () => {
  // The bash connection: its local end is the supervisor's remote end; two holders.
  assert.deepEqual(innerLsofHolders(LINUX_V4, loop(54720), loop(45949)), [25287, 25288]);
  // The v4-mapped socket, as Deno reports the supervisor's ends (IPv4).
  assert.deepEqual(innerLsofHolders(LINUX_V4, loop(54730), loop(45949)), [25289]);
  // The supervisor's own end, looked up the other way round.
  assert.deepEqual(innerLsofHolders(LINUX_V4, loop(45949), loop(54720)), [25281]);
  assert.deepEqual(innerLsofHolders(LINUX_V4, loop(54720), loop(1)), [], "another port");
  assert.deepEqual(
    innerLsofHolders(LINUX_V4, { hostname: "127.0.0.2", port: 54720 }, loop(45949)),
    [],
    "another address",
  );
  const v6 = (port: number) => ({ hostname: "::1", port });
  assert.deepEqual(innerLsofHolders(LINUX_V6, v6(38086), v6(43313)), [25281]);
  assert.deepEqual(innerLsofHolders(LINUX_V6, loop(38086), loop(43313)), [], "not IPv4");
  // macOS: `f` lines skipped; a process holding the socket twice is listed once.
  assert.deepEqual(innerLsofHolders(MACOS, loop(52011), loop(61234)), [1377]);
  assert.deepEqual(innerLsofHolders(MACOS, v6(52100), v6(61234)), [1400]);
  assert.deepEqual(innerLsofHolders("", loop(1), loop(2)), []);
});

Deno.test("innerLsofHolders: a name belongs to the process set it follows, if valid", () => {
  const name = "n127.0.0.1:5000->127.0.0.1:8000";
  // Before any process set, or after a `p` field that is not a pid: nobody's.
  assert.deepEqual(innerLsofHolders(`${name}\n`, loop(5000), loop(8000)), []);
  assert.deepEqual(innerLsofHolders(`p42\npx\n${name}\n`, loop(5000), loop(8000)), []);
  // NUL-terminated fields (`-F pn0`) are not what is asked for: nothing matches.
  assert.deepEqual(innerLsofHolders(`p42\0\n${name}\0\n`, loop(5000), loop(8000)), []);
  assert.deepEqual(innerLsofHolders(`p42\n${name}\n`, loop(5000), loop(8000)), [42]);
});

Deno.test("innerPsParents: every pid with its parent", () => {
  const parents = innerPsParents(LINUX_PS);
  assert.equal(parents.size, 11);
  assert.equal(parents.get(1), 0);
  assert.equal(parents.get(25288), 25287);
  assert.equal(parents.get(22543), 1);
  // macOS's ps pads the same way; anything that is not two numbers is skipped.
  assert.deepEqual(
    [...innerPsParents("    1     0\n  812     1\nPID PPID\n 1377  812 x\n\n").entries()],
    [[1, 0], [812, 1]],
  );
});

Deno.test({
  name: "lsofPeerProcesses finds the holders of a real loopback connection, with their ancestry",
  fn: async () => {
    const missing = await lsofMissing();
    if (missing !== null) {
      console.log(`Skipped: ${missing}`);
      return;
    }
    using pair = await loopbackPair();
    const { listener, client, server } = pair;
    const found = await lsofPeerProcesses(server.localAddr, server.remoteAddr);
    assert.ok(Array.isArray(found), `found: ${found}`);
    const peers = withoutChildren(found); // (a program another test file spawns, for a moment)
    assert.deepEqual(peers, [{ pid: Deno.pid, ancestry: peers[0]!.ancestry, complete: true }]);
    assert.equal(peers[0]!.ancestry[1], Deno.ppid, "its parent");
    assert.equal(peers[0]!.ancestry.at(-1), 1, "up to pid 1");
    // From the client's side the peer is this process too; a port no one uses: cannot tell.
    const back = await lsofPeerProcesses(client.localAddr, client.remoteAddr);
    assert.deepEqual(Array.isArray(back) && withoutChildren(back).map((p) => p.pid), [Deno.pid]);
    assert.equal(
      await lsofPeerProcesses(server.localAddr, { ...server.remoteAddr, port: 1 }),
      null,
    );

    // Two holders: a shell that opened the connection, and its child that inherited it.
    const shell = new Deno.Command("bash", {
      args: ["-c", `exec 3<>/dev/tcp/127.0.0.1/${listener.addr.port}; sleep 60 & echo $!; wait`],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const output = shell.stdout.getReader();
    let sleepPid = 0;
    try {
      using conn = await listener.accept();
      sleepPid = Number(new TextDecoder().decode((await output.read()).value).trim());
      const held = await lsofPeerProcesses(conn.localAddr, conn.remoteAddr);
      assert.ok(Array.isArray(held), `found: ${held}`);
      const byPid = new Map(held.map((p) => [p.pid, p]));
      assert.deepEqual([...byPid.keys()].sort(), [shell.pid, sleepPid].sort());
      assert.deepEqual(byPid.get(sleepPid)!.ancestry.slice(0, 4), [
        sleepPid,
        shell.pid,
        Deno.pid,
        Deno.ppid,
      ]);
      assert.ok(held.every((p) => p.complete && p.ancestry.at(-1) === 1));
    } finally {
      if (sleepPid > 0) Deno.kill(sleepPid, "SIGKILL");
      shell.kill("SIGKILL");
      await shell.status;
      await output.cancel();
    }
  },
});
