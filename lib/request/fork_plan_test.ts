/** The checks and plans of forks, against an engine's facts that record what they are asked. */

import { clientSession } from "../../tests/support/engine_parts.ts";
import assert from "node:assert/strict";
import { taskMeta, worktreeInfo } from "../../tests/support/task_meta.ts";
import type { TaskMeta } from "../tasks/task.ts";
import type { WorktreeInfo } from "../git/worktree.ts";
import type { PlanFacts } from "../tasks/engine_api.ts";
import { RequestError } from "../tasks/request_error.ts";
import { checkForkRequest, forkParent, planFork, settingsOf } from "./fork_plan.ts";

const THREAD = "01a23379-8b64-73e0-b586-c4440ada693c";

function meta(id: string, phase: TaskMeta["phase"], createdAt: string, cwd = "/p"): TaskMeta {
  return taskMeta(id, { phase, createdAt, threadId: THREAD, request: { prompt: "p", cwd } });
}

/** A session in a fresh directory, and facts of `tasks`; `failAt` makes that worktree fail. */
async function setting(tasks: (dir: string) => TaskMeta[], options: { known?: boolean } = {}) {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "fork-plan-" }));
  const session = clientSession(dir, { id: "s-1", taskTimeoutS: 0 });
  const made: string[] = [];
  const discarded: string[] = [];
  const state = { failAt: Infinity, tree: null as WorktreeInfo | null, repo: false };
  const facts: PlanFacts = {
    task: () => undefined,
    tasksOn: () => tasks(dir),
    worktreeOfThread: () => state.tree,
    knowsThread: () => Promise.resolve(options.known ?? false),
    worker: () => null,
    codexHome: "",
    worktrees: {
      resolveRepo: (cwd: string) =>
        state.repo
          ? Promise.resolve({ root: cwd }) as never
          : Promise.reject(new Error("not a repository")),
      create: (id: string) => {
        if (made.length + 1 === state.failAt) return Promise.reject(new Error("disk full"));
        made.push(id);
        return Promise.resolve({ ...worktreeInfo(`${dir}/wt-${id}`), branch: `codex-swarm/${id}` });
      },
      branchHead: () => Promise.resolve(null),
      discard: (info: WorktreeInfo) => {
        discarded.push(info.branch);
        return Promise.resolve();
      },
    } as never,
  };
  return { dir, session, facts, made, discarded, state };
}

function refuses(fn: () => unknown, field: string, text: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RequestError, String(error));
    assert.equal(error.field, field);
    assert.match(error.message, text);
    return true;
  });
}

function rejectsWith(field: string, text: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof RequestError, String(error));
    assert.equal(error.field, field);
    assert.match(error.message, text);
    return true;
  };
}

Deno.test("settingsOf keeps the settings a fork inherits, and only those given", () => {
  assert.deepEqual(
    settingsOf({
      prompt: "p",
      model: "m",
      sandbox: "workspace-write",
      approvalPolicy: "on-request",
      config: { a: 1 },
      worktree: true,
      outputSchema: {},
      timeoutS: 30,
    }),
    {
      model: "m",
      sandbox: "workspace-write",
      approvalPolicy: "on-request",
      config: { a: 1 },
      timeoutS: 30,
    },
  );
  assert.deepEqual(settingsOf({ prompt: "p" }), {});
});

Deno.test("checkForkRequest names thread_id and prompts[i]", () => {
  const ok = { threadId: THREAD, prompts: ["a"] };
  checkForkRequest(ok);
  refuses(() => checkForkRequest({ ...ok, threadId: "--last" }), "thread_id", /not a Codex thread/);
  refuses(() => checkForkRequest({ ...ok, prompts: ["a", " "] }), "prompts[1]", /empty/);
});

