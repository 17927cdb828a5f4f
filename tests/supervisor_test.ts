/**
 * End-to-end: every codex-swarm is a front-end of the one supervisor of its task directory.
 * Sessions (cwd, environment, -c defaults, roots), durability across a killed client and a killed
 * supervisor, versions, idle exit, the socket's files and the TCP fallback, with the real Codex CLI
 * against the fake Responses API.
 */

import assert from "node:assert/strict";
import { coldStartMs } from "../bench/cold_start_bench.ts";
import { parseCli, VERSION } from "../lib/supervisor/cli.ts";
import {
  eventually,
  type Harness,
  initializeLine,
  makeWorld,
  serverPermissions,
  startServer,
  supervisorsOf,
  textOf,
  type World,
} from "./support/harness.ts";
import { HELLO_PROTOCOL } from "../lib/supervisor/hello.ts";
import { innerPeerLookups } from "../lib/supervisor/peer_lookup.ts";
import { RawConnection } from "./support/raw_supervisor.ts";
import { startTask } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../", import.meta.url).pathname;

type ServerInfoView = {
  pid: number;
  warnings: string[];
  supervisor: { pid: number; version: string; socket: string; started_at: string; codex: [] };
  session: { id: string; kind: "client" | "task"; task_id: string | null };
};

async function serverInfo(h: Harness): Promise<ServerInfoView> {
  const read = await h.client.readResource({ uri: "codex-swarm://server-info" });
  return JSON.parse((read.contents[0] as { text: string }).text);
}

async function tempDir(prefix: string): Promise<string> {
  return await Deno.realPath(await Deno.makeTempDir({ prefix }));
}

async function waitFor(h: Harness, id: string) {
  const result = await h.client.callTool(
    { name: "codex_wait", arguments: { task_ids: [id], timeout: 60 } },
    undefined,
    { timeout: 120_000 },
  );
  assert.equal(result.isError, undefined, textOf(result));
  return (result.structuredContent as {
    tasks: Array<{ phase: string; final_message: string | null; failure?: string }>;
  }).tasks[0]!;
}

Deno.test(
  "two clients at once on one supervisor: each task gets its own session's cwd, env and -c model",
  e2e,
  async () => {
    await using world = await makeWorld();
    const dirA = await tempDir("client-a-");
    const dirB = await tempDir("client-b-");
    await using a = await startServer(world, {
      cwd: dirA,
      env: { SWARM_CLIENT_MARK: "alpha" },
      args: ["--skip-git-repo-check", "-c", 'model="model-of-a"'],
    });
    await using b = await startServer(world, {
      cwd: dirB,
      env: { SWARM_CLIENT_MARK: "beta" },
      args: ["--skip-git-repo-check", "-c", 'model="model-of-b"'],
    });
    const [infoA, infoB] = [await serverInfo(a), await serverInfo(b)];
    assert.equal(infoA.supervisor.pid, infoB.supervisor.pid, "one supervisor for both");
    assert.equal(supervisorsOf(world.taskDir).length, 1);

    const run = (h: Harness, tag: string) =>
      h.client.callTool(
        {
          name: "codex",
          arguments: { prompt: `sessions ${tag} RUN=echo "mark=$SWARM_CLIENT_MARK dir=$(pwd)"` },
        },
        undefined,
        { timeout: 120_000 },
      );
    const [ra, rb] = await Promise.all([run(a, "A"), run(b, "B")]);
    assert.match(textOf(ra), new RegExp(`mark=alpha dir=${dirA}\\b`), textOf(ra));
    assert.match(textOf(rb), new RegExp(`mark=beta dir=${dirB}\\b`), textOf(rb));
    const model = (tag: string) =>
      world.fake.requests.find((r) => r.prompt.startsWith(`sessions ${tag} `))?.model;
    assert.equal(model("A"), "model-of-a");
    assert.equal(model("B"), "model-of-b");
    await Deno.remove(dirA, { recursive: true });
    await Deno.remove(dirB, { recursive: true });
  },
);

