/**
 * End-to-end: what any local process can do to the supervisor's loopback port before it proves
 * the token, acting as that process would (raw connections to the port in `info.json`): stream
 * 50 MB without a newline on 100 connections, hold connections open, send bad auth lines and (with
 * the token) bad hellos. The supervisor reads at most 4 KB from each before the proof, lets at
 * most 16 wait, refuses each bad line naming the problem, stays within 50 MB of its idle memory
 * and keeps serving its clients throughout.
 */

import assert from "node:assert/strict";
import { HELLO_MAX_BYTES, HELLO_PROTOCOL } from "../lib/supervisor/hello.ts";
import {
  eventually,
  type Harness,
  makeWorld,
  startServer,
  supervisorsOf,
  textOf,
  type World,
} from "./support/harness.ts";
import { RawConnection, rssMb } from "./support/raw_supervisor.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** What one flooding connection tries to send: 50 MB without a newline. */
const FLOOD_BYTES = 50 * 1024 * 1024;
const FLOOD_CONNECTIONS = 100;
/** The supervisor's RSS may grow by at most this much over idle while flooded. */
const RSS_SLACK_MB = 50;

async function supervisorPid(h: Harness): Promise<number> {
  const read = await h.client.readResource({ uri: "codex-swarm://server-info" });
  return JSON.parse((read.contents[0] as { text: string }).text).supervisor.pid;
}

async function say(h: Harness, prompt: string): Promise<string> {
  return textOf(await h.client.callTool({ name: "codex", arguments: { prompt } }));
}

/** Sends up to `bytes` without a newline; returns how many the supervisor's side took. */
async function flood(world: World, bytes: number): Promise<number> {
  const raw = await RawConnection.open(world);
  const chunk = new Uint8Array(64 * 1024).fill(0x78);
  let sent = 0;
  try {
    while (sent < bytes) sent += await raw.conn.write(chunk);
  } catch {
    // Closed by the supervisor: what it had not read is gone.
  }
  raw.close();
  return sent;
}

/** Sends `line` (no newline added when `raw`), then reads the answer and whether it closed. */
async function refusalOf(world: World, line: string): Promise<Record<string, unknown>> {
  const raw = await RawConnection.open(world);
  await raw.sendLine(line);
  const answer = await raw.readLine();
  assert.notEqual(answer, null, `no answer to ${line.slice(0, 80)}`);
  assert.equal(await raw.readLine(), null, "the connection is closed after the refusal");
  raw.close();
  return JSON.parse(answer!);
}

/** A connection that proved the token and got the supervisor's proof. */
async function authenticated(world: World): Promise<RawConnection> {
  const raw = await RawConnection.open(world);
  await raw.sendLine(JSON.stringify(await raw.authLine()));
  const answer = JSON.parse((await raw.readLine())!);
  assert.equal(answer.codex_swarm_auth, HELLO_PROTOCOL, JSON.stringify(answer));
  return raw;
}

/** A hello as a front-end of `world` sends it, with `change` applied. */
function helloLine(world: World, change: (hello: Record<string, unknown>) => void): string {
  const hello: Record<string, unknown> = {
    codex_swarm_hello: HELLO_PROTOCOL,
    version: "0.0.1",
    pid: Deno.pid,
    cwd: "/",
    env: {},
    config: {
      codexBin: "codex",
      defaults: { overrides: [], skipGitRepoCheck: false, ephemeral: false },
      maxParallel: 8,
      taskTimeoutS: 3600,
      taskDir: world.taskDir,
      worktreeDir: world.worktreeDir,
      taskMaxAgeS: 86400,
      idleExitS: 120,
      approvals: "client",
      logFile: null,
      logLevel: "debug",
      maxResultChars: 20000,
      replyAlias: false,
      heartbeatMs: 10000,
      policy: { allowConfig: [], maxSandbox: null, allowRoots: [], passEnv: [] },
    },
  };
  change(hello);
  return JSON.stringify(hello);
}

