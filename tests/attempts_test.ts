/**
 * End-to-end: best of N. Real Codex app-servers against the fake Responses API run attempts of
 * one prompt (`VARIANTS=` makes each write a different file), each attempt's check runs in its
 * worktree in the task's sandbox, the group ranks them, merge takes one and discard of the group
 * drops the rest. A check is stopped by a cancel and by the time limit, its processes with it.
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import {
  eventually,
  makeWorld,
  processesMatching,
  startServer,
  textOf,
} from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

interface Row {
  rank: number;
  task_id: string;
  phase: string;
  check_exit_code: number | null;
  check_passed: boolean;
  check?: { command: string; exit_code: number | null; summary: string; tail?: string };
  diff_size: number | null;
  branch: string;
}

interface Group {
  group_id: string;
  size: number;
  done: number;
  passed: number;
  best: string | null;
  attempts: Row[];
  next: string;
}

/** The live `sleep` processes of a check `sleep <seconds>` (not the shells around them). */
function sleeps(check: string): number {
  return processesMatching(check).filter((p) => p.cmdline === check).length;
}

async function startGroup(client: Client, args: Record<string, unknown>) {
  const result = await call(client, "codex_async", {
    sandbox: "workspace-write",
    worktree: true,
    timeout_s: 120,
    ...args,
  });
  assert.equal(result.isError, undefined, textOf(result));
  return result.structuredContent as { group_id: string; task_ids: string[]; branches: string[] };
}

async function groupOf(client: Client, tool: string, groupId: string): Promise<Group> {
  const args = tool === "codex_wait"
    ? { task_ids: [groupId], timeout: 120 }
    : { task_ids: [groupId] };
  const result = await call(client, tool, args);
  assert.equal(result.isError, undefined, textOf(result));
  const groups = (result.structuredContent as { groups: Group[] }).groups;
  assert.equal(groups.length, 1, JSON.stringify(result.structuredContent));
  return groups[0]!;
}