Deno.test(
  "a client's first MCP root is where its tasks run, also after roots/list_changed",
  e2e,
  async () => {
    await using world = await makeWorld();
    const root = await tempDir("client-root-");
    const roots = [root];
    await using h = await startServer(world, { roots, args: ["--skip-git-repo-check"] });
    const result = await h.client.callTool(
      {
        name: "codex",
        arguments: { prompt: "roots RUN=pwd" },
      },
      undefined,
      { timeout: 120_000 },
    );
    assert.match(textOf(result), new RegExp(`${root}\\b`), textOf(result));
    // The client's roots change: the next task runs in the new first root.
    const next = await tempDir("client-root-next-");
    roots.unshift(next);
    await h.client.sendRootsListChanged();
    const again = await h.client.callTool(
      {
        name: "codex",
        arguments: { prompt: "roots again RUN=pwd" },
      },
      undefined,
      { timeout: 120_000 },
    );
    assert.match(textOf(again), new RegExp(`${next}\\b`), "the task ran in the new first root");
    await Deno.remove(root, { recursive: true });
    await Deno.remove(next, { recursive: true });
  },
);

Deno.test(
  "a client killed with SIGKILL mid-task: a new client collects the result",
  e2e,
  async () => {
    await using world = await makeWorld();
    const first = await startServer(world);
    const id = await startTask(first.client, {
      prompt: "durable RUN=sleep 2; echo survived-the-client",
    });
    const pid = first.transport.pid!;
    Deno.kill(pid, "SIGKILL");
    await first.stop().catch(() => {});
    await using second = await startServer(world);
    const task = await waitFor(second, id);
    assert.equal(task.phase, "completed");
    assert.match(task.final_message ?? "", /survived-the-client/);
  },
);

Deno.test(
  "the supervisor killed with SIGKILL: the front-end starts a new one and the client goes on",
  e2e,
  async () => {
    await using world = await makeWorld();
    await using h = await startServer(world);
    const before = await serverInfo(h);
    // A request in flight when the supervisor dies is answered with an error that says so.
    const pending = h.client.callTool(
      {
        name: "codex",
        arguments: { prompt: "in flight SLEEP=4000" },
      },
      undefined,
      { timeout: 120_000 },
    );
    assert.ok(
      await eventually(() => world.fake.requests.some((r) => r.prompt.includes("in flight"))),
    );
    Deno.kill(before.supervisor.pid, "SIGKILL");
    await assert.rejects(pending, /supervisor went away/);
    const after = await serverInfo(h);
    assert.notEqual(after.supervisor.pid, before.supervisor.pid);
    const result = await h.client.callTool({ name: "codex", arguments: { prompt: "still here" } });
    assert.equal(textOf(result), "MOCK-DONE still here");
    // The task that was running is not lost: it is final, `interrupted`, with its thread and
    // why, and it did not run again by itself.
    const list = await h.client.callTool({ name: "codex_list", arguments: {} });
    const tasks = (list.structuredContent as { tasks: Array<{ task_id: string; phase: string }> })
      .tasks;
    assert.equal(tasks.length, 2, JSON.stringify(tasks));
    const cut = tasks.find((t) => t.phase !== "completed")!;
    const ended = await waitFor(h, cut.task_id);
    assert.equal(ended.phase, "interrupted");
    assert.match(ended.failure ?? "", /stopped while it ran.*codex-reply/);
    assert.equal(world.fake.requests.filter((r) => r.prompt.includes("in flight")).length, 1);
    assert.equal(supervisorsOf(world.taskDir).length, 1);
  },
);

const NEWER = { env: { CODEX_SWARM_PRETEND_VERSION: "99.0.0" } };

