import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import type { WorktreeInfo } from "../git/worktree.ts";
import { taskMeta } from "../../tests/support/task_meta.ts";
import { sweepTasks } from "./sweep.ts";
import { TaskRecord } from "./task_record.ts";

const log = new Logger({ level: "error", file: null, stderr: () => {} });
const DAY = 86_400_000;
const NOW = Date.parse("2026-12-02T00:00:00Z");

function worktree(path: string): WorktreeInfo {
  return {
    repoRoot: "/repo",
    path,
    branch: `codex-swarm/${path.split("/").pop()}`,
    baseRef: "main",
    baseCommit: "0".repeat(40),
    cwd: path,
  };
}

function task(id: string, phase: string, endedDaysAgo: number | null, tree?: string) {
  return new TaskRecord(
    taskMeta(id, {
      phase: phase as never,
      endedAt: endedDaysAgo === null ? null : new Date(NOW - endedDaysAgo * DAY).toISOString(),
      worktree: tree ? worktree(tree) : null,
    }),
    null,
  );
}

function deps(uncommitted: Record<string, string[]> = {}, unmerged: string[] = []) {
  const calls: string[] = [];
  return {
    calls,
    deps: {
      maxAgeS: 7 * 86_400,
      log,
      store: { remove: (id: string) => (calls.push(`remove ${id}`), Promise.resolve()) },
      worktrees: {
        removeWorktreeIfCommitted: (info: WorktreeInfo) => {
          const left = uncommitted[info.path] ?? [];
          calls.push(`worktree ${info.path}${left.length ? " kept" : ""}`);
          return Promise.resolve({ removed: left.length === 0, uncommitted: left });
        },
        branchHasUnmergedCommits: (info: WorktreeInfo) =>
          Promise.resolve(unmerged.includes(info.path)),
        discard: (info: WorktreeInfo) => (calls.push(`branch ${info.branch}`), Promise.resolve()),
        holdWorktrees: () => Promise.resolve({ [Symbol.dispose]: () => {} }),
      },
      recommit: (record: TaskRecord) => {
        calls.push(`recommit ${record.meta.id}`);
        record.meta.worktreeOutcome = null;
        return Promise.resolve();
      },
    },
  };
}

Deno.test("sweepTasks: only old final tasks go, unfinished and recent ones stay", async () => {
  const records = [
    task("old", "completed", 8),
    task("recent", "completed", 1),
    task("running", "running", null),
  ];
  const { calls, deps: d } = deps();
  assert.deepEqual(await sweepTasks(records, d, NOW), ["old"]);
  assert.deepEqual(calls, ["remove old"]);
});

Deno.test("sweepTasks: a worktree goes only when committed and not in use", async () => {
  const records = [
    task("merged", "completed", 9, "/wt/merged"),
    task("unmerged", "completed", 9, "/wt/unmerged"),
    task("dirty", "failed", 9, "/wt/dirty"),
    task("shared", "completed", 9, "/wt/shared"),
    task("reply", "running", null, "/wt/shared"),
  ];
  const { calls, deps: d } = deps({ "/wt/dirty": ["a.txt"] }, ["/wt/unmerged"]);
  assert.deepEqual(await sweepTasks(records, d, NOW), ["merged", "unmerged"]);
  assert.deepEqual(calls, [
    "worktree /wt/merged",
    "branch codex-swarm/merged",
    "remove merged",
    "worktree /wt/unmerged", // its branch holds unmerged work: it stays
    "remove unmerged",
    "worktree /wt/dirty kept",
  ]);
});

Deno.test("sweepTasks: a failed commit is tried again before the worktree goes", async () => {
  const record = task("failed-commit", "failed", 9, "/wt/fc");
  record.meta.worktreeOutcome = {
    commit: null,
    files: [],
    insertions: 0,
    deletions: 0,
    error: "disk full",
  };
  const { calls, deps: d } = deps();
  assert.deepEqual(await sweepTasks([record], d, NOW), ["failed-commit"]);
  assert.deepEqual(calls.slice(0, 2), ["recommit failed-commit", "worktree /wt/fc"]);
});

Deno.test("sweepTasks: a remote task's workspace on its worker goes first; a down worker keeps the task", async () => {
  const away = task("away", "completed", 30, "/wt/away");
  const down = task("down", "failed", 30, "/wt/down");
  for (const record of [away, down]) {
    record.meta.worker = "gpu";
    record.meta.remote = { cache: "/c", path: `/w/${record.meta.id}`, cwd: "/w", startCommit: "1" };
  }
  const { calls, deps: d } = deps();
  const removed = await sweepTasks([away, down], {
    ...d,
    removeRemote: (record) => {
      if (record.meta.id === "down") {
        return Promise.reject(new Error('Cannot use worker "gpu" as it is down'));
      }
      calls.push(`remote ${record.meta.id}`);
      return Promise.resolve();
    },
  }, NOW);
  assert.deepEqual(removed, ["away"]);
  assert.deepEqual(calls, [
    "remote away",
    "worktree /wt/away",
    "branch codex-swarm/away",
    "remove away",
  ]);
});