Deno.test("run a fix as four attempts and merge the one whose tests pass", e2e, async (t) => {
  await using world = await makeWorld();
  const repo = await makeRepo();
  let server = await startServer(world);
  try {
    // Each attempt writes result.txt naming its variant; the check also leaves a file behind.
    const started = await startGroup(server.client, {
      prompt: "fix the tests VARIANTS=red|pass|blue|gold PATCH=result.txt",
      cwd: repo,
      attempts: 4,
      check: "cat result.txt | tee check-output.txt && grep -q pass result.txt",
    });

    await t.step("the group id and four task ids come back at once", () => {
      assert.match(started.group_id, /^g-[0-9a-f]{12}$/);
      assert.equal(started.task_ids.length, 4);
      assert.equal(new Set(started.task_ids).size, 4);
      assert.deepEqual(started.branches, started.task_ids.map((id) => `codex-swarm/${id}`));
    });

    const group = await groupOf(server.client, "codex_wait", started.group_id);
    const [best, ...rest] = group.attempts as [Row, ...Row[]];

    await t.step("the ranking puts the passing attempt first, then the others", async () => {
      assert.equal(group.done, 4, JSON.stringify(group));
      assert.equal(group.passed, 1, JSON.stringify(group));
      assert.deepEqual(group.attempts.map((r) => r.rank), [1, 2, 3, 4]);
      assert.deepEqual(
        group.attempts.map((r) => r.task_id).sort(),
        [...started.task_ids].sort(),
      );
      for (const row of group.attempts) assert.equal(row.phase, "completed", JSON.stringify(row));
      assert.equal(group.best, best.task_id);
      assert.equal(best.check_exit_code, 0);
      assert.equal(best.check_passed, true);
      assert.match(best.check!.tail ?? "", /MOCK-PATCH result\.txt pass/);
      const variants = new Set<string>();
      for (const row of rest) {
        assert.equal(row.check_exit_code, 1, JSON.stringify(row));
        assert.equal(row.check_passed, false);
        const variant = /MOCK-PATCH result\.txt (red|blue|gold)/.exec(row.check!.tail ?? "");
        assert.ok(variant, JSON.stringify(row));
        variants.add(variant[1]!);
        assert.match(row.check!.summary, /failed \(exit 1\)/);
      }
      assert.deepEqual([...variants].sort(), ["blue", "gold", "red"]);
      for (const row of group.attempts) {
        assert.equal(row.diff_size, 1);
        assert.equal(row.branch, `codex-swarm/${row.task_id}`);
      }
      // The passing attempt's branch holds its variant: the ranking read the right check.
      assert.match(await git(repo, "show", `${best.branch}:result.txt`), /pass/);
      assert.match(
        group.next,
        new RegExp(`codex_worktree \\{"task_id":"${best.task_id}","action":"merge"\\}`),
      );
      assert.match(group.next, new RegExp(`"task_id":"${started.group_id}","action":"discard"`));
    });

    await t.step("the check ran on the commit; what it left was not committed", async () => {
      for (const row of group.attempts) {
        const files = await git(repo, "ls-tree", "-r", "--name-only", row.branch);
        assert.ok(files.split("\n").includes("result.txt"), files);
        assert.ok(
          !files.includes("check-output.txt"),
          `the check's output was committed: ${files}`,
        );
      }
      const full = await call(server.client, "codex_status", {
        task_ids: [best.task_id],
        detail: "full",
      });
      assert.equal(full.isError, undefined, textOf(full));
      const view = (full.structuredContent as {
        tasks: Array<{
          worktree: { path: string };
          group: { id: string; index: number; size: number };
          check: { exit_code: number; dropped?: string[] };
        }>;
      }).tasks[0]!;
      assert.equal(
        await git(view.worktree.path, "status", "--porcelain"),
        "",
        "the check's leftovers stayed",
      );
      assert.deepEqual(view.check.dropped, ["check-output.txt"]);
      assert.equal(view.group.id, started.group_id);
      assert.equal(view.group.size, 4);
      assert.equal(started.task_ids[view.group.index], best.task_id);
      const list = await call(server.client, "codex_list", {});
      const rows = (list.structuredContent as { tasks: Array<{ group_id?: string }> }).tasks;
      assert.deepEqual(rows.map((r) => r.group_id), Array(4).fill(started.group_id));
    });

    await t.step("the group survives a supervisor restart", async () => {
      await server.stop();
      await world.stopSupervisor();
      server = await startServer(world);
      const again = await groupOf(server.client, "codex_status", started.group_id);
      assert.deepEqual(again.attempts.map((r) => r.task_id), group.attempts.map((r) => r.task_id));
      assert.equal(again.attempts[0]!.check_exit_code, 0);
    });

    await t.step("merge takes the passing attempt into the main checkout's branch", async () => {
      const group = await call(server.client, "codex_worktree", {
        task_id: started.group_id,
        action: "merge",
      });
      assert.equal(group.isError, true);
      assert.match(textOf(group), new RegExp(`"task_id":"${best.task_id}","action":"merge"`));
      const merged = await call(server.client, "codex_worktree", {
        task_id: best.task_id,
        action: "merge",
      });
      assert.equal(merged.isError, undefined, textOf(merged));
      assert.equal(await git(repo, "rev-parse", "--abbrev-ref", "HEAD"), "main");
      assert.match(await Deno.readTextFile(`${repo}/result.txt`), /MOCK-PATCH result\.txt pass/);
    });

    await t.step(
      "discard of the group removes the other three worktrees and branches",
      async () => {
        const paths = new Map<string, string>();
        const full = await call(server.client, "codex_status", {
          task_ids: started.task_ids,
          detail: "full",
        });
        for (
          const task of (full.structuredContent as {
            tasks: Array<{ task_id: string; worktree: { path: string } }>;
          }).tasks
        ) {
          paths.set(task.task_id, task.worktree.path);
        }
        const result = await call(server.client, "codex_worktree", {
          task_id: started.group_id,
          action: "discard",
        });
        assert.equal(result.isError, undefined, textOf(result));
        const sc = result.structuredContent as {
          discarded: Array<{ task_id: string }>;
          kept: Array<{ task_id: string; reason: string }>;
        };
        assert.deepEqual(
          sc.discarded.map((d) => d.task_id).sort(),
          rest.map((r) => r.task_id).sort(),
        );
        assert.deepEqual(sc.kept, [{
          task_id: best.task_id,
          branch: best.branch,
          reason: "merged",
        }]);
        assert.match(textOf(result), /discarded 3 attempt/);
        const branches = await git(
          repo,
          "branch",
          "--list",
          "codex-swarm/*",
          "--format=%(refname:short)",
        );
        assert.deepEqual(branches.split("\n"), [best.branch]);
        for (const row of rest) {
          assert.equal(
            await Deno.stat(paths.get(row.task_id)!).then(() => true, () => false),
            false,
          );
        }
        assert.ok(await Deno.stat(paths.get(best.task_id)!).then(() => true, () => false));
      },
    );
  } finally {
    await server.stop();
    await Deno.remove(repo, { recursive: true }).catch(() => {});
  }
});

