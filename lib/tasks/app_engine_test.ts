/**
 * The app-server engine with the real Codex app-server against the fake Responses API: tasks,
 * the fair queue, questions answered through the session and through `answer`, steering, cancel
 * (no process left), time limits that exclude waiting, restarts, replies.
 */

import { clientSession, localWorkers } from "../../tests/support/engine_parts.ts";
import assert from "node:assert/strict";
import {
  eventually,
  makeWorld,
  processesMatching,
  type World,
} from "../../tests/support/harness.ts";
import type { Session } from "./engine_api.ts";
import { Logger } from "../base/log.ts";
import type { TaskSnapshot } from "./task.ts";
import { TaskStore } from "./task_store.ts";
import { WorktreeManager } from "../git/worktree.ts";
import { AppServerEngine } from "./app_engine.ts";
import { isTransientWriteError } from "./engine_state.ts";
import { startTask } from "../request/plans.ts";
import type { Decision } from "./questions.ts";
import { planTask } from "../request/task_plan.ts";

interface Rig extends AsyncDisposable {
  world: World;
  engine: AppServerEngine;
  session: (extra?: Partial<Session>) => Session;
  /** A new engine on the same task directory (after disposing the first). */
  restart: () => Promise<AppServerEngine>;
}

async function rig(options: { maxParallel?: number } = {}): Promise<Rig> {
  const world = await makeWorld();
  const log = new Logger({ level: "warning", file: null });
  const workdir = await Deno.makeTempDir({ prefix: "engine-cwd-" });
  const session = (extra: Partial<Session> = {}): Session =>
    clientSession(workdir, { env: world.env, ...extra });
  const make = () =>
    new AppServerEngine({
      planTask,
      config: { codexBin: "codex", maxParallel: options.maxParallel ?? 4, taskMaxAgeS: 86400 },
      store: new TaskStore(world.taskDir),
      worktrees: new WorktreeManager({ worktreeDir: world.worktreeDir }),
      log,
      fallbackSession: session(),
      workers: localWorkers(options.maxParallel ?? 4, log),
    });
  let engine = make();
  await engine.init();
  const r: Rig = {
    world,
    get engine() {
      return engine;
    },
    session,
    async restart() {
      await engine[Symbol.asyncDispose]();
      engine = make();
      await engine.init();
      return engine;
    },
    async [Symbol.asyncDispose]() {
      await engine[Symbol.asyncDispose]();
      await world[Symbol.asyncDispose]();
      await Deno.remove(workdir, { recursive: true }).catch(() => {});
    },
  };
  return r;
}

