import assert from "node:assert/strict";
import { join } from "node:path";
import { git } from "../git/git.ts";
import { Policy } from "../codex/policy.ts";
import type { TaskMeta, TaskSnapshot } from "../tasks/task.ts";
import type { WorktreeInfo } from "../git/worktree.ts";
import { newMergeState } from "../tasks/merge/merge_plan.ts";
import { taskMeta } from "../../tests/support/task_meta.ts";
import { checkMergeCall, checkResume, type MergeLookup } from "./merge_request.ts";

function snapshot(meta: TaskMeta): TaskSnapshot {
  return { meta, elapsedMs: 0, stderrTail: "" } as unknown as TaskSnapshot;
}

/** A repository on main with branches codex-swarm/a and codex-swarm/b, and tasks a and b. */
async function withTasks(
  fn: (lookup: MergeLookup, repo: string, add: (meta: TaskMeta) => void) => Promise<void>,
): Promise<void> {
  const repo = await Deno.realPath(await Deno.makeTempDir({ prefix: "merge_request_test_" }));
  try {
    const run = (...args: string[]) => git(args, { cwd: repo });
    await run("init", "--quiet", "--initial-branch=main");
    await run(
      "-c",
      "user.name=T",
      "-c",
      "user.email=t@e",
      "commit",
      "--quiet",
      "--allow-empty",
      "-m",
      "i",
    );
    const base = (await run("rev-parse", "HEAD")).trim();
    const tasks = new Map<string, TaskSnapshot>();
    const add = (meta: TaskMeta) => tasks.set(meta.id, snapshot(meta));
    for (const id of ["a", "b"]) {
      await run("branch", `codex-swarm/${id}`);
      const worktree: WorktreeInfo = {
        repoRoot: repo,
        path: join(repo, "..", id),
        branch: `codex-swarm/${id}`,
        baseRef: "main",
        baseCommit: base,
        cwd: join(repo, "..", id),
      };
      add(taskMeta(id, {
        phase: "completed",
        worktree,
        request: { prompt: `do ${id}`, worktree: true, check: "make test" },
      }));
    }
    const lookup: MergeLookup = {
      get: (id) => tasks.get(id),
      list: () => [...tasks.values()],
      policy: new Policy(),
      env: { PATH: Deno.env.get("PATH") ?? "" },
    };
    await fn(lookup, repo, add);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
}

Deno.test("checkMergeCall: the tasks in order, the target's head, the tasks' own check", async () => {
  await withTasks(async (lookup, repo) => {
    const request = await checkMergeCall({ task_ids: ["b", "a"] }, lookup);
    assert.deepEqual(request.items.map((i) => i.taskId), ["b", "a"]);
    assert.equal(request.repoRoot, repo);
    assert.equal(request.target, "main");
    assert.equal(request.check, "make test");
    assert.equal(request.resolve, "codex");
    assert.equal(request.apply, false);
    assert.equal(request.items[0]!.prompt, "do b");
  });
});

Deno.test("checkMergeCall: a check is needed when the tasks' differ; the call's wins", async () => {
  await withTasks(async (lookup, _repo, add) => {
    const a = lookup.get("a")!.meta;
    add({ ...a, request: { ...a.request, check: "npm test" } });
    await assert.rejects(
      () => checkMergeCall({ task_ids: ["a", "b"] }, lookup),
      /^RequestError: Cannot choose a check as the tasks did not all have the same one/,
    );
    const request = await checkMergeCall({ task_ids: ["a", "b"], check: "true" }, lookup);
    assert.equal(request.check, "true");
  });
});

Deno.test("checkMergeCall: a task whose branch is gone, or a reply still in its worktree", async () => {
  await withTasks(async (lookup, repo, add) => {
    await git(["branch", "-D", "codex-swarm/b"], { cwd: repo });
    await assert.rejects(
      () => checkMergeCall({ task_ids: ["a", "b"] }, lookup),
      (error: Error & { field?: string }) =>
        error.field === "task_ids[1]" && /as its branch codex-swarm\/b is gone/.test(error.message),
    );
    const a = lookup.get("a")!.meta;
    add(taskMeta("reply", { phase: "running", worktree: a.worktree }));
    await assert.rejects(
      () => checkMergeCall({ task_ids: ["a"] }, lookup),
      /as task "reply" \(running\) still works in its worktree/,
    );
  });
});

Deno.test("checkResume: only an interrupted merge, once", async () => {
  await withTasks(async (lookup, _repo, add) => {
    assert.throws(() => checkResume("nope", lookup), /as no such task is known/);
    assert.throws(() => checkResume("a", lookup), /as task "a" is not a merge/);
    const merge = await checkMergeCall({ task_ids: ["a"] }, lookup);
    add(
      taskMeta("m1", {
        phase: "cancelled",
        request: { prompt: "m", merge },
        merge: newMergeState(),
      }),
    );
    assert.throws(() => checkResume("m1", lookup), /as it is cancelled: only a merge a supervisor/);
    add(
      taskMeta("m1", {
        phase: "interrupted",
        request: { prompt: "m", merge },
        merge: newMergeState(),
      }),
    );
    assert.equal(checkResume("m1", lookup).meta.id, "m1");
    add(
      taskMeta("m2", {
        phase: "running",
        request: { prompt: "m", merge: { ...merge, resumeOf: "m1" } },
      }),
    );
    assert.throws(() => checkResume("m1", lookup), /as merge "m2" resumed it already/);
  });
});

Deno.test("checkResume: a merge of a repository outside the caller's roots", async () => {
  const elsewhere = await Deno.realPath(await Deno.makeTempDir({ prefix: "merge_request_roots_" }));
  try {
    await withTasks(async (lookup, _repo, add) => {
      const merge = await checkMergeCall({ task_ids: ["a"] }, lookup);
      add(taskMeta("m1", {
        phase: "interrupted",
        request: { prompt: "m", merge },
        merge: newMergeState(),
      }));
      // A session narrowed to another directory may not go on with it: it may apply and clean up.
      const narrowed = { ...lookup, policy: new Policy({ allowRoots: [elsewhere] }) };
      assert.throws(() => checkResume("m1", narrowed), /outside/);
      assert.equal(checkResume("m1", lookup).meta.id, "m1");
    });
  } finally {
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("checkMergeCall: the resolving tasks' approval policy, none in a task's session", async () => {
  await withTasks(async (lookup) => {
    const call = { task_ids: ["a"], "approval-policy": "untrusted" as const };
    assert.equal((await checkMergeCall(call, lookup)).approvalPolicy, "untrusted");
    assert.equal((await checkMergeCall({ task_ids: ["a"] }, lookup)).approvalPolicy, undefined);
    const inTask = { ...lookup, asksNoApprovals: true };
    await assert.rejects(
      () => checkMergeCall(call, inTask),
      /^RequestError: Cannot use approval_policy "untrusted" in a session a task's own process/,
    );
    const never = { task_ids: ["a"], "approval-policy": "never" as const };
    assert.equal((await checkMergeCall(never, inTask)).approvalPolicy, "never");
  });
});