Deno.test("forkParent: refuses a running thread; takes the newest task", () => {
  const done = meta("old", "completed", "2026-01-01T00:00:00Z", "/old");
  const newer = meta("new", "failed", "2026-01-02T00:00:00Z", "/new");
  assert.deepEqual(forkParent(THREAD, [done, newer], null), {
    threadId: THREAD,
    taskId: "new",
    worktree: null,
    cwd: "/new",
    settings: settingsOf(newer.request),
  });
  const running = meta("busy", "waiting_approval", "2026-01-03T00:00:00Z");
  refuses(
    () => forkParent(THREAD, [done, running], null),
    "thread_id",
    /task busy is waiting_approval on it: a fork of a turn in progress/,
  );
  assert.equal(forkParent(THREAD, [], null).taskId, null);
});

Deno.test("planFork: a thread with no task here must be one Codex knows", async () => {
  const unknown = await setting(() => []);
  await assert.rejects(
    planFork({ threadId: THREAD, prompts: ["a"] }, unknown.session, unknown.facts),
    rejectsWith("thread_id", /Codex has no such thread/),
  );
  const known = await setting(() => [], { known: true });
  const plan = await planFork({ threadId: THREAD, prompts: ["a"] }, known.session, known.facts);
  assert.equal(plan.forks.length, 1);
  assert.equal(plan.forks[0]!.runCwd, known.dir, "in the session's directory");
});

Deno.test("planFork: one plan per prompt, in the parent's cwd, with its settings", async () => {
  const s = await setting((dir) => [meta("p", "completed", "2026-01-01T00:00:00Z", dir)]);
  const plan = await planFork(
    { threadId: THREAD, prompts: ["a", "b"], model: "m" },
    s.session,
    s.facts,
  );
  assert.deepEqual(
    plan.forks.map((
      f,
    ) => [f.request.prompt, f.request.cwd, f.request.model, f.request.forkOf?.threadId]),
    [["a", s.dir, "m", THREAD], ["b", s.dir, "m", THREAD]],
  );
  assert.equal(plan.forks[0]!.request.threadId, undefined);
  assert.notEqual(plan.forks[0]!.id, plan.forks[1]!.id);
});

Deno.test("planFork: when the third worktree cannot be made, the first two go", async () => {
  const s = await setting((dir) => [meta("p", "completed", "2026-01-01T00:00:00Z", dir)]);
  s.state.repo = true;
  s.state.failAt = 3;
  await assert.rejects(
    planFork({ threadId: THREAD, prompts: ["a", "b", "c"], worktree: true }, s.session, s.facts),
    /fork 3 of 3 could not be created \(the 2 made before it were removed\): disk full/,
  );
  assert.deepEqual(s.discarded.sort(), s.made.map((id) => `codex-swarm/${id}`).sort());
  assert.equal(s.made.length, 2);
});

Deno.test("planFork: worktree: true without a worktree or repository names worktree", async () => {
  const s = await setting((dir) => [meta("p", "completed", "2026-01-01T00:00:00Z", dir)]);
  await assert.rejects(
    planFork({ threadId: THREAD, prompts: ["a"], worktree: true }, s.session, s.facts),
    rejectsWith("worktree", /no worktree and its cwd .* is not in a git repository/),
  );
  assert.equal(s.made.length, 0);
});

Deno.test("planFork: several forks may not share the thread's worktree; one may", async () => {
  const s = await setting((dir) => [meta("p", "completed", "2026-01-01T00:00:00Z", dir)]);
  s.state.tree = worktreeInfo(s.dir);
  await assert.rejects(
    planFork({ threadId: THREAD, prompts: ["a", "b"] }, s.session, s.facts),
    rejectsWith(
      "worktree",
      /into 2 forks without worktree: true as they would all work in its worktree .* \(branch codex-swarm\/p\).*pass worktree: true/,
    ),
  );
  const one = await planFork({ threadId: THREAD, prompts: ["a"] }, s.session, s.facts);
  assert.equal(one.forks[0]!.worktree.kind, "inherited");
  assert.equal(one.parentWorktree, s.state.tree);
  const two = await planFork(
    { threadId: THREAD, prompts: ["a", "b"], worktree: false },
    s.session,
    s.facts,
  );
  assert.deepEqual(two.forks.map((f) => f.worktree.kind), ["none", "none"]);
});
