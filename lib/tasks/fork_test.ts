/**
 * Forks: the request checks, the parent rules, all-or-none creation (with a host that records
 * what it was asked), and the engine undoing two forks when the third cannot be created (real
 * app-server, real git worktrees, a worktree manager that fails on the third fork).
 */

import assert from "node:assert/strict";
import { makeWorld } from "../../tests/support/harness.ts";
import { git, makeRepo } from "../../tests/support/repo.ts";
import { taskMeta } from "../../tests/support/task_meta.ts";
import type { Session } from "./engine_api.ts";
import { Logger } from "../base/log.ts";
import type { TaskMeta, TaskRequest, TaskSnapshot } from "./task.ts";
import { TaskStore } from "./task_store.ts";
import { type WorktreeInfo, WorktreeManager } from "../git/worktree.ts";
import { AppServerEngine } from "./app_engine.ts";
import {
  checkForkRequest,
  type ForkHost,
  forkParent,
  MAX_FORKS,
  settingsOf,
  startForks,
} from "./fork.ts";
import { RequestError } from "./request_error.ts";

const THREAD = "01a23379-8b64-73e0-b586-c4440ada693c";

function meta(id: string, phase: TaskMeta["phase"], createdAt: string, cwd = "/p"): TaskMeta {
  return taskMeta(id, { phase, createdAt, threadId: THREAD, request: { prompt: "p", cwd } });
}

/** A host that records what it is asked; `failAt` makes that start (0-based) throw. */
function host(tasks: TaskMeta[], options: { failAt?: number; known?: boolean } = {}) {
  const started: TaskRequest[] = [];
  const unmade: string[] = [];
  const log: string[] = [];
  const h: ForkHost = {
    check: () => {},
    tasksOn: () => tasks,
    worktreeOf: () => null,
    knowsThread: () => Promise.resolve(options.known ?? false),
    resolveCwd: (cwd) => Promise.resolve(cwd ?? "/session"),
    worktrees: {
      resolveRepo: () => Promise.reject(new Error("not a repository")),
      branchHead: () => Promise.resolve(null),
    },
    start: (request) => {
      if (started.length === options.failAt) return Promise.reject(new Error("disk full"));
      started.push(request);
      log.push("start");
      return Promise.resolve({ meta: { id: `t${started.length}`, worktree: null } } as never);
    },
    unmake: (id) => {
      unmade.push(id);
      return Promise.resolve();
    },
    hold: () => {
      log.push("hold");
      return () => log.push("release");
    },
  };
  return { host: h, started, unmade, log };
}

function refuses(fn: () => unknown, field: string, text: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RequestError, String(error));
    assert.equal(error.field, field);
    assert.match(error.message, text);
    return true;
  });
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

Deno.test("checkForkRequest names thread_id, prompts and prompts[i]", () => {
  const ok = { threadId: THREAD, prompts: ["a"] };
  checkForkRequest(ok);
  refuses(() => checkForkRequest({ ...ok, threadId: "--last" }), "thread_id", /not a Codex thread/);
  refuses(() => checkForkRequest({ ...ok, prompts: [] }), "prompts", /0 prompts: give 1 to 8/);
  const many = Array.from({ length: MAX_FORKS + 1 }, () => "p");
  refuses(() => checkForkRequest({ ...ok, prompts: many }), "prompts", /9 prompts/);
  refuses(() => checkForkRequest({ ...ok, prompts: ["a", " "] }), "prompts[1]", /empty/);
  refuses(() => checkForkRequest({ ...ok, prompts: "a" as never }), "prompts", /not a list/);
});

Deno.test("forkParent: refuses a running thread; takes the newest task", () => {
  const done = meta("old", "completed", "2026-01-01T00:00:00Z", "/old");
  const newer = meta("new", "failed", "2026-01-02T00:00:00Z", "/new");
  const parent = forkParent(THREAD, host([done, newer]).host);
  assert.deepEqual(parent, {
    threadId: THREAD,
    taskId: "new",
    worktree: null,
    cwd: "/new",
    settings: settingsOf(newer.request),
  });
  const running = meta("busy", "waiting_approval", "2026-01-03T00:00:00Z");
  refuses(
    () => forkParent(THREAD, host([done, running]).host),
    "thread_id",
    /task busy is waiting_approval on it: a fork of a turn in progress/,
  );
  assert.equal(forkParent(THREAD, host([]).host).taskId, null);
});

Deno.test("startForks: a thread with no task here must be one Codex knows", async () => {
  await assert.rejects(
    () => startForks({ threadId: THREAD, prompts: ["a"] }, host([]).host),
    (error: unknown) => {
      assert.ok(error instanceof RequestError, String(error));
      assert.equal(error.field, "thread_id");
      assert.match(error.message, /Codex has no such thread/);
      return true;
    },
  );
  const h = host([], { known: true });
  assert.equal((await startForks({ threadId: THREAD, prompts: ["a"] }, h.host)).length, 1);
});