function waitFor(
  engine: AppServerEngine,
  id: string,
  test: (t: TaskSnapshot) => boolean,
  ms = 30_000,
): Promise<TaskSnapshot> {
  return new Promise((resolve, reject) => {
    const now = engine.get(id);
    if (now && test(now)) return resolve(now);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting on task ${id}: ${JSON.stringify(engine.get(id)?.meta)}`));
    }, ms);
    const off = engine.onChange((t) => {
      if (t.meta.id === id && test(t)) {
        clearTimeout(timer);
        off();
        resolve(t);
      }
    });
  });
}

Deno.test("a task runs as a turn of an app-server thread, in its session's cwd and env", async () => {
  await using r = await rig();
  const s = r.session({ env: { ...r.world.env, SWARM_MARK: "from-session" } });
  const started = await startTask(r.engine, { prompt: "RUN=pwd; echo $SWARM_MARK" }, s);
  const done = await r.engine.finished(started.meta.id);
  assert.equal(done.meta.phase, "completed", done.meta.failure ?? "");
  assert.match(done.meta.finalMessage ?? "", /MOCK-DONE/);
  assert.match(done.meta.finalMessage ?? "", /from-session/);
  assert.ok(done.meta.finalMessage!.includes(await Deno.realPath(s.cwd)));
  assert.ok(done.meta.threadId);
  assert.ok(done.run.usage && done.run.usage.inputTokens > 0);
});

Deno.test("an untrusted task asks; the session's answer runs the command", async () => {
  await using r = await rig();
  const asked: string[] = [];
  const s = r.session({
    ask: (q) => {
      asked.push(q.message);
      return Promise.resolve<Decision>("accept");
    },
  });
  const marker = `${s.cwd}/approved.txt`;
  const task = await startTask(r.engine, {
    prompt: `RUN=touch ${marker}`,
    approvalPolicy: "untrusted",
    sandbox: "workspace-write",
  }, s);
  const done = await r.engine.finished(task.meta.id);
  assert.equal(done.meta.phase, "completed", done.meta.failure ?? "");
  assert.equal(asked.length, 1);
  assert.match(asked[0]!, /touch/);
  assert.ok((await Deno.stat(marker)).isFile);
  assert.equal(done.meta.answered?.[0]?.decision, "accept");
  assert.equal(done.meta.answered?.[0]?.by, "elicitation");
});

Deno.test("without elicitation a task waits; answer declines and the turn goes on", async () => {
  await using r = await rig();
  const s = r.session();
  const marker = `${s.cwd}/declined.txt`;
  const task = await startTask(r.engine, {
    prompt: `RUN=touch ${marker}`,
    approvalPolicy: "untrusted",
    sandbox: "workspace-write",
    timeoutS: 2,
  }, s);
  const waiting = await waitFor(r.engine, task.meta.id, (t) => t.meta.phase === "waiting_approval");
  assert.match(waiting.question?.message ?? "", /touch/);
  // codex_wait returns once for a question this session was not told of, then not again.
  const first = await r.engine.wait([task.meta.id], {
    mode: "all",
    timeoutMs: 5000,
    sessionId: s.id,
  });
  assert.equal(first.questions?.length, 1);
  const second = await r.engine.wait([task.meta.id], {
    mode: "all",
    timeoutMs: 300,
    sessionId: s.id,
  });
  assert.equal(second.questions?.length, 0);
  // Waiting for the answer does not count against the 2 s limit.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(r.engine.get(task.meta.id)?.meta.phase, "waiting_approval");
  r.engine.answer(task.meta.id, "decline", "codex_approve");
  const done = await r.engine.finished(task.meta.id);
  assert.equal(done.meta.phase, "completed", done.meta.failure ?? "");
  await assert.rejects(Deno.stat(marker));
  assert.equal(done.meta.answered?.[0]?.decision, "decline");
});

Deno.test("cancel of a waiting task and of a running command leaves no process", async () => {
  await using r = await rig();
  const s = r.session();
  const marker = `swarm-engine-sleep-${crypto.randomUUID().slice(0, 8)}`;
  const running = await startTask(r.engine, { prompt: `RUN=sleep 300; echo ${marker}` }, s);
  assert.ok(await eventually(() => processesMatching(marker).length > 0, 30_000));
  const cancelled = await r.engine.cancel(running.meta.id);
  assert.equal(cancelled.task.meta.phase, "cancelled");
  assert.equal(cancelled.previousPhase, "running");
  assert.ok(await eventually(() => processesMatching(marker).length === 0, 5000));
  const asking = await startTask(
    r.engine,
    { prompt: "RUN=echo hi", approvalPolicy: "untrusted" },
    s,
  );
  await waitFor(r.engine, asking.meta.id, (t) => t.meta.phase === "waiting_approval");
  const c2 = await r.engine.cancel(asking.meta.id);
  assert.equal(c2.task.meta.phase, "cancelled");
  assert.equal(c2.previousPhase, "waiting_approval");
  const again = await r.engine.cancel(asking.meta.id);
  assert.equal(again.alreadyFinished, true);
});

Deno.test("the queue is fair across sessions at the cap", async () => {
  await using r = await rig({ maxParallel: 1 });
  const busy = r.session();
  const quiet = r.session();
  const order: string[] = [];
  r.engine.onChange((t) => {
    if (t.meta.phase === "starting" && !order.includes(t.meta.id)) order.push(t.meta.id);
  });
  const b = [];
  for (let i = 0; i < 3; i++) {
    b.push((await startTask(r.engine, { prompt: `busy ${i}` }, busy)).meta.id);
  }
  const q = (await startTask(r.engine, { prompt: "quiet" }, quiet)).meta.id;
  await Promise.all([...b, q].map((id) => r.engine.finished(id)));
  assert.deepEqual(order, [b[0], b[1], q, b[2]]);
});

Deno.test("steer adds to the running turn; steering a finished task points to codex-reply", async () => {
  await using r = await rig();
  const s = r.session();
  const task = await startTask(r.engine, { prompt: "HOLD=3000 first part" }, s);
  await waitFor(r.engine, task.meta.id, (t) => t.meta.phase === "running" && !!t.meta.turnId);
  await r.engine.steer(task.meta.id, "STEERED-SECOND");
  const done = await r.engine.finished(task.meta.id);
  assert.equal(done.meta.phase, "completed", done.meta.failure ?? "");
  assert.match(r.world.fake.requests.map((q) => JSON.stringify(q.body)).join(), /STEERED-SECOND/);
  await assert.rejects(r.engine.steer(task.meta.id, "more"), /use codex-reply/);
});

Deno.test("after a restart a running task is interrupted and its thread continues", async () => {
  await using r = await rig();
  const s = r.session();
  const task = await startTask(r.engine, { prompt: "HOLD=60000 long" }, s);
  await waitFor(r.engine, task.meta.id, (t) => t.meta.phase === "running" && !!t.meta.turnId);
  const engine = await r.restart();
  const after = engine.get(task.meta.id)!;
  assert.equal(after.meta.phase, "interrupted");
  assert.match(after.meta.failure ?? "", /codex-reply/);
  const reply = await startTask(engine, { prompt: "continue", threadId: after.meta.threadId! }, s);
  const done = await engine.finished(reply.meta.id);
  assert.equal(done.meta.phase, "completed", done.meta.failure ?? "");
  assert.equal(done.meta.threadId, after.meta.threadId);
});

Deno.test("a reply to a thread Codex does not know is refused naming it", async () => {
  await using r = await rig();
  const s = r.session();
  const id = crypto.randomUUID();
  await assert.rejects(
    startTask(r.engine, { prompt: "hi", threadId: id }, s),
    new RegExp(`Cannot continue threadId "${id}" as Codex has no such thread`),
  );
  assert.equal(r.engine.list().length, 0);
});

Deno.test("isTransientWriteError: no space or I/O is tried again; a gone or read-only dir is not", () => {
  assert.equal(isTransientWriteError(new Error("No space left on device (os error 28)")), true);
  assert.equal(isTransientWriteError(new Error("Input/output error (os error 5)")), true);
  assert.equal(isTransientWriteError(new Deno.errors.NotFound("gone")), false);
  assert.equal(isTransientWriteError(new Error("Read-only file system (os error 30)")), false);
});
