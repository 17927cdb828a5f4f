/**
 * Forks end to end, all or none (real app-server, real git worktrees): two forks are undone when
 * the third cannot be made, be it its worktree (while the forks are planned, lib/request/) or its
 * record (while the engine creates them). The checks and plans of forks are tested in
 * lib/request/fork_plan_test.ts.
 */

import { clientSession, localWorkers } from "../../tests/support/engine_parts.ts";
import assert from "node:assert/strict";
import { makeWorld } from "../../tests/support/harness.ts";
import { git, makeRepo } from "../../tests/support/repo.ts";
import { Logger } from "../base/log.ts";
import type { TaskMeta, TaskSnapshot } from "./task.ts";
import { TaskStore } from "./task_store.ts";
import { type WorktreeInfo, WorktreeManager } from "../git/worktree.ts";
import { AppServerEngine } from "./app_engine.ts";
import { startForks, startTask } from "../request/plans.ts";
import { planTask } from "../request/task_plan.ts";

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

/** Fails writing the `failAt`-th new task record (1-based), as a full disk would. */
class FailingStore extends TaskStore {
  created = 0;
  failAt = Infinity;
  override create(meta: TaskMeta): Promise<void> {
    if (++this.created === this.failAt) return Promise.reject(new Error("disk full"));
    return super.create(meta);
  }
}

/** Forks a finished parent (in a worktree) into three, the third failing as `failThird` makes it. */
async function forkIntoThree(
  failThird: (worktrees: FailingWorktrees, store: FailingStore) => void,
  failure: RegExp,
): Promise<void> {
  await using world = await makeWorld();
  const repo = await makeRepo();
  const worktrees = new FailingWorktrees({ worktreeDir: world.worktreeDir });
  const store = new FailingStore(world.taskDir);
  const session = clientSession(repo, { id: "s-fork", env: world.env });
  const log = new Logger({ level: "warning", file: null });
  const engine = new AppServerEngine({
    planTask,
    config: { codexBin: "codex", maxParallel: 4, taskMaxAgeS: 86400 },
    store,
    worktrees,
    log,
    fallbackSession: session,
    workers: localWorkers(4, log),
  });
  await engine.init();
  try {
    const parent = await startTask(
      engine,
      { prompt: "parent PATCH=p.txt", worktree: true, sandbox: "workspace-write" },
      session,
    );
    const done = await engine.finished(parent.meta.id);
    assert.equal(done.meta.phase, "completed", done.meta.failure ?? "");
    const requestsBefore = world.fake.requests.length;
    failThird(worktrees, store);
    await assert.rejects(
      startForks(engine, {
        threadId: done.meta.threadId!,
        prompts: ["one", "two", "three"],
        worktree: true,
      }, session),
      failure,
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
}

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test("forks are planned all or none: the third worktree fails", e2e, async () => {
  await forkIntoThree(
    (worktrees) => (worktrees.failAt = worktrees.created + 3),
    /fork 3 of 3 could not be created \(the 2 made before it were removed\): git worktree add failed/,
  );
});

Deno.test("forks are created all or none: the third record fails", e2e, async () => {
  await forkIntoThree(
    (_, store) => (store.failAt = store.created + 3),
    /fork 3 of 3 could not be created \(the 2 made before it were removed\): Cannot start task .* disk full/,
  );
});