Deno.test("cancel of an attempt while its check runs kills the check", e2e, async (t) => {
  await using world = await makeWorld();
  const repo = await makeRepo();
  await using server = await startServer(world);
  const sleeper = "sleep 37.25";
  try {
    const started = await startGroup(server.client, {
      prompt: "slow tests PATCH=slow.txt",
      cwd: repo,
      attempts: 2,
      check: sleeper,
    });
    const [first, second] = started.task_ids as [string, string];
    if (!await eventually(() => sleeps(sleeper) === 2, 90_000)) {
      const status = await call(server.client, "codex_status", { task_ids: started.task_ids });
      assert.fail(
        `the checks did not start: ${JSON.stringify(processesMatching(sleeper))} ${
          JSON.stringify(status.structuredContent)
        }`,
      );
    }

    await t.step("codex_status shows the check running", async () => {
      const group = await groupOf(server.client, "codex_status", started.group_id);
      for (const row of group.attempts) {
        assert.equal(row.phase, "running");
        assert.equal(row.check_exit_code, null);
        assert.match(row.check!.summary, /Running check "sleep 37\.25"/);
      }
    });

    await t.step("cancel of one attempt kills its check and leaves the other's", async () => {
      const cancelled = await call(server.client, "codex_cancel", { task_id: first });
      assert.equal(cancelled.isError, false, textOf(cancelled));
      assert.ok(
        await eventually(() => sleeps(sleeper) === 1, 15_000),
        JSON.stringify(processesMatching(sleeper)),
      );
      const group = await groupOf(server.client, "codex_status", started.group_id);
      const row = group.attempts.find((r) => r.task_id === first)!;
      assert.equal(row.phase, "cancelled");
      assert.match(row.check!.summary, /was cancelled/);
      assert.equal(row.check_passed, false);
      assert.equal(group.attempts.find((r) => r.task_id === second)!.phase, "running");
    });

    await t.step("cancel of the group id cancels the rest", async () => {
      const cancelled = await call(server.client, "codex_cancel", { task_id: started.group_id });
      assert.equal(cancelled.isError, false, textOf(cancelled));
      assert.ok(
        await eventually(() => sleeps(sleeper) === 0, 15_000),
        JSON.stringify(processesMatching(sleeper)),
      );
      const group = await groupOf(server.client, "codex_status", started.group_id);
      assert.deepEqual(group.attempts.map((r) => r.phase), ["cancelled", "cancelled"]);
    });
  } finally {
    await Deno.remove(repo, { recursive: true }).catch(() => {});
  }
});

Deno.test("a check past the time limit ends the task timed_out", e2e, async () => {
  await using world = await makeWorld();
  const repo = await makeRepo();
  await using server = await startServer(world);
  const sleeper = "sleep 38.5";
  try {
    const result = await call(server.client, "codex_async", {
      prompt: "one slow check PATCH=late.txt",
      cwd: repo,
      sandbox: "workspace-write",
      worktree: true,
      check: sleeper,
      timeout_s: 20,
    });
    assert.equal(result.isError, undefined, textOf(result));
    const id = (result.structuredContent as { task_id: string }).task_id;
    assert.ok(await eventually(() => sleeps(sleeper) === 1, 60_000));
    const waited = await call(server.client, "codex_wait", { task_ids: [id], timeout: 60 });
    const view = (waited.structuredContent as {
      tasks: Array<{ phase: string; check: { summary: string; exit_code: number | null } }>;
    }).tasks[0]!;
    assert.equal(view.phase, "timed_out", JSON.stringify(view));
    assert.match(view.check.summary, /stopped by the time limit/);
    assert.ok(
      await eventually(() => sleeps(sleeper) === 0, 15_000),
      JSON.stringify(processesMatching(sleeper)),
    );
    // The work was committed before the check ran.
    assert.match(await git(repo, "show", `codex-swarm/${id}:late.txt`), /MOCK-PATCH late\.txt/);
  } finally {
    await Deno.remove(repo, { recursive: true }).catch(() => {});
  }
});

Deno.test(
  "check on a single task (codex): what it leaves is dropped, so the sweep removes the worktree",
  e2e,
  async () => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    await using server = await startServer(world, { env: { CODEX_SWARM_TASK_MAX_AGE: "1" } });
    try {
      // A single worktree task with a check, through the blocking codex tool.
      const result = await call(server.client, "codex", {
        prompt: "build it PATCH=built.txt",
        cwd: repo,
        sandbox: "workspace-write",
        worktree: true,
        // Build output that is not ignored, and a tracked file rewritten.
        check: "mkdir -p dist && cp built.txt dist/out.txt && echo rewritten > shared.txt",
        timeout_s: 90,
      });
      assert.equal(result.isError, undefined, textOf(result));
      const sc = result.structuredContent as {
        taskId: string;
        check: { exit_code: number; passed: boolean; summary: string };
      };
      const id = sc.taskId;
      assert.equal(sc.check.exit_code, 0, JSON.stringify(sc));
      assert.equal(sc.check.passed, true);
      assert.match(textOf(result), /check "mkdir -p dist.*" passed/);
      const files = await git(repo, "ls-tree", "-r", "--name-only", `codex-swarm/${id}`);
      assert.deepEqual(files.split("\n").sort(), ["built.txt", "shared.txt", "sub/keep.txt"]);
      assert.equal(await git(repo, "show", `codex-swarm/${id}:shared.txt`), "line one");
      const swept = await eventually(async () => {
        const list = await call(server.client, "codex_list", {});
        return (list.structuredContent as { tasks: unknown[] }).tasks.length === 0;
      }, 15_000);
      assert.ok(swept, "the task with a check was not swept");
      // Only the main checkout is left: the task's worktree was removed.
      const worktrees = await git(repo, "worktree", "list", "--porcelain");
      assert.deepEqual(
        worktrees.split("\n").filter((l) => l.startsWith("worktree ")),
        [`worktree ${repo}`],
        "the worktree stayed",
      );
      // Its branch holds unmerged work: kept.
      assert.equal(await git(repo, "branch", "--list", `codex-swarm/${id}`), `codex-swarm/${id}`);
    } finally {
      await Deno.remove(repo, { recursive: true }).catch(() => {});
    }
  },
);
