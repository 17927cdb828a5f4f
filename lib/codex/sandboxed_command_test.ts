import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import { AppServer } from "./app_server.ts";
import type { SandboxPolicy } from "./protocol/generated/v2/SandboxPolicy.ts";
import {
  describeOutcome,
  endLeftovers,
  markerLine,
  newProcessId,
  runSandboxed,
  withWorkspace,
} from "./sandboxed_command.ts";
import { listProcesses, sendSignal } from "../base/process.ts";

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

// /tmp is out, so only cwd (where the test directories are) is writable, as a thread's is.
const writable = (): SandboxPolicy => ({
  type: "workspaceWrite",
  writableRoots: [],
  networkAccess: false,
  excludeTmpdirEnvVar: true,
  excludeSlashTmp: true,
});

Deno.test("withWorkspace: the command's cwd joins a workspace-write sandbox's roots", () => {
  assert.deepEqual(withWorkspace(writable(), "/w"), { ...writable(), writableRoots: ["/w"] });
  const listed = { ...writable(), writableRoots: ["/w", "/x"] } as SandboxPolicy;
  assert.equal(withWorkspace(listed, "/w"), listed);
  const readOnly: SandboxPolicy = { type: "readOnly", networkAccess: false };
  assert.equal(withWorkspace(readOnly, "/w"), readOnly);
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

    // Beside cwd is not writable.
    const beside = await runSandboxed(server, {
      command: "echo x > ../beside.txt",
      cwd,
      sandbox: writable(),
      timeoutMs: 30_000,
    });
    assert.notEqual(beside.exitCode, 0);
    assert.match(beside.tail, /denied|Read-only/i);
    await assert.rejects(Deno.stat(`${cwd}/../beside.txt`));

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

    // Aborted before it starts: nothing runs.
    const never = await runSandboxed(server, {
      command: "echo ran > never.txt",
      cwd,
      sandbox: writable(),
      timeoutMs: null,
      signal: AbortSignal.abort(),
    });
    assert.equal(never.cancelled, true);
    await assert.rejects(Deno.stat(`${cwd}/never.txt`));
  });
});

Deno.test("endLeftovers: kills an orphaned group that carries the marker, and only that", async () => {
  const marker = markerLine(`codex-swarm-test-${crypto.randomUUID()}`);
  // As Codex can leave it: a process group of its own (setsid), a shell with a child.
  const spawn = (script: string) =>
    new Deno.Command("setsid", {
      args: ["sh", "-c", script],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  const left = spawn(`${marker}\nsleep 97.25; true`);
  const other = spawn("sleep 96.75; true");
  const running = (needle: string) => listProcesses().filter((p) => p.args.includes(needle));
  try {
    for (let i = 0; i < 100 && running("sleep 97.25").length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(running("sleep 97.25").length > 0, "the leftover never started");
    await endLeftovers(marker);
    assert.deepEqual(running(marker), []);
    assert.deepEqual(running("sleep 97.25"), [], "the shell's child survived");
    assert.ok(running("sleep 96.75").length > 0, "an unmarked process was killed");
  } finally {
    // Each is the leader of its own group (setsid): the group goes with it.
    sendSignal([-left.pid, -other.pid], "SIGKILL");
    await Promise.all([left.status, other.status]);
  }
});

Deno.test("runSandboxed: a given processId marks the command's processes", async () => {
  await withServer(async (server, cwd) => {
    const processId = newProcessId();
    assert.match(processId, /^codex-swarm-[0-9a-f-]{36}$/);
    const running = runSandboxed(server, {
      command: "sleep 30",
      cwd,
      sandbox: writable(),
      timeoutMs: 30_000,
      processId,
    });
    const marker = markerLine(processId);
    for (let i = 0; i < 100 && !listProcesses().some((p) => p.args.includes(marker)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(listProcesses().some((p) => p.args.includes(marker)), "no process carries the id");
    // What a dead supervisor would leave: ended by its id alone.
    await endLeftovers(marker);
    const ended = await running;
    assert.notEqual(ended.exitCode, 0);
    assert.deepEqual(listProcesses().filter((p) => p.args.includes(marker)), []);
  });
});
