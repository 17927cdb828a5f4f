import assert from "node:assert/strict";
import { TaskEngine } from "./engine.ts";
import { Logger } from "./log.ts";
import type { ExitStatus, ProcessLauncher, SpawnedProcess, SpawnRequest } from "./process.ts";
import { SpawnError } from "./process.ts";
import type { TaskMeta } from "./task.ts";
import { TaskStore } from "./task_store.ts";
import { WorktreeManager } from "./worktree.ts";

const THREAD = "01a211f5-33d5-7650-96c5-f78d06550fef";

function line(value: unknown): string {
  return JSON.stringify(value) + "\n";
}

/** A launcher whose "Codex" is scripted by the prompt: `ok`, `hang`, `crash`, `missing-binary`. */
class FakeLauncher implements ProcessLauncher {
  spawned: string[] = [];
  signals: Array<[number, string]> = [];
  #exits = new Map<number, (status: ExitStatus) => void>();
  #alive = new Set<number>();
  #nextPid = 1000;

  async spawn(request: SpawnRequest): Promise<SpawnedProcess> {
    const last = request.args.at(-1)!;
    const prompt = last === "-" && request.stdinPath
      ? await Deno.readTextFile(request.stdinPath)
      : last;
    if (prompt === "missing-binary") throw new SpawnError(request.bin, "ENOENT");
    this.spawned.push(prompt);
    const pid = this.#nextPid++;
    this.#alive.add(pid);
    const exited = new Promise<ExitStatus>((resolve) => this.#exits.set(pid, resolve));
    const out = line({ type: "thread.started", thread_id: THREAD }) +
      line({ type: "turn.started" });
    await Deno.writeTextFile(request.stdoutPath, out);
    await Deno.writeTextFile(request.stderrPath, "");
    const finish = async (text: string, status: ExitStatus, stderr = "") => {
      await new Promise((r) => setTimeout(r, 30));
      await Deno.writeTextFile(request.stdoutPath, text, { append: true });
      await Deno.writeTextFile(request.stderrPath, stderr, { append: true });
      this.#end(pid, status);
    };
    if (prompt.startsWith("ok")) {
      finish(
        line({
          type: "item.completed",
          item: { id: "i", type: "agent_message", text: `done ${prompt}` },
        }) +
          line({
            type: "turn.completed",
            usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 },
          }),
        { code: 0, signal: null },
      );
    } else if (prompt === "weird") {
      finish(
        line({ type: "thread.renamed", name: "from a newer Codex" }) + "{not json\n" +
          line({ type: "item.completed", item: { id: "x", type: "hologram", depth: 3 } }) +
          line({
            type: "turn.completed",
            usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 },
          }),
        { code: 0, signal: null },
      );
    } else if (prompt === "crash") {
      finish("", { code: 1, signal: null }, "boom: something broke\n");
    }
    return { pid, startTime: "t", exited };
  }

  #end(pid: number, status: ExitStatus) {
    this.#alive.delete(pid);
    this.#exits.get(pid)?.(status);
  }

  isAlive(pid: number): boolean {
    return this.#alive.has(pid);
  }

  /** Makes a pid (e.g. a server instance) count as alive or dead. */
  setAlive(pid: number, alive: boolean): void {
    if (alive) this.#alive.add(pid);
    else this.#alive.delete(pid);
  }

  startTimeOf(): string | null {
    return "t";
  }

  killTree(pid: number, signal: Deno.Signal): void {
    this.signals.push([pid, signal]);
    this.#end(pid, { code: null, signal });
  }

  groupAlive(pgid: number): boolean {
    return this.#alive.has(pgid);
  }
}

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !check()) await new Promise((r) => setTimeout(r, 20));
  return check();
}

async function makeEngine(
  launcher: ProcessLauncher,
  options: {
    maxParallel?: number;
    dir?: string;
    self?: number;
    store?: (root: string) => TaskStore;
  } = {},
) {
  const dir = options.dir ?? await Deno.makeTempDir();
  const engine = new TaskEngine({
    config: {
      codexBin: "codex",
      defaults: { overrides: [], skipGitRepoCheck: true, ephemeral: false },
      maxParallel: options.maxParallel ?? 8,
      taskTimeoutS: 0,
      taskMaxAgeS: 3600,
    },
    launcher,
    store: options.store?.(`${dir}/tasks`) ?? new TaskStore(`${dir}/tasks`),
    worktrees: new WorktreeManager({ worktreeDir: `${dir}/worktrees` }),
    log: new Logger({ level: "error", file: null, stderr: () => {} }),
    env: {},
    killGraceMs: 50,
    pollMs: 10,
    defaultCwd: dir,
    ...(options.self ? { self: { pid: options.self, startTime: "t" } } : {}),
  });
  await engine.init();
  return { engine, dir };
}

