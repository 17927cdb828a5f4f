import assert from "node:assert/strict";
import { join } from "node:path";
import { git, repoWithBranches } from "../../../tests/support/repo.ts";
import type { CommandOutcome } from "../../codex/sandboxed_command.ts";
import type { WorktreeInfo } from "../../git/worktree.ts";
import { type MergeRequest, type MergeState, newMergeState } from "./merge_plan.ts";
import { type MergeHost, runMerge } from "./merge_run.ts";

/** A host whose check is `sh -c` in the worktree and whose resolver writes `resolution`. */
function fakeHost(dir: string, options: {
  resolution?: string;
  /** Called before each check; returning "cancel" or "interrupt" stops the merge there. */
  beforeCheck?: (n: number) => "cancel" | "interrupt" | null;
  /** Whether check `n` reached the time limit (it is then stopped: exit code 137). */
  timesOut?: (n: number) => boolean;
}) {
  const stop = new AbortController();
  const calls = { saves: 0, finished: undefined as string | null | undefined, resolvers: 0 };
  let cancelled = false;
  let interrupted = false;
  let checks = 0;
  const host: MergeHost = {
    integrationPath: (_root, id) => join(dir, `merge-${id}`),
    repoLock: (fn) => fn(),
    save: () => Promise.resolve(void calls.saves++),
    step: () => {},
    cancelled: () => cancelled,
    interrupted: () => interrupted,
    signal: stop.signal,
    runCheck: async (command, cwd, _processId): Promise<CommandOutcome> => {
      const n = checks++;
      const what = options.beforeCheck?.(n) ?? null;
      const timedOut = options.timesOut?.(n) ?? false;
      if (what === "cancel") cancelled = true;
      if (what === "interrupt") interrupted = true;
      const out = await new Deno.Command("sh", { args: ["-c", command], cwd }).output();
      return {
        command,
        exitCode: timedOut ? 137 : out.code,
        tail: new TextDecoder().decode(out.stdout),
        timedOut,
        cancelled: what !== null,
        durationMs: timedOut ? 10_012 : 1,
      };
    },
    startResolver: async (_prompt, cwd) => {
      calls.resolvers++;
      await Deno.writeTextFile(join(cwd, "a.txt"), options.resolution ?? "");
      return `r${calls.resolvers}`;
    },
    ended: () => Promise.resolve({ phase: "completed", failure: null }),
    cancelTask: () => Promise.resolve(),
    discard: () => Promise.resolve(),
    finish: (failure) => Promise.resolve(void (calls.finished = failure)),
  };
  return { host, calls };
}

/** A repository with task branches x (adds x.txt), y and z (both change a.txt). */
async function withRepo(
  fn: (repo: string, request: MergeRequest, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "merge_run_test_" }));
  try {
    const { repo, base } = await repoWithBranches(dir, {
      x: { "x.txt": "x\n" },
      y: { "a.txt": "y\n" },
      z: { "a.txt": "z\n" },
    }, { "a.txt": "a\n" });
    const item = (taskId: string) => ({
      taskId,
      worktree: {
        repoRoot: repo,
        branch: `codex-swarm/${taskId}`,
        baseCommit: base,
      } as WorktreeInfo,
      prompt: `do ${taskId}`,
      finalMessage: null,
    });
    const request: MergeRequest = {
      items: ["x", "y", "z"].map(item),
      repoRoot: repo,
      target: "main",
      targetCommit: base,
      // Leaves a file the next merge would write: it must be gone by then.
      check: "test -e a.txt && echo left > x.txt",
      resolve: "codex",
      apply: false,
      cleanup: false,
    };
    await fn(repo, request, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runMerge: each branch merged and checked, a conflict resolved, saved each step", async () => {
  await withRepo(async (repo, request, dir) => {
    const state: MergeState = newMergeState();
    const { host, calls } = fakeHost(dir, { resolution: "y and z\n" });
    await runMerge("m1", request, state, host);
    assert.equal(calls.finished, null);
    assert.deepEqual(state.steps.map((s) => s.outcome), ["merged", "merged", "resolved"]);
    assert.equal(state.steps[2]!.resolverTaskId, "r1");
    assert.equal(await git(repo, "show", "codex-swarm-merge/m1:a.txt"), "y and z");
    assert.equal(state.end?.commit, await git(repo, "rev-parse", "codex-swarm-merge/m1"));
    assert.deepEqual(state.end?.diff, { files: 2, insertions: 2, deletions: 1 });
    assert.equal(state.end?.applied, false);
    assert.ok(calls.saves >= 1 + 3 * 2, `saved ${calls.saves} times`);
    // The worktree is gone, the branch stays; main did not move.
    assert.equal(await Deno.stat(join(dir, "merge-m1")).then(() => true, () => false), false);
    assert.equal(await git(repo, "rev-parse", "main"), request.targetCommit);
  });
});