Deno.test(
  "before the token: a flood, held connections and bad lines are refused; clients go on",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    await using h = await startServer(world);
    const pid = await supervisorPid(h);
    assert.equal(await say(h, "warm up"), "MOCK-DONE warm up");

    await t.step("100 connections streaming 50 MB without a newline", async () => {
      const idle = rssMb(pid);
      let peak = idle ?? 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, rssMb(pid) ?? 0);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const flooded = Promise.all(
        Array.from({ length: FLOOD_CONNECTIONS }, () => flood(world, FLOOD_BYTES)),
      );
      // A client of the supervisor is served while the flood runs.
      assert.equal(await say(h, "during the flood"), "MOCK-DONE during the flood");
      const sent = await flooded;
      sampling = false;
      await sampler;
      const after = rssMb(pid);
      console.log(
        `supervisor RSS: idle ${idle?.toFixed(0)} MB, peak during ${FLOOD_CONNECTIONS} ` +
          `connections streaming 50 MB ${peak.toFixed(0)} MB, after ${after?.toFixed(0)} MB; ` +
          `the most one connection got into the socket ${(Math.max(...sent) / 1e6).toFixed(1)} MB`,
      );
      // The supervisor stopped reading each long before its 50 MB.
      assert.ok(Math.max(...sent) < FLOOD_BYTES, `a connection sent all ${FLOOD_BYTES} bytes`);
      if (idle !== null) {
        assert.ok(
          peak - idle < RSS_SLACK_MB,
          `RSS went from ${idle.toFixed(0)} to ${peak.toFixed(0)} MB`,
        );
      } else {
        console.log("No /proc here: the RSS bound is not checked");
      }
      assert.equal(await say(h, "after the flood"), "MOCK-DONE after the flood");
    });

    await t.step("at most 16 wait for auth; the 17th is closed at once, logged", async () => {
      // The flood's connections are all gone once a connection is admitted again.
      assert.ok(
        await eventually(async () => {
          try {
            (await authenticated(world)).close();
            return true;
          } catch {
            return false;
          }
        }),
      );
      const held: RawConnection[] = [];
      for (let i = 0; i < 16; i++) {
        const raw = await RawConnection.open(world);
        await raw.write(new TextEncoder().encode('{"codex_swarm_auth":'));
        held.push(raw);
      }
      const extra = await RawConnection.open(world);
      const refusal = JSON.parse((await extra.readLine())!);
      assert.equal(refusal.ok, false);
      assert.equal(refusal.busy, true);
      assert.match(refusal.error, /16 connections already wait to prove the token/);
      assert.equal(await extra.readLine(), null, "closed at once");
      extra.close();
      assert.match(await Deno.readTextFile(world.logFile), /Closed \d+ connection\(s\) at once/);
      // A new client meanwhile waits for room (the held ones are closed by the auth deadline)
      // and gets the same supervisor; none other is started.
      const begin = Date.now();
      const [late] = await Promise.all([
        startServer(world),
        ...held.map(async (raw) => {
          assert.equal(await raw.readLine(), null, "a held connection outlived the deadline");
          raw.close();
        }),
      ]);
      await using _late = late;
      console.log(
        `a client started while 16 connections were held got in after ` +
          `${Date.now() - begin} ms`,
      );
      assert.equal(await supervisorPid(late!), pid);
      assert.equal(await say(late!, "after the hold"), "MOCK-DONE after the hold");
      assert.equal(supervisorsOf(world.taskDir).length, 1);
    });

    await t.step("bad auth lines are refused, naming the problem", async () => {
      const raw = await RawConnection.open(world);
      const good = await raw.authLine();
      raw.close();
      const cases: Array<[string, string, RegExp]> = [
        ["not JSON", "hello", /Cannot read the first line: it is not JSON/],
        ["a wrong type", JSON.stringify({ ...good, codex_swarm_auth: "2" }), /codex_swarm_auth/],
        ["an unknown field", JSON.stringify({ ...good, token: "t" }), /unknown field "token"/],
        ["a missing proof", JSON.stringify({ ...good, proof: undefined }), /no proof of the token/],
        [
          "a wrong proof",
          JSON.stringify({ ...good, proof: "0".repeat(64) }),
          /proof of the token is wrong/,
        ],
        [
          "a huge value",
          JSON.stringify({ ...good, version: "9".repeat(5000) }),
          /first line: it is longer than 4096 bytes/,
        ],
        [
          "a hello of protocol 1 with a token",
          JSON.stringify({ codex_swarm_hello: 1, version: "9.0.0", token: "guess", env: {} }),
          /Cannot serve hello protocol 1: this supervisor speaks 2/,
        ],
      ];
      for (const [what, line, error] of cases) {
        const refusal = await refusalOf(world, line);
        assert.equal(refusal.ok, false, what);
        assert.match(String(refusal.error), error, what);
        assert.equal(refusal.proof, undefined, `${what}: the supervisor proved itself`);
      }
    });

    await t.step("with the token, bad hellos are refused, naming the field", async () => {
      const cases: Array<[string, string, RegExp]> = [
        ["not JSON", "{", /Cannot read the hello: it is not JSON/],
        ["a wrong type", helloLine(world, (x) => (x.cwd = 3)), /cwd is invalid: expected string/],
        [
          "an unknown field",
          helloLine(world, (x) => (x.token = "t")),
          /token is not a field the supervisor knows/,
        ],
        [
          "a huge value",
          helloLine(world, (x) => ((x.config as { taskTimeoutS: number }).taskTimeoutS = 1e300)),
          /config\.taskTimeoutS is invalid/,
        ],
        [
          "over 1 MB",
          helloLine(world, (x) => (x.env = { BIG: "x".repeat(HELLO_MAX_BYTES) })),
          /Cannot read the hello: it is longer than 1048576 bytes/,
        ],
      ];
      for (const [what, line, error] of cases) {
        const raw = await authenticated(world);
        await raw.sendLine(line);
        const answer = await raw.readLine();
        assert.notEqual(answer, null, what);
        const refusal = JSON.parse(answer!);
        assert.equal(refusal.ok, false, what);
        assert.match(String(refusal.error), error, what);
        assert.equal(await raw.readLine(), null, `${what}: the connection is closed`);
        raw.close();
      }
      // A good one opens a session.
      const raw = await authenticated(world);
      await raw.sendLine(helloLine(world, () => {}));
      const reply = JSON.parse((await raw.readLine())!);
      assert.equal(reply.ok, true, JSON.stringify(reply));
      raw.close();
    });

    assert.equal(await supervisorPid(h), pid, "the same supervisor serves");
    assert.equal(await say(h, "still serving"), "MOCK-DONE still serving");

    await t.step(
      "another protocol with the token: refused if older, retired for if newer",
      async () => {
        const older = await RawConnection.open(world);
        await older.sendLine(JSON.stringify({ ...await older.authLine(), codex_swarm_auth: 3 }));
        const refusal = JSON.parse((await older.readLine())!);
        assert.match(refusal.error, /Cannot serve hello protocol 3: this supervisor .* speaks 2$/);
        assert.equal(refusal.retiring, false);
        assert.equal(typeof refusal.proof, "string", "a refusal after the proof is proved");
        older.close();
        const newer = await RawConnection.open(world);
        const line = { ...await newer.authLine(), codex_swarm_auth: 3, version: "99.0.0" };
        await newer.sendLine(JSON.stringify(line));
        const retiring = JSON.parse((await newer.readLine())!);
        assert.equal(retiring.retiring, true, JSON.stringify(retiring));
        assert.match(retiring.error, /retires for the newer codex-swarm 99\.0\.0/);
        newer.close();
        assert.ok(await eventually(() => supervisorsOf(world.taskDir).every((p) => p.pid !== pid)));
      },
    );
  },
);