/**
 * Starts a task on `old`'s supervisor, then a front-end of version 99.0.0: the busy supervisor
 * serves it and says it will be replaced; once the task is cancelled (through `canceller`, else
 * the newer front-end, `old` stopped first), the newer program takes over.
 * @returns The newer front-end's harness.
 */
async function replacedOnceIdle(
  world: World,
  old: Harness,
  canceller: Harness | null,
): Promise<Harness> {
  const oldInfo = await serverInfo(old);
  const id = await startTask(old.client, { prompt: "busy RUN=sleep 30", timeout_s: 60 });
  if (canceller === null) await old.stop();
  const newer = await startServer(world, NEWER);
  const busy = await serverInfo(newer);
  assert.equal(busy.supervisor.pid, oldInfo.supervisor.pid);
  assert.ok(
    busy.warnings.some((w) => /will be replaced once no task is unfinished/.test(w)),
    JSON.stringify(busy.warnings),
  );
  await (canceller ?? newer).client.callTool({ name: "codex_cancel", arguments: { task_id: id } });
  assert.ok(
    await eventually(async () => {
      try {
        return (await serverInfo(newer)).supervisor.version === "99.0.0";
      } catch {
        return false;
      }
    }, 30_000),
    "the newer supervisor took over",
  );
  return newer;
}

Deno.test(
  "a newer front-end replaces an idle supervisor; a busy one says it will",
  e2e,
  async () => {
    await using world = await makeWorld();
    await using old = await startServer(world);
    const oldInfo = await serverInfo(old);
    assert.equal(oldInfo.supervisor.version, VERSION);

    // Busy: a task runs, so the older supervisor keeps serving and says so; once the task is
    // gone, the newer program takes over, and both clients keep working.
    await using _newer = await replacedOnceIdle(world, old, old);
    const replaced = await serverInfo(old);
    assert.equal(replaced.supervisor.version, "99.0.0");
    assert.notEqual(replaced.supervisor.pid, oldInfo.supervisor.pid);
    const result = await old.client.callTool({ name: "codex", arguments: { prompt: "after" } });
    assert.equal(textOf(result), "MOCK-DONE after");

    // An older front-end never downgrades it.
    await using older = await startServer(world, { env: { CODEX_SWARM_PRETEND_VERSION: "0.0.1" } });
    assert.equal((await serverInfo(older)).supervisor.version, "99.0.0");
    assert.equal(supervisorsOf(world.taskDir).length, 1);
  },
);

Deno.test("a newer front-end replaces an idle supervisor at once", e2e, async () => {
  await using world = await makeWorld();
  await using old = await startServer(world);
  const before = await serverInfo(old);
  await using newer = await startServer(world, NEWER);
  const after = await serverInfo(newer);
  assert.equal(after.supervisor.version, "99.0.0");
  assert.notEqual(after.supervisor.pid, before.supervisor.pid);
  // The old client was moved to the new supervisor without noticing.
  assert.equal((await serverInfo(old)).supervisor.pid, after.supervisor.pid);
});

/**
 * A commit of main whose front-end and supervisor speak hello protocol 1, for the test that a
 * newer front-end still replaces such a supervisor (a shallow clone may lack it).
 */
const PROTOCOL_1_COMMIT = "9602938ec0654291749b0f1f54fe924700b14e67";

