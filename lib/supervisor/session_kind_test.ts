import assert from "node:assert/strict";
import type { TaskSnapshot } from "../tasks/task.ts";
import { jsonWithPath, lsofMissing } from "../../tests/support/loopback.ts";
import type { PeerLookup } from "./peer_lookup.ts";
import {
  innerPeerVerdict,
  innerTaskOfThread,
  type SessionOrigin,
  sessionOrigin,
} from "./session_kind.ts";

const APP_SERVER = 3077;
const LOOPBACK = import.meta.resolve("../../tests/support/loopback.ts");
/**
 * A child Deno's origins of its own loopback connection by each of `ways`: its parent taken for no
 * app-server, then for one. It prints its pid and the origins.
 */
const ownOrigins = (ways: PeerLookup[]) => `
import { sessionOrigin } from ${JSON.stringify(import.meta.resolve("./session_kind.ts"))};
import { loopbackPair } from ${JSON.stringify(LOOPBACK)};
using pair = await loopbackPair();
const origins = [];
for (const peerLookup of ${JSON.stringify(ways)}) {
  for (const appServerPids of [[], [Deno.ppid]]) {
    const ends = [pair.server.localAddr, pair.server.remoteAddr];
    origins.push(await sessionOrigin(...ends, { appServerPids, tasks: () => [], peerLookup }));
  }
}
console.log(JSON.stringify({ pid: Deno.pid, origins }));
`;
/** A child Deno's origin of its own loopback connection (macOS: only /proc is tried). */
const OWN_ORIGIN = `
import { sessionOrigin } from ${JSON.stringify(import.meta.resolve("./session_kind.ts"))};
import { loopbackPair } from ${JSON.stringify(LOOPBACK)};
using pair = await loopbackPair();
const origin = await sessionOrigin(pair.server.localAddr, pair.server.remoteAddr, {
  appServerPids: [],
  tasks: () => [],
  peerLookup: ${JSON.stringify(Deno.build.os === "darwin" ? "proc" : null)},
});
console.log(JSON.stringify(origin));
`;

Deno.test("innerPeerVerdict: a process below an app-server opens a task session", () => {
  // A command in Codex's sandbox: front-end 3802 < sh 3801 < sandbox 3796 < app-server 3077.
  const front = { pid: 3802, ancestry: [3802, 3801, 3796, 3077, 3060, 1], complete: true };
  assert.deepEqual(innerPeerVerdict([front], [APP_SERVER]), {
    kind: "task",
    why: "pid 3802 descends from app-server 3077",
    commandPid: 3796,
  });
  // One holder of the socket below an app-server is enough, whatever the others are.
  const outside = { pid: 500, ancestry: [500, 1], complete: true };
  assert.equal(innerPeerVerdict([outside, front], [11, APP_SERVER]).kind, "task");
  assert.deepEqual(
    innerPeerVerdict([{ pid: APP_SERVER, ancestry: [APP_SERVER, 1], complete: true }], [
      APP_SERVER,
    ]),
    { kind: "task", why: "pid 3077 is app-server 3077", commandPid: null },
  );
});

Deno.test("innerPeerVerdict: a client only when every holder's whole ancestry is known", () => {
  const client = { pid: 500, ancestry: [500, 400, 1], complete: true };
  assert.deepEqual(innerPeerVerdict([client], [APP_SERVER]), {
    kind: "client",
    why: "pid 500 descends from no app-server",
    commandPid: null,
  });
  assert.equal(innerPeerVerdict([client], []).kind, "client", "no app-server runs");
  // A chain that breaks off might have run through an app-server: cannot tell.
  const broken = { pid: 9, ancestry: [9, 8], complete: false };
  assert.deepEqual(innerPeerVerdict([client, broken], [APP_SERVER]), {
    kind: "task",
    why: "cannot tell: the parents of pid 9 end at pid 8",
    commandPid: null,
  });
  for (const none of [null, []]) {
    assert.deepEqual(innerPeerVerdict(none, [APP_SERVER]), {
      kind: "task",
      why: "cannot tell: no process found holding its socket",
      commandPid: null,
    });
  }
});