Deno.test("runMerge: a resolution with markers left is left out; nothing new is recorded", async () => {
  await withRepo(async (_repo, request, dir) => {
    const state = newMergeState();
    const { host } = fakeHost(dir, { resolution: "<<<<<<< HEAD\ny\n=======\nz\n>>>>>>> z\n" });
    const again = { ...request, items: [...request.items, request.items[0]!] };
    await runMerge("m2", again, state, host);
    assert.deepEqual(state.steps.map((s) => s.outcome), [
      "merged",
      "merged",
      "resolution_failed",
      "nothing_new",
    ]);
    assert.equal(state.steps[2]!.note, "conflict markers remain in a.txt");
    assert.equal(state.steps[2]!.commit, state.steps[1]!.commit);
  });
});

Deno.test("runMerge: a cancel mid-check ends it at the last good step", async () => {
  await withRepo(async (repo, request, dir) => {
    const state = newMergeState();
    const { host, calls } = fakeHost(dir, { beforeCheck: (n) => n === 2 ? "cancel" : null });
    await runMerge("m3", request, state, host);
    assert.equal(calls.finished, "Cancelled");
    assert.deepEqual(state.steps.map((s) => s.outcome), ["merged"]);
    assert.equal(await git(repo, "rev-parse", "codex-swarm-merge/m3"), state.steps[0]!.commit);
  });
});

Deno.test("runMerge: a supervisor stop mid-queue records nothing more; resume goes on", async () => {
  await withRepo(async (repo, request, dir) => {
    const state = newMergeState();
    const first = fakeHost(dir, { beforeCheck: (n) => n === 2 ? "interrupt" : null });
    await runMerge("m4", request, state, first.host);
    assert.equal(first.calls.finished, undefined);
    assert.deepEqual(state.steps.map((s) => s.outcome), ["merged"]);
    // The dead supervisor left the second branch merged but unchecked: resume undoes it.
    const resumed = { ...state, current: null };
    const second = fakeHost(dir, { resolution: "y and z\n" });
    await runMerge("m5", request, resumed, second.host);
    assert.equal(second.calls.finished, null);
    assert.deepEqual(resumed.steps.map((s) => s.outcome), ["merged", "merged", "resolved"]);
    assert.equal(resumed.integration?.branch, "codex-swarm-merge/m4");
    assert.equal(
      await git(repo, "rev-list", "--count", "--merges", "main..codex-swarm-merge/m4"),
      "3",
    );
  });
});

Deno.test("runMerge: a check past the time limit leaves its branch out, saying so", async () => {
  await withRepo(async (repo, request, dir) => {
    const state = newMergeState();
    // Check 0 is the baseline, 1 is x's, 2 is y's.
    const { host, calls } = fakeHost(dir, { timesOut: (n) => n === 2 });
    await runMerge("m6", request, state, host);
    assert.equal(calls.finished, null);
    assert.deepEqual(state.steps.map((s) => s.outcome), ["merged", "check_failed", "merged"]);
    const out = state.steps[1]!;
    assert.equal(out.check?.timedOut, true);
    assert.equal(out.check?.passed, false);
    assert.equal(
      out.note,
      "its check reached the time limit (timeout_s) and was stopped after 10 s",
    );
    assert.equal(out.commit, state.steps[0]!.commit);
    assert.equal(await git(repo, "show", "codex-swarm-merge/m6:a.txt"), "z");
  });
});
