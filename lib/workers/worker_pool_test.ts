import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import {
  codexPrefix,
  codexUnderTest,
  LATEST_CODEX_VERSION,
  PINNED_CODEX_VERSION,
} from "../../tests/support/codex_versions.ts";
import { privateTmpfs, startExecServer } from "../../tests/support/exec_server.ts";
import { parseWorkerUrl, type WorkerSpec } from "./worker_config.ts";
import { WorkerPool, type WorkerStatus } from "./worker_pool.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
/** One worker of `pool`, or undefined for an unknown name. */
const statusOf = (pool: WorkerPool, name: string) => pool.list().find((w) => w.name === name);

function wsSpec(name: string, url: string, tokenFile: string): WorkerSpec {
  return { name, address: parseWorkerUrl(url, name), tokenFile, cap: 2, codexBin: "codex" };
}

/** Resolves with the first status of `name` in `state` the pool reports. */
function reaches(pool: WorkerPool, name: string, state: WorkerStatus["state"]) {
  return new Promise<WorkerStatus>((resolve) => {
    const stop = pool.onChange((status) => {
      if (status.name === name && status.state === state) {
        stop();
        resolve(status);
      }
    });
  });
}

/** The other Codex installed for the tests, to run a worker of another version, or null. */
function otherCodex(): { version: string; bin: string } | null {
  const version = codexUnderTest().pinned ? LATEST_CODEX_VERSION : PINNED_CODEX_VERSION;
  const bin = `${codexPrefix(version)}/node_modules/.bin/codex`;
  try {
    Deno.statSync(bin);
    return { version, bin };
  } catch {
    return null;
  }
}