/** That commit's tree in a temporary directory, or null (with the reason) when git lacks it. */
async function protocol1Tree(): Promise<{ dir: string } | { missing: string }> {
  const archive = await new Deno.Command("git", {
    args: ["archive", "--format=tar", PROTOCOL_1_COMMIT],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!archive.success) {
    return { missing: new TextDecoder().decode(archive.stderr).trim() };
  }
  const dir = await Deno.makeTempDir({ prefix: "codex-swarm-protocol-1-" });
  const tar = new Deno.Command("tar", { args: ["-x", "-C", dir], stdin: "piped" }).spawn();
  const writer = tar.stdin.getWriter();
  await writer.write(archive.stdout);
  await writer.close();
  assert.ok((await tar.status).success, "tar -x");
  return { dir };
}

Deno.test(
  "a newer front-end replaces a supervisor of hello protocol 1, idle or once idle",
  e2e,
  async () => {
    const tree = await protocol1Tree();
    if ("missing" in tree) {
      console.log(`Skipped: no commit ${PROTOCOL_1_COMMIT} here (${tree.missing})`);
      return;
    }
    await using world = await makeWorld();
    const entry = `${tree.dir}/main.ts`;
    try {
      // Busy: the old supervisor serves the newer front-end (in protocol 1) and says it will go.
      // The old front-end would not be served by the new supervisor: it goes first.
      const old = await startServer(world, { entry });
      await using next = await replacedOnceIdle(world, old, null);
      const result = await next.client.callTool({ name: "codex", arguments: { prompt: "after" } });
      assert.equal(textOf(result), "MOCK-DONE after");
      await next.stop();
      await world.stopSupervisor();

      // Idle: it retires at once for the newer front-end, which starts its own.
      const again = await startServer(world, { entry });
      const before = await serverInfo(again);
      await again.stop();
      await using taker = await startServer(world, NEWER);
      const after = await serverInfo(taker);
      assert.equal(after.supervisor.version, "99.0.0");
      assert.notEqual(after.supervisor.pid, before.supervisor.pid);
      assert.equal(supervisorsOf(world.taskDir).length, 1);
    } finally {
      await Deno.remove(tree.dir, { recursive: true });
    }
  },
);

Deno.test("machine-wide flags that differ are named in the log and server-info", e2e, async () => {
  await using world = await makeWorld();
  await using first = await startServer(world, { args: ["--max-parallel", "3"] });
  await using second = await startServer(world, { args: ["--max-parallel", "5"] });
  assert.deepEqual((await serverInfo(first)).warnings, []);
  const warnings = (await serverInfo(second)).warnings;
  assert.ok(
    warnings.some((w) =>
      w.startsWith("--max-parallel is 5 for this client but the running supervisor has 3")
    ),
    JSON.stringify(warnings),
  );
  assert.match(await Deno.readTextFile(world.logFile), /--max-parallel is 5 for this client/);
});

Deno.test("the supervisor exits after --idle-exit with no client and no task", e2e, async () => {
  await using world = await makeWorld();
  const h = await startServer(world, { env: { CODEX_SWARM_IDLE_EXIT: "1" } });
  const info = await serverInfo(h);
  await h.stop();
  assert.ok(await eventually(() => supervisorsOf(world.taskDir).length === 0, 15_000));
  assert.equal(world.supervisorInfo(), null, "info.json is removed");
  assert.match(await Deno.readTextFile(world.logFile), /no client and no unfinished task for 1 s/);
  assert.ok(info.supervisor.pid > 0);
});

Deno.test("Unix socket: directory 0700, socket and files 0600", e2e, async () => {
  await using world = await makeWorld();
  await using h = await startServer(world, { unixSocket: true });
  const info = await serverInfo(h);
  const sock = `${world.supervisorDir}/sock`;
  assert.equal(info.supervisor.socket, sock);
  assert.equal(world.supervisorInfo()?.unix, sock);
  assert.equal((await Deno.stat(world.supervisorDir)).mode! & 0o777, 0o700);
  const st = await Deno.stat(sock);
  assert.ok(st.isSocket, "a socket");
  assert.equal(st.mode! & 0o777, 0o600);
  for (const file of ["token", "info.json"]) {
    assert.equal((await Deno.stat(`${world.supervisorDir}/${file}`)).mode! & 0o777, 0o600, file);
  }
  // A front-end connects over TCP even when it may use the socket wherever the supervisor can
  // find the peer process there (/proc on Linux, lsof on macOS) and tell a client from a task's.
  const tcpKind = innerPeerLookups(Deno.build.os, null).length > 0 ? "client" : "task";
  assert.equal(info.session.kind, tcpKind);
  // A second front-end without the socket's permission uses the TCP fallback, same supervisor.
  await using tcp = await startServer(world);
  assert.equal((await serverInfo(tcp)).supervisor.pid, info.supervisor.pid);
  const result = await h.client.callTool({ name: "codex", arguments: { prompt: "over unix" } });
  assert.equal(textOf(result), "MOCK-DONE over unix");
  // The socket has the port's limits: 4 KB for the first line, and it proves nothing there.
  const long = await RawConnection.open(world, true);
  await long.write(new Uint8Array(5 * 1024 * 1024).fill(0x78)).catch(() => {});
  assert.match((await long.readLine()) ?? "", /first line: it is longer than 4096 bytes/);
  long.close();
  const raw = await RawConnection.open(world, true);
  await raw.sendLine(JSON.stringify(await raw.authLine()));
  assert.deepEqual(JSON.parse((await raw.readLine())!), { codex_swarm_auth: 2 });
  raw.close();
  // Its peer cannot be found over the Unix socket: even this test's own hello is a task's there,
  // and a client's over TCP (where /proc or lsof names the peer: Linux, macOS).
  const parsed = parseCli([], world.env);
  assert.equal(parsed.kind, "run");
  const config = parsed.kind === "run" ? parsed.config : null;
  const overUnix = await rawHello(world, true, config);
  assert.equal(overUnix.ok, true, JSON.stringify(overUnix));
  assert.equal(overUnix.session_kind, "task");
  const overTcp = await rawHello(world, false, config);
  assert.equal(overTcp.session_kind, tcpKind);
});

Deno.test(
  "TCP fallback: loopback port, a token in a 0600 file, a wrong token refused",
  e2e,
  async () => {
    await using world = await makeWorld();
    await using h = await startServer(world, { env: { CODEX_SWARM_SUPERVISOR_TCP: "1" } });
    const info = world.supervisorInfo()!;
    assert.equal(info.unix, null);
    assert.equal((await serverInfo(h)).supervisor.socket, `tcp://127.0.0.1:${info.port}`);
    assert.equal((await Deno.stat(`${world.supervisorDir}/token`)).mode! & 0o777, 0o600);
    // A process that reads the port from info.json but has not the token is refused before it
    // sends anything else; the supervisor proves nothing to it.
    const wrong = await RawConnection.open(world);
    await wrong.sendLine(JSON.stringify(await wrong.authLine("not-the-token")));
    const reply = JSON.parse((await wrong.readLine())!);
    assert.equal(reply.ok, false);
    assert.match(String(reply.error), /proof of the token is wrong/);
    assert.equal(reply.proof, undefined);
    assert.equal(await wrong.readLine(), null, "the connection is closed");
    wrong.close();
    const result = await h.client.callTool({ name: "codex", arguments: { prompt: "over tcp" } });
    assert.equal(textOf(result), "MOCK-DONE over tcp");
  },
);

/** A hello over a raw connection (the port, or the Unix socket), after the auth line. */
async function rawHello(
  world: World,
  unix: boolean,
  config: unknown,
): Promise<Record<string, unknown>> {
  const raw = await RawConnection.open(world, unix);
  await raw.sendLine(JSON.stringify(await raw.authLine()));
  await raw.readLine();
  const hello = {
    codex_swarm_hello: HELLO_PROTOCOL,
    version: VERSION,
    pid: Deno.pid,
    cwd: "/",
    env: {},
    config,
  };
  await raw.sendLine(JSON.stringify(hello));
  const reply = JSON.parse((await raw.readLine())!);
  raw.close();
  return reply;
}

Deno.test(
  "front-end: cold start to the initialize answer; it exits when stdin closes and on SIGTERM",
  e2e,
  async () => {
    await using world: World = await makeWorld();
    await using h = await startServer(world);
    await serverInfo(h);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await coldStartMs(world.env));
    times.sort((a, b) => a - b);
    console.log(`front-end cold start (supervisor running): median ${times[2]!.toFixed(0)} ms`);
    // Closing stdin ends the front-end.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...serverPermissions(world), `${ROOT}main.ts`],
      env: world.env,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const begin = Date.now();
    await child.stdin.close();
    const status = await child.status;
    console.log(`front-end exit after stdin closed: ${Date.now() - begin} ms`);
    assert.equal(status.code, 0);
    // So does SIGTERM, with stdin still open.
    const held = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...serverPermissions(world), `${ROOT}main.ts`],
      env: world.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const writer = held.stdin.getWriter();
    await writer.write(initializeLine("t"));
    const reader = held.stdout.getReader();
    await reader.read(); // connected and answered
    held.kill("SIGTERM");
    assert.equal((await held.status).code, 0);
    reader.releaseLock();
    await held.stdout.cancel();
    await writer.close().catch(() => {});
  },
);

