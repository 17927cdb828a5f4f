import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import { codexUnderTest } from "../../tests/support/codex_versions.ts";
import { sshdProblem, startSshd } from "../../tests/support/sshd.ts";
import { parseWorkerUrl } from "./worker_config.ts";
import { WorkerPool, type WorkerStatus } from "./worker_pool.ts";
import { remoteCommand } from "./ssh_worker.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
/** One worker of `pool`, or undefined for an unknown name. */
const statusOf = (pool: WorkerPool, name: string) => pool.list().find((w) => w.name === name);

async function psArgs(): Promise<string[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,args="] }).output();
  return text(out.stdout).split("\n");
}

Deno.test("remoteCommand holds no quote a login shell could break on, and refuses odd binaries", () => {
  const command = remoteCommand("/opt/codex/bin/codex");
  assert.ok(command.startsWith("exec /bin/sh -c '") && command.endsWith("'"));
  assert.equal(command.slice(17, -1).includes("'"), false);
  assert.throws(() => remoteCommand("codex; rm -rf /"), /codex_bin may hold only/);
});

Deno.test("an ssh:// worker: started over a real sshd, behind its own tunnel, stopped with the pool", async (t) => {
  const problem = sshdProblem();
  if (problem !== null) {
    console.warn(`skipped: ${problem}`);
    return;
  }
  await using sshd = await startSshd();
  const lines: string[] = [];
  const log = new Logger({ level: "debug", file: null, stderr: (line) => lines.push(line) });
  const url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}`;
  const pool = new WorkerPool({
    workers: [{
      name: "box",
      address: parseWorkerUrl(url, "box"),
      tokenFile: null,
      cap: 2,
      codexBin: codexUnderTest().bin,
    }],
    noLocal: true,
    localCap: 1,
    log,
    codexVersion: () => Promise.resolve(codexUnderTest().version),
    graceMs: 10_000,
    ssh: { args: sshd.sshArgs },
  });
  let disposed = false;
  let tokenDir = "";
  try {
    await pool.settled();
    const environment = pool.environment("box");
    const token = environment.authBearerToken!;

    await t.step("it is ready, through a local tunnel, and runs commands there", async () => {
      const status = statusOf(pool, "box")!;
      assert.deepEqual([status.kind, status.state, status.url, status.version], [
        "ssh",
        "ready",
        url,
        codexUnderTest().version,
      ]);
      assert.match(environment.execServerUrl, /^ws:\/\/127\.0\.0\.1:\d+$/);
      const result = await pool.channel("box").run(["/bin/sh", "-c", "id -un"], { cwd: "/" });
      assert.equal(text(result.stdout), `${sshd.user}\n`);
      // The server listens on the host's loopback only, on another port than the tunnel's.
      const server = (await psArgs()).find((l) => /codex-swarm-worker\.\w+\/token/.test(l));
      assert.ok(server, "the remote exec-server runs with its token file");
      tokenDir = /(\/\S*codex-swarm-worker\.\w+)\/token/.exec(server)![1]!;
      assert.ok(Deno.statSync(tokenDir).isDirectory);
    });

    await t.step("a killed tunnel is restarted within the grace, on the same port", async () => {
      const port = new URL(environment.execServerUrl).port;
      const tunnel = (await psArgs()).find((l) => l.includes(`-L 127.0.0.1:${port}:127.0.0.1:`));
      assert.ok(tunnel, "the tunnel's ssh runs");
      const back = new Promise<WorkerStatus>((resolve) =>
        pool.onChange((s) => s.state === "ready" && resolve(s))
      );
      Deno.kill(Number(tunnel.trim().split(/\s+/)[0]), "SIGKILL");
      await back;
      assert.deepEqual(pool.environment("box"), environment);
      const result = await pool.channel("box").run(["/bin/echo", "again"], { cwd: "/" });
      assert.equal(text(result.stdout), "again\n");
    });

    const tokens = [token];
    await t.step(
      "a killed exec-server ends its ssh; the worker comes back with a new one",
      async () => {
        const server = (await psArgs()).find((l) =>
          l.includes(tokenDir) && !l.includes("node ") && l.includes("exec-server")
        );
        assert.ok(server, "the native exec-server runs");
        const back = new Promise<WorkerStatus>((resolve) =>
          pool.onChange((s) => s.state === "ready" && resolve(s))
        );
        Deno.kill(Number(server.trim().split(/\s+/)[0]), "SIGKILL");
        await back;
        const now = pool.environment("box");
        assert.notEqual(now.authBearerToken, token, "a new server has a new token");
        tokens.push(now.authBearerToken!);
        assert.throws(() => Deno.statSync(tokenDir), Deno.errors.NotFound);
        const next = (await psArgs()).find((l) => /codex-swarm-worker\.\w+\/token/.test(l))!;
        tokenDir = /(\/\S*codex-swarm-worker\.\w+)\/token/.exec(next)![1]!;
        const result = await pool.channel("box").run(["/bin/echo", "new"], { cwd: "/" });
        assert.equal(text(result.stdout), "new\n");
      },
    );

    await t.step("the tokens are in no argv and no log line", async () => {
      const ps = await psArgs();
      assert.ok(lines.some((line) => line.includes('Worker "box" is ready')));
      for (const secret of tokens) {
        assert.ok(!ps.some((line) => line.includes(secret)));
        assert.ok(!lines.some((line) => line.includes(secret)));
        assert.ok(!JSON.stringify(pool.list()).includes(secret));
      }
    });

    await t.step(
      "disposing the pool stops the remote process group and removes its token",
      async () => {
        await pool[Symbol.asyncDispose]();
        disposed = true;
        const left = (await psArgs()).filter((l) =>
          l.includes("codex-swarm-worker.") || l.includes(token)
        );
        assert.deepEqual(left, []);
        const tmp = [...Deno.readDirSync("/tmp")].map((e) => e.name);
        assert.ok(!tmp.some((name) => name.startsWith("codex-swarm-worker.")));
      },
    );
  } finally {
    if (!disposed) await pool[Symbol.asyncDispose]();
  }
});