Deno.test("WorkerPool with two ws workers, a wrong token, another version and a killed worker", async (t) => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "worker-pool-" }));
  const root = Deno.uid() === 0;
  if (!root) console.warn("not root: the workers' roots are not private tmpfs mounts here");
  const roots = { a: `${dir}/root-a`, b: `${dir}/root-b` };
  await Deno.mkdir(roots.a);
  await Deno.mkdir(roots.b);
  const start = (name: "a" | "b", extra: { token?: string; port?: number } = {}) =>
    startExecServer({
      cwd: roots[name],
      env: { WORKER_MARKER: `marker-${name}` },
      ...(root ? { wrap: privateTmpfs(roots[name]) } : {}),
      ...extra,
    });
  const a = await start("a");
  let b = await start("b");
  const other = otherCodex();
  if (other === null) console.warn("skipped the version mismatch: no second Codex in .tools/");
  await using otherServer = other ? await startExecServer({ bin: other.bin }) : null;
  // The workers' token files, as an operator keeps them (the servers' own go with them).
  await Deno.writeTextFile(`${dir}/a.token`, a.token);
  await Deno.writeTextFile(`${dir}/b.token`, b.token);
  await Deno.writeTextFile(`${dir}/wrong.token`, "not-the-token\n");
  const lines: string[] = [];
  const log = new Logger({ level: "debug", file: null, stderr: (line) => lines.push(line) });
  const pool = new WorkerPool({
    workers: [
      wsSpec("a", a.url, `${dir}/a.token`),
      wsSpec("b", b.url, `${dir}/b.token`),
      wsSpec("wrong", a.url, `${dir}/wrong.token`),
      ...(otherServer ? [wsSpec("other", otherServer.url, otherServer.tokenFile)] : []),
    ],
    noLocal: false,
    localCap: 3,
    log,
    codexVersion: () => Promise.resolve(codexUnderTest().version),
    graceMs: 1_500,
    retry: { firstMs: 200, maxMs: 400 },
  });
  const tokens = [a.token, b.token];
  try {
    await pool.settled();

    await t.step("list shows local first, the ready workers, and why the others are down", () => {
      const list = pool.list();
      assert.deepEqual(list.map((w) => [w.name, w.kind, w.state, w.cap]), [
        ["local", "local", "ready", 3],
        ["a", "ws", "ready", 2],
        ["b", "ws", "ready", 2],
        ["wrong", "ws", "down", 2],
        ...(other ? [["other", "ws", "down", 2]] : []),
      ]);
      assert.equal(statusOf(pool, "a")?.version, codexUnderTest().version);
      assert.match(statusOf(pool, "wrong")!.lastError!, /refused the token \(HTTP 401/);
      if (other) {
        assert.equal(
          statusOf(pool, "other")!.lastError,
          `Cannot use worker "other" as its Codex is ${other.version} and the supervisor's ` +
            `app-server runs ${codexUnderTest().version}: install the same version on both`,
        );
      }
      assert.equal(statusOf(pool, "nope"), undefined);
    });

    await t.step("each worker runs in its own environment and root", async () => {
      for (const name of ["a", "b"] as const) {
        const channel = pool.channel(name);
        const result = await channel.run(["/bin/sh", "-c", 'echo "$WORKER_MARKER"; pwd'], {
          cwd: roots[name],
          inheritEnv: true,
        });
        assert.equal(text(result.stdout), `marker-${name}\n${roots[name]}\n`);
        await channel.writeFile(`${roots[name]}/made-on-${name}`, new TextEncoder().encode(name));
        const made = await channel.run(["cat", `${roots[name]}/made-on-${name}`], {
          cwd: roots[name],
          inheritEnv: true,
        });
        assert.equal(text(made.stdout), name);
        if (root) {
          // Its private tmpfs: the supervisor's machine does not see the worker's files.
          await assert.rejects(Deno.stat(`${roots[name]}/made-on-${name}`), Deno.errors.NotFound);
        }
      }
    });

    await t.step("channel and environment name unknown and down workers", () => {
      assert.throws(
        () => pool.channel("nope"),
        /Cannot use worker "nope" as no worker has that name \(known: local, a, b, wrong/,
      );
      assert.throws(
        () => pool.channel("wrong"),
        /Cannot use worker "wrong" as it is down: .*refused the token/,
      );
      assert.throws(() => pool.channel("local"), /local tasks run as before/);
      assert.deepEqual(pool.environment("a"), {
        environmentId: "a",
        execServerUrl: a.url,
        authBearerToken: a.token,
      });
    });

    await t.step(
      "a killed worker reconnects within its grace, then is down, then back",
      async () => {
        const lost = reaches(pool, "b", "connecting");
        const down = reaches(pool, "b", "down");
        const port = Number(new URL(b.url).port);
        await b[Symbol.asyncDispose](); // killed, and its token file removed
        assert.match(
          (await lost).lastError ?? "",
          /worker "b" .* closed the connection|connection failed/,
        );
        const downStatus = await down;
        assert.match(downStatus.lastError ?? "", /Cannot connect to worker "b"/);
        assert.throws(() => pool.channel("b"), /Cannot use worker "b" as it is down/);
        assert.equal(statusOf(pool, "a")?.state, "ready");
        const back = reaches(pool, "b", "ready");
        b = await start("b", { token: b.token, port });
        assert.equal((await back).lastError, null);
        const result = await pool.channel("b").run(["/bin/sh", "-c", 'echo "$WORKER_MARKER"'], {
          cwd: roots.b,
          inheritEnv: true,
        });
        assert.equal(text(result.stdout), "marker-b\n");
      },
    );

    await t.step("no token in ps, the log or the list", async () => {
      const ps = await new Deno.Command("ps", { args: ["-eo", "args"] }).output();
      const seen = [text(ps.stdout), lines.join("\n"), JSON.stringify(pool.list())];
      assert.ok(lines.some((line) => line.includes('Worker "a" is ready')));
      for (const token of tokens) {
        for (const haystack of seen) assert.ok(!haystack.includes(token), "a token leaked");
      }
    });
  } finally {
    await pool[Symbol.asyncDispose]();
    await a[Symbol.asyncDispose]();
    await b[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WorkerPool with --no-local lists only the configured workers", async () => {
  const log = new Logger({ level: "error", file: null, stderr: () => {} });
  await using pool = new WorkerPool({
    workers: [],
    noLocal: true,
    localCap: 3,
    log,
    codexVersion: () => Promise.resolve(null),
  });
  await pool.settled();
  assert.deepEqual(pool.list(), []);
  assert.equal(statusOf(pool, "local"), undefined);
});