Deno.test("engine: tasks over the cap queue and start in FIFO order", async () => {
  const launcher = new FakeLauncher();
  const { engine } = await makeEngine(launcher, { maxParallel: 1 });
  const a = await engine.start({ prompt: "hang" });
  const b = await engine.start({ prompt: "ok-b" });
  const c = await engine.start({ prompt: "ok-c" });
  assert.equal(engine.get(b.meta.id)!.meta.phase, "queued");
  assert.equal(engine.get(c.meta.id)!.meta.phase, "queued");
  await engine.cancel(a.meta.id);
  const done = await engine.wait([b.meta.id, c.meta.id], { mode: "all", timeoutMs: 5000 });
  assert.equal(done.satisfied, true);
  assert.deepEqual(launcher.spawned, ["hang", "ok-b", "ok-c"]);
  assert.deepEqual(done.tasks.map((t) => t.meta.finalMessage), ["done ok-b", "done ok-c"]);
  assert.equal(done.tasks[0]!.meta.threadId, THREAD);
  engine.close();
});

Deno.test("engine: a time limit kills the task and ends it timed_out", async () => {
  const launcher = new FakeLauncher();
  const { engine } = await makeEngine(launcher);
  const task = await engine.start({ prompt: "hang", timeoutS: 0.1 });
  const done = await engine.finished(task.meta.id);
  assert.equal(done.meta.phase, "timed_out");
  assert.match(done.meta.failure ?? "", /time limit/);
  assert.deepEqual(launcher.signals.map(([, s]) => s), ["SIGTERM"]);
  engine.close();
});

Deno.test("engine: cancelling a queued task never starts it; cancelling twice says so", async () => {
  const launcher = new FakeLauncher();
  const { engine } = await makeEngine(launcher, { maxParallel: 1 });
  const a = await engine.start({ prompt: "hang" });
  const b = await engine.start({ prompt: "ok-b" });
  const first = await engine.cancel(b.meta.id);
  assert.equal(first.alreadyFinished, false);
  assert.equal(first.task.meta.phase, "cancelled");
  assert.equal((await engine.cancel(b.meta.id)).alreadyFinished, true);
  await engine.cancel(a.meta.id);
  assert.deepEqual(launcher.spawned, ["hang"]);
  engine.close();
});

Deno.test("engine: spawn errors and crashes fail with their cause", async () => {
  const launcher = new FakeLauncher();
  const { engine } = await makeEngine(launcher);
  const missing = await engine.finished((await engine.start({ prompt: "missing-binary" })).meta.id);
  assert.equal(missing.meta.phase, "failed");
  assert.match(missing.meta.failure ?? "", /Cannot start Codex as it was not found/);
  const crash = await engine.finished((await engine.start({ prompt: "crash" })).meta.id);
  assert.equal(crash.meta.phase, "failed");
  assert.match(crash.meta.failure ?? "", /exited with code 1 without finishing the turn/);
  assert.match(crash.meta.failure ?? "", /boom: something broke/);
  engine.close();
});

Deno.test("engine: wait returns at the timeout without stopping tasks; any returns at the first", async () => {
  const launcher = new FakeLauncher();
  const { engine } = await makeEngine(launcher);
  const hang = await engine.start({ prompt: "hang" });
  const ok = await engine.start({ prompt: "ok" });
  const any = await engine.wait([hang.meta.id, ok.meta.id], { mode: "any", timeoutMs: 5000 });
  assert.equal(any.satisfied, true);
  const all = await engine.wait([hang.meta.id, ok.meta.id], { mode: "all", timeoutMs: 50 });
  assert.equal(all.satisfied, false);
  assert.equal(engine.get(hang.meta.id)!.meta.phase, "running");
  await engine.cancel(hang.meta.id);
  engine.close();
});

Deno.test("engine: a restart adopts running tasks, finishes them from their events, or calls them lost", async () => {
  const launcher = new FakeLauncher();
  const { engine, dir } = await makeEngine(launcher);
  const done = await engine.start({ prompt: "hang" });
  const lost = await engine.start({ prompt: "hang" });
  const queued = await engine.start({ prompt: "hang" });
  await engine.wait([done.meta.id], { mode: "all", timeoutMs: 100 });
  engine.close();
  // While no server watches: one task writes its final events and exits, one dies silently.
  await Deno.writeTextFile(
    `${dir}/tasks/${done.meta.id}/events.jsonl`,
    line({
      type: "item.completed",
      item: { id: "m", type: "agent_message", text: "finished alone" },
    }) +
      line({
        type: "turn.completed",
        usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 },
      }),
    { append: true },
  );
  // Mark the third as never started, as an instance that died before starting it would leave it.
  const metaPath = `${dir}/tasks/${queued.meta.id}/meta.json`;
  const meta = JSON.parse(await Deno.readTextFile(metaPath)) as TaskMeta;
  await Deno.writeTextFile(metaPath, JSON.stringify({ ...meta, phase: "queued", pid: null }));
  for (const task of [done, lost]) {
    launcher.killTree(engine.get(task.meta.id)!.meta.pid!, "SIGKILL");
  }

  const { engine: next } = await makeEngine(launcher, { dir });
  const results = await next.wait([done.meta.id, lost.meta.id], { mode: "all", timeoutMs: 5000 });
  assert.equal(results.tasks[0]!.meta.phase, "completed");
  assert.equal(results.tasks[0]!.meta.finalMessage, "finished alone");
  assert.equal(results.tasks[1]!.meta.phase, "lost");
  assert.match(results.tasks[1]!.meta.failure ?? "", /no server was watching/);
  assert.ok(
    await until(() => next.get(queued.meta.id)!.meta.phase === "running"),
    "the queued task was started",
  );
  await next.cancel(queued.meta.id);
  next.close();
});

