import assert from "node:assert/strict";
import { Logger } from "../log.ts";
import { AppServer } from "./app_server.ts";
import type { SandboxPolicy } from "./protocol/generated/v2/SandboxPolicy.ts";
import { describeOutcome, runSandboxed } from "./sandboxed_command.ts";

// The real app-server of the pinned Codex (on PATH in `deno task test`); no model call is made.
const log = new Logger({ level: "error", file: null, stderr: () => {} });

async function withServer(fn: (server: AppServer, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sandboxed-" });
  const home = `${dir}/home`;
  await Deno.mkdir(home);
  await Deno.mkdir(`${dir}/work`);
  const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, CODEX_HOME: home };
  const server = await AppServer.start({ bin: "codex", env, log });
  try {
    await fn(server, `${dir}/work`);
  } finally {
    await server[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
}

const writable = (): SandboxPolicy => ({
  type: "workspaceWrite",
  writableRoots: [],
  networkAccess: false,
  excludeTmpdirEnvVar: false,
  excludeSlashTmp: false,
});

Deno.test("runSandboxed: exit code, the output's end, cwd; the sandbox applies", async () => {
  await withServer(async (server, cwd) => {
    const ok = await runSandboxed(server, {
      command: "pwd; seq 1 100000; echo done >&2; exit 3",
      cwd,
      sandbox: writable(),
      timeoutMs: 30_000,
      tailChars: 20,
    });
    assert.equal(ok.exitCode, 3);
    assert.ok(ok.tail.endsWith("99999\n100000\ndone\n"), JSON.stringify(ok.tail));
    assert.equal(ok.tail.length, 20);
    assert.equal(ok.timedOut, false);
    assert.equal(describeOutcome(ok), '"pwd; seq 1 100000; echo done >&2; exit 3" exited 3');

    const wrote = await runSandboxed(server, {
      command: "echo x > made.txt",
      cwd,
      sandbox: writable(),
      timeoutMs: 30_000,
    });
    assert.equal(wrote.exitCode, 0, wrote.tail);
    assert.equal(await Deno.readTextFile(`${cwd}/made.txt`), "x\n");

    const denied = await runSandboxed(server, {
      command: "echo x > denied.txt",
      cwd,
      sandbox: { type: "readOnly", networkAccess: false },
      timeoutMs: 30_000,
    });
    assert.notEqual(denied.exitCode, 0);
    assert.match(denied.tail, /denied|Read-only/i);
    await assert.rejects(Deno.stat(`${cwd}/denied.txt`));
  });
});

Deno.test("runSandboxed: the time limit and an abort terminate the command", async () => {
  await withServer(async (server, cwd) => {
    const slow = await runSandboxed(server, {
      command: "echo started; sleep 30",
      cwd,
      sandbox: writable(),
      timeoutMs: 500,
    });
    assert.equal(slow.timedOut, true);
    assert.notEqual(slow.exitCode, 0);
    assert.match(slow.tail, /started/);
    assert.match(describeOutcome(slow), /reached the time limit/);

    const controller = new AbortController();
    const running = runSandboxed(server, {
      command: "sleep 30",
      cwd,
      sandbox: writable(),
      timeoutMs: null,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 300);
    const aborted = await running;
    assert.equal(aborted.cancelled, true);
    assert.equal(aborted.timedOut, false);
    assert.ok(aborted.durationMs < 25_000, `${aborted.durationMs} ms`);
  });
});