function task(id: string, threadId: string | null, phase: string, createdAt: string) {
  return { meta: { id, threadId, phase, createdAt } } as unknown as TaskSnapshot;
}

Deno.test("innerTaskOfThread: the running task of the thread, else its newest", () => {
  const tasks = [
    task("reply2", "t-1", "completed", "2026-12-06T10:02:00Z"),
    task("reply1", "t-1", "running", "2026-12-06T10:01:00Z"),
    task("first", "t-1", "completed", "2026-12-06T10:00:00Z"),
    task("other", "t-2", "completed", "2026-12-06T09:00:00Z"),
    task("queued", null, "queued", "2026-12-06T11:00:00Z"),
  ];
  assert.equal(innerTaskOfThread(tasks, "t-1"), "reply1");
  assert.equal(innerTaskOfThread(tasks.filter((t) => t.meta.id !== "reply1"), "t-1"), "reply2");
  assert.equal(innerTaskOfThread(tasks, "t-2"), "other");
  assert.equal(innerTaskOfThread(tasks, "t-3"), null);
});

Deno.test("sessionOrigin: the Unix socket's peer cannot be told, so it is a task's", async () => {
  const origin = await sessionOrigin(
    { transport: "unix", path: "/tmp/sock" },
    { transport: "unix", path: "" },
    { appServerPids: [], tasks: () => [] },
  );
  assert.deepEqual(origin, {
    kind: "task",
    taskId: null,
    why: "cannot tell over the Unix socket",
    via: null,
  });
});

Deno.test({
  name: "sessionOrigin: a process at the other end is a client, or a task below an app-server",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const missing = await lsofMissing();
    if (missing !== null) console.log(`Skipped the lsof way: ${missing}`);
    const ways = [
      ...(Deno.build.os === "linux" ? ["proc" as const] : []),
      ...(missing === null ? ["lsof" as const] : []),
    ];
    // In a child, which spawns nothing else meanwhile (a program that another test file spawns
    // holds this process's sockets from fork to exec). Were this process (the child's parent) an
    // app-server, the child would be one of its commands.
    const { pid, origins } = await jsonWithPath(Deno.env.get("PATH") ?? "", ownOrigins(ways)) as {
      pid: number;
      origins: SessionOrigin[];
    };
    assert.equal(origins.length, 2 * ways.length);
    for (const [i, via] of ways.entries()) {
      for (const [j, { ancestry, ...found }] of origins.slice(2 * i, 2 * i + 2).entries()) {
        // The peer, then its parent (top's terminal is looked up there).
        assert.deepEqual(ancestry?.slice(0, 2), [pid, Deno.pid], via);
        assert.deepEqual(
          found,
          j === 0
            ? { kind: "client", taskId: null, why: `pid ${pid} descends from no app-server`, via }
            : {
              kind: "task",
              taskId: null,
              why: `pid ${pid} descends from app-server ${Deno.pid}`,
              via,
            },
        );
      }
    }
  },
});

Deno.test({
  name: "sessionOrigin: where no way can be read, it cannot tell, and the session is a task's",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    // An empty PATH: neither cat (for /proc) nor lsof can run (macOS runs /usr/sbin/lsof, so
    // only /proc is tried there). The lookup runs in a child with that PATH (see jsonWithPath).
    const empty = await Deno.makeTempDir({ prefix: "peer-path-" });
    try {
      const origin = await jsonWithPath(empty, OWN_ORIGIN);
      assert.deepEqual(origin, {
        kind: "task",
        taskId: null,
        why: `cannot tell on ${Deno.build.os}: neither /proc nor lsof can be read`,
        via: null,
      });
    } finally {
      await Deno.remove(empty);
    }
  },
});