Deno.test(
  "a process on a dead supervisor's port never hears the hello: it cannot prove the token",
  e2e,
  async () => {
    await using world = await makeWorld();
    // What a supervisor killed with SIGKILL leaves, with a stranger now on its port.
    const impostor = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const heard: string[] = [];
    // It answers as the supervisor would, with guessed proofs: the first connection's auth line
    // with a proof, later ones as a supervisor of protocol 1 (to lure the front-end into sending
    // that protocol's hello, token and all), and a challenge with a proof.
    let connections = 0;
    const answerTo = (text: string) =>
      text.includes("codex_swarm_challenge")
        ? { codex_swarm_proof: "0".repeat(64) }
        : ++connections === 1
        ? { codex_swarm_auth: 2, proof: "0".repeat(64) }
        : { ok: false, version: "0.1.0", pid: 1, retiring: false, error: "missing" };
    (async () => {
      for await (const conn of impostor) {
        (async () => {
          const buf = new Uint8Array(65536);
          for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
            const text = new TextDecoder().decode(buf.subarray(0, n));
            heard.push(text);
            await conn.write(new TextEncoder().encode(JSON.stringify(answerTo(text)) + "\n"));
          }
        })().catch(() => {});
      }
    })().catch(() => {});
    await Deno.mkdir(world.supervisorDir, { recursive: true, mode: 0o700 });
    const port = (impostor.addr as Deno.NetAddr).port;
    await Deno.writeTextFile(
      `${world.supervisorDir}/info.json`,
      JSON.stringify({ pid: 1, version: "0.1.0", started_at: "", socket: "", port, unix: null }),
    );
    await Deno.writeTextFile(`${world.supervisorDir}/token`, "old-token", { mode: 0o600 });
    await using h = await startServer(world, { env: { SWARM_SECRET_MARK: "do-not-leak" } });
    const info = await serverInfo(h);
    assert.notEqual(world.supervisorInfo()?.port, port, "a real supervisor was started");
    assert.ok(info.supervisor.pid > 1);
    const all = heard.join("");
    assert.match(all, /codex_swarm_auth/, "the front-end tried the port");
    assert.match(all, /codex_swarm_challenge/, "it tried protocol 1 too");
    assert.ok(!all.includes("codex_swarm_hello"), all);
    assert.ok(!all.includes("do-not-leak"), all);
    assert.ok(!all.includes("old-token"), "not even the token");
    impostor.close();
  },
);

Deno.test("three front-ends started at once share the one supervisor they start", e2e, async () => {
  await using world = await makeWorld();
  const servers = await Promise.all([1, 2, 3].map(() => startServer(world)));
  try {
    const pids = new Set(await Promise.all(servers.map(async (h) => (await serverInfo(h)).pid)));
    assert.equal(pids.size, 1, `one supervisor, not ${[...pids].join(", ")}`);
    assert.equal(supervisorsOf(world.taskDir).length, 1);
  } finally {
    await Promise.all(servers.map((h) => h.stop()));
  }
});