Deno.test("engine: an unknown task id is a clear error", async () => {
  const { engine } = await makeEngine(new FakeLauncher());
  await assert.rejects(engine.cancel("nope"), /Cannot cancel task "nope" as no such task is known/);
  await assert.rejects(engine.start({ prompt: "x", cwd: "/nonexistent/dir" }), /does not exist/);
  engine.close();
});

Deno.test("engine: two instances share a task directory without taking each other's tasks", async () => {
  const launcher = new FakeLauncher();
  launcher.setAlive(500, true);
  launcher.setAlive(501, true);
  const { engine: a, dir } = await makeEngine(launcher, { maxParallel: 1, self: 500 });
  const running = await a.start({ prompt: "hang" });
  const queued = await a.start({ prompt: "ok-queued" });
  const { engine: b } = await makeEngine(launcher, { dir, self: 501 });
  // b reads a's task from disk and follows it (a saves "running" a moment after it spawns).
  assert.ok(await until(() => b.get(running.meta.id)!.meta.phase === "running"));
  assert.equal(b.get(queued.meta.id)!.meta.phase, "queued", "b must not start a's queued task");
  assert.deepEqual(launcher.spawned, ["hang"]);
  // A task that a creates later is found by b too.
  const later = await a.start({ prompt: "hang" });
  assert.equal(b.get(later.meta.id)!.meta.phase, "queued");
  // b cancels a's running task: a records it as cancelled, and b sees that.
  const cancelled = await b.cancel(running.meta.id);
  assert.equal(cancelled.task.meta.phase, "cancelled");
  assert.equal(a.get(running.meta.id)!.meta.phase, "cancelled");
  // a dies: b takes over a's unfinished tasks.
  await a.wait([queued.meta.id], { mode: "all", timeoutMs: 5000 });
  a.close();
  launcher.setAlive(500, false);
  const last = await b.wait([later.meta.id], { mode: "all", timeoutMs: 200 });
  assert.equal(last.satisfied, false);
  assert.ok(
    await until(() => {
      const { phase, owner } = b.get(later.meta.id)!.meta;
      return phase === "running" && owner?.pid === 501;
    }),
    "b took the task over",
  );
  await b.cancel(later.meta.id);
  b.close();
});

Deno.test("engine: unknown events and malformed lines are kept and counted, not fatal", async () => {
  const { engine } = await makeEngine(new FakeLauncher());
  const task = await engine.finished((await engine.start({ prompt: "weird" })).meta.id);
  assert.equal(task.meta.phase, "completed");
  assert.equal(task.run.unknownEvents, 2);
  assert.equal(task.run.malformedLines, 1);
  assert.ok(task.run.lastUnknown !== null);
  engine.close();
});

/** A store whose disk is full: a task's directory is made, its metadata never written. */
class FullDiskStore extends TaskStore {
  override async save(meta: TaskMeta): Promise<void> {
    await Deno.writeTextFile(`${this.dir(meta.id)}/meta.json.x.tmp`, "");
    throw new Error("No space left on device (os error 28)");
  }
}

Deno.test("engine: a failure after the worktree was made undoes the task, worktree and branch", async () => {
  const launcher = new FakeLauncher();
  const { engine, dir } = await makeEngine(launcher, {
    store: (root) => new FullDiskStore(root),
  });
  const repo = `${dir}/repo`;
  await Deno.mkdir(repo);
  const git = (...args: string[]) =>
    new Deno.Command("git", { args, cwd: repo, stdout: "piped", stderr: "null" }).output();
  await git("init", "-q", "-b", "main");
  await Deno.writeTextFile(`${repo}/a.txt`, "a\n");
  await git("add", "-A");
  await git("-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "i");
  await assert.rejects(
    engine.start({ prompt: "ok", cwd: repo, worktree: true }),
    /No space left on device/,
  );
  assert.deepEqual([...Deno.readDirSync(`${dir}/tasks`)], []);
  const branches = new TextDecoder().decode(
    (await git("branch", "--list", "codex-swarm/*")).stdout,
  );
  assert.equal(branches.trim(), "");
  const worktrees = new TextDecoder().decode((await git("worktree", "list")).stdout);
  assert.equal(worktrees.trim().split("\n").length, 1);
  assert.deepEqual(engine.list(), []);
  assert.deepEqual(launcher.spawned, []);
  engine.close();
});