Deno.test("startForks: one task per prompt, held until all exist, in the parent's cwd", async () => {
  const h = host([meta("p", "completed", "2026-01-01T00:00:00Z", "/parent")]);
  const forks = await startForks({ threadId: THREAD, prompts: ["a", "b"], model: "m" }, h.host);
  assert.equal(forks.length, 2);
  assert.deepEqual(h.log, ["hold", "start", "start", "release"]);
  assert.deepEqual(h.started.map((r) => [r.prompt, r.cwd, r.model, r.forkOf?.threadId]), [
    ["a", "/parent", "m", THREAD],
    ["b", "/parent", "m", THREAD],
  ]);
  assert.equal(h.started[0]!.threadId, undefined);
});

Deno.test("startForks: when the third cannot be made, the first two are removed", async () => {
  const h = host([meta("p", "completed", "2026-01-01T00:00:00Z")], { failAt: 2 });
  await assert.rejects(
    startForks({ threadId: THREAD, prompts: ["a", "b", "c"] }, h.host),
    /fork 3 of 3 could not be created \(the 2 made before it were removed\): disk full/,
  );
  assert.deepEqual(h.unmade.sort(), ["t1", "t2"]);
  assert.equal(h.log.at(-1), "release");
});

Deno.test("startForks: worktree: true without a worktree or repository names worktree", async () => {
  const h = host([meta("p", "completed", "2026-01-01T00:00:00Z", "/plain")]);
  await assert.rejects(
    startForks({ threadId: THREAD, prompts: ["a"], worktree: true }, h.host),
    (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.equal(error.field, "worktree");
      assert.match(error.message, /no worktree and its cwd \/plain is not in a git repository/);
      return true;
    },
  );
  assert.equal(h.started.length, 0);
});

Deno.test("startForks: several forks may not share the thread's worktree; one may", async () => {
  const tree: WorktreeInfo = {
    repoRoot: "/repo",
    path: "/wt/p",
    branch: "codex-swarm/p",
    baseRef: "main",
    baseCommit: "0".repeat(40),
    cwd: "/wt/p",
  };
  const h = host([meta("p", "completed", "2026-01-01T00:00:00Z")]);
  h.host.worktreeOf = () => tree;
  await assert.rejects(
    startForks({ threadId: THREAD, prompts: ["a", "b"] }, h.host),
    (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.equal(error.field, "worktree");
      assert.match(
        error.message,
        /into 2 forks without worktree: true as they would all work in its worktree \/wt\/p \(branch codex-swarm\/p\).*pass worktree: true/,
      );
      return true;
    },
  );
  assert.equal(h.started.length, 0);
  await startForks({ threadId: THREAD, prompts: ["a"] }, h.host);
  await startForks({ threadId: THREAD, prompts: ["a", "b"], worktree: false }, h.host);
  assert.equal(h.started.length, 3);
});

/** Fails creating the `failAt`-th worktree (1-based), as a full disk or a git error would. */
class FailingWorktrees extends WorktreeManager {
  created = 0;
  failAt = Infinity;
  override create(taskId: string, cwd: string, base?: string): Promise<WorktreeInfo> {
    if (++this.created === this.failAt) {
      return Promise.reject(new Error(`git worktree add failed for ${taskId}`));
    }
    return super.create(taskId, cwd, base);
  }
}

Deno.test(
  "engine: forks in worktrees are made all or none (real app-server and git)",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    const worktrees = new FailingWorktrees({ worktreeDir: world.worktreeDir });
    const session: Session = {
      id: "s-fork",
      kind: "client",
      taskId: null,
      defaults: { overrides: [], skipGitRepoCheck: true, ephemeral: false },
      taskTimeoutS: 120,
      cwd: repo,
      env: world.env,
    };
    const engine = new AppServerEngine({
      config: { codexBin: "codex", maxParallel: 4, taskMaxAgeS: 86400 },
      store: new TaskStore(world.taskDir),
      worktrees,
      log: new Logger({ level: "warning", file: null }),
      fallbackSession: session,
    });
    await engine.init();
    try {
      const parent = await engine.start(
        { prompt: "parent PATCH=p.txt", worktree: true, sandbox: "workspace-write" },
        session,
      );
      const done = await engine.finished(parent.meta.id);
      assert.equal(done.meta.phase, "completed", done.meta.failure ?? "");
      const requestsBefore = world.fake.requests.length;
      worktrees.failAt = worktrees.created + 3;
      await assert.rejects(
        engine.fork({
          threadId: done.meta.threadId!,
          prompts: ["one", "two", "three"],
          worktree: true,
        }, session),
        /fork 3 of 3 could not be created \(the 2 made before it were removed\): git worktree add failed/,
      );
      assert.deepEqual(engine.list().map((t: TaskSnapshot) => t.meta.id), [parent.meta.id]);
      const dirs = [...Deno.readDirSync(world.taskDir)].map((e) => e.name)
        .filter((n) => !n.startsWith("."));
      assert.deepEqual(dirs, [parent.meta.id]);
      assert.equal(
        await git(repo, "branch", "--list", "--format=%(refname:short)", "codex-swarm/*"),
        done.meta.worktree!.branch,
      );
      const listed = await git(repo, "worktree", "list", "--porcelain");
      assert.equal(listed.split("\n").filter((l) => l.startsWith("worktree ")).length, 2);
      assert.equal(world.fake.requests.length, requestsBefore, "a removed fork reached the model");
    } finally {
      await engine[Symbol.asyncDispose]();
      await Deno.remove(repo, { recursive: true }).catch(() => {});
    }
  },
);
