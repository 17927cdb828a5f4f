/**
 * End-to-end: `codex_merge`, the merge queue, from an MCP client with the real Codex against the
 * fake Responses API. Task branches are merged into `codex-swarm-merge/<merge id>` one by one with
 * `check` after each; a conflict is resolved by a Codex task (the fake's `RESOLVE=` script, read
 * only where the resolving task's prompt quotes a task's prompt) or stops the queue; a branch that
 * breaks the check is left out; the user's checkout is never touched, and `apply` refuses while it
 * is dirty; a cancel mid-merge or mid-resolution leaves no process and the branch at its last good
 * step; after a kill -9 of the supervisor mid-queue, `resume` finishes the queue. Bad input is
 * refused, naming the field, and nothing is made.
 */

import assert from "node:assert/strict";
import { processesIn } from "../lib/base/leftover_processes.ts";
import {
  eventually,
  makeWorld,
  processesMatching,
  startServer,
  supervisorsOf,
  textOf,
} from "./support/harness.ts";
import { checkoutState, git, makeRepo } from "./support/repo.ts";
import { call, reconnect, startTask, waitAll } from "./support/tool_calls.ts";
import type { Client } from "./support/sdk_client.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type View = { task_id: string; phase: string; failure: string | null };
type Branch = {
  task_id: string;
  branch: string;
  outcome: string;
  commit?: string;
  resolved_by?: string;
  conflicts?: string[];
  check?: { passed: boolean; exit_code: number | null; timed_out?: boolean; tail?: string };
  note?: string;
};
type Report = {
  merge_id: string;
  target: string;
  integration_branch: string | null;
  check: string;
  resumed_from?: string;
  baseline: { passed: boolean } | null;
  step?: string;
  branches: Branch[];
  final_commit?: string;
  diff_stat?: string;
  applied?: boolean;
  apply_note?: string;
  cleaned?: string[];
};
type MergeView = { task_id: string; phase: string; failure?: string; merge: Report };

/** The check of most merges: a branch that adds `broken.txt` breaks it. */
const CHECK = "test ! -e broken.txt";

/** Starts a merge; asserts it started and returns its id. */
async function startMerge(client: Client, args: Record<string, unknown>): Promise<string> {
  const result = await call(client, "codex_merge", args);
  assert.equal(result.isError, undefined, textOf(result));
  const started = result.structuredContent as { task_id: string; integration_branch: string };
  assert.equal(started.integration_branch, `codex-swarm-merge/${started.task_id}`);
  return started.task_id;
}

/** The merge's compact view (its report so far). */
async function mergeView(client: Client, id: string): Promise<MergeView> {
  const status = await call(client, "codex_status", { task_ids: [id] });
  return (status.structuredContent as { tasks: MergeView[] }).tasks[0]!;
}

type ResolverView = View & {
  approval?: { message: string };
  answered: Array<{ decision: string; by: string }>;
};

/** A task's full view (its pending question and the answers given). */
async function resolverView(client: Client, id: string): Promise<ResolverView> {
  const status = await call(client, "codex_status", { task_ids: [id], detail: "full" });
  return (status.structuredContent as { tasks: ResolverView[] }).tasks[0]!;
}

/** Waits for the merge to end; returns its view. */
async function finished(client: Client, id: string): Promise<MergeView> {
  await call(client, "codex_wait", { task_ids: [id], timeout: 90 });
  const view = await mergeView(client, id);
  assert.ok(!["running"].includes(view.phase), JSON.stringify(view));
  return view;
}

/** The integration branches of the repository. */
async function mergeBranches(repo: string): Promise<string[]> {
  const out = await git(
    repo,
    "branch",
    "--list",
    "codex-swarm-merge/*",
    "--format=%(refname:short)",
  );
  return out.split("\n").filter((b) => b !== "");
}

/** The file `path` at `rev`, or null. */
async function fileAt(repo: string, rev: string, path: string): Promise<string | null> {
  return await git(repo, "show", `${rev}:${path}`).catch(() => null);
}

Deno.test("codex_merge: three branches, conflicts, checks, the user's checkout", e2e, async (t) => {
  await using world = await makeWorld();
  await using server = await startServer(world);
  const { client } = server;
  const repo = await makeRepo();
  await Deno.writeTextFile(`${repo}/.gitignore`, ".env\n");
  await git(repo, "add", ".gitignore");
  await git(repo, "commit", "-q", "-m", "ignore .env");
  const prompts = {
    alpha: "alpha PATCH=both.txt VARIANTS=alpha",
    // Conflicts with alpha (both add both.txt); its resolving task rewrites the file.
    beta: "beta PATCH=both.txt VARIANTS=beta RESOLVE=PATCH=both.txt",
    gamma: "gamma PATCH=c.txt",
    broken: "broken PATCH=broken.txt",
    // Conflicts with alpha; its resolving task hangs (for a cancel).
    slow: "slow PATCH=both.txt VARIANTS=slow RESOLVE=SLEEP=600000",
    // Conflict with alpha; the resolving task fails, or leaves the markers.
    refused: "refused PATCH=both.txt VARIANTS=refused RESOLVE=FAIL",
    marked: "marked PATCH=both.txt VARIANTS=marked RESOLVE=PATCH=elsewhere.txt",
    // Conflicts with alpha; its resolving task runs a command, which asks under "untrusted".
    asking: "asking PATCH=both.txt VARIANTS=asking RESOLVE=RUN=echo approved-resolution > both.txt",
  };
  const ids: Record<string, string> = {};
  for (const [name, prompt] of Object.entries(prompts)) {
    ids[name] = await startTask(client, {
      prompt,
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    });
  }
  for (const view of await waitAll<View>(client, Object.values(ids))) {
    assert.equal(view.phase, "completed", view.failure ?? "");
  }
  // The user's own work: an ignored .env and an uncommitted change.
  await Deno.writeTextFile(`${repo}/.env`, "SECRET=mine\n");
  await Deno.writeTextFile(`${repo}/shared.txt`, "line one\nmy change\n");
  const before = await checkoutState(repo, [".env", "shared.txt"]);
  const main = before.head;

  await t.step("resolve: codex: all three land, check passing at each step", async () => {
    const id = await startMerge(client, {
      task_ids: [ids.alpha, ids.beta, ids.gamma],
      check: CHECK,
    });
    const view = await finished(client, id);
    assert.equal(view.phase, "completed", JSON.stringify(view));
    const report = view.merge;
    assert.equal(report.baseline?.passed, true);
    assert.deepEqual(report.branches.map((b) => b.outcome), ["merged", "resolved", "merged"]);
    assert.ok(report.branches.every((b) => b.check?.passed === true), JSON.stringify(report));
    assert.deepEqual(report.branches[1]!.conflicts, ["both.txt"]);
    const resolver = report.branches[1]!.resolved_by!;
    assert.match(resolver, /^[0-9a-f]{12}$/);
    const [resolverView] = await waitAll<View>(client, [resolver]);
    assert.equal(resolverView!.phase, "completed");
    const result = `codex-swarm-merge/${id}`;
    assert.equal(await git(repo, "rev-parse", result), report.final_commit);
    assert.equal(await fileAt(repo, result, "both.txt"), "MOCK-PATCH both.txt");
    assert.equal(await fileAt(repo, result, "c.txt"), "MOCK-PATCH c.txt");
    // Each branch is in the result, merged with --no-ff (a merge commit each).
    for (const name of ["alpha", "beta", "gamma"]) {
      await git(repo, "merge-base", "--is-ancestor", `codex-swarm/${ids[name]}`, result);
    }
    assert.equal(await git(repo, "rev-list", "--count", "--merges", `${main}..${result}`), "3");
    assert.equal(report.diff_stat, "2 file(s), +2 -0");
    assert.equal(report.applied, false);
    assert.deepEqual(await checkoutState(repo, [".env", "shared.txt"]), before);
  });

  await t.step('resolve: "stop": the queue ends at the conflict, the first kept', async () => {
    const id = await startMerge(client, {
      task_ids: [ids.alpha, ids.beta, ids.gamma],
      check: CHECK,
      resolve: "stop",
    });
    const { phase, merge: report } = await finished(client, id);
    assert.equal(phase, "completed");
    assert.deepEqual(report.branches.map((b) => b.outcome), ["merged", "stopped", "pending"]);
    assert.deepEqual(report.branches[1]!.conflicts, ["both.txt"]);
    const result = `codex-swarm-merge/${id}`;
    assert.equal(await git(repo, "rev-parse", result), report.branches[0]!.commit);
    assert.equal(await fileAt(repo, result, "both.txt"), "MOCK-PATCH both.txt alpha");
    assert.deepEqual(await checkoutState(repo, [".env", "shared.txt"]), before);
  });

  await t.step("a branch that breaks check is left out, the others land", async () => {
    const id = await startMerge(client, {
      task_ids: [ids.alpha, ids.broken, ids.gamma],
      check: CHECK,
    });
    const { phase, merge: report } = await finished(client, id);
    assert.equal(phase, "completed");
    assert.deepEqual(report.branches.map((b) => b.outcome), ["merged", "check_failed", "merged"]);
    assert.equal(report.branches[1]!.check?.passed, false);
    assert.equal(report.branches[1]!.check?.exit_code, 1);
    assert.equal(report.branches[1]!.commit, report.branches[0]!.commit);
    const result = `codex-swarm-merge/${id}`;
    assert.equal(await fileAt(repo, result, "broken.txt"), null);
    assert.equal(await fileAt(repo, result, "c.txt"), "MOCK-PATCH c.txt");
  });

  await t.step("a failed resolution is left out, the others land", async () => {
    const id = await startMerge(client, {
      task_ids: [ids.alpha, ids.refused, ids.marked, ids.gamma],
      check: CHECK,
    });
    const { phase, merge: report } = await finished(client, id);
    assert.equal(phase, "completed");
    assert.deepEqual(report.branches.map((b) => b.outcome), [
      "merged",
      "resolution_failed",
      "resolution_failed",
      "merged",
    ]);
    assert.match(report.branches[1]!.note ?? "", /^the resolving task ended failed/);
    assert.equal(report.branches[2]!.note, "conflict markers remain in both.txt");
    for (const step of report.branches.slice(1, 3)) {
      assert.equal(step.commit, report.branches[0]!.commit);
      assert.match(step.resolved_by ?? "", /^[0-9a-f]{12}$/);
    }
    const result = `codex-swarm-merge/${id}`;
    assert.equal(await fileAt(repo, result, "both.txt"), "MOCK-PATCH both.txt alpha");
    assert.equal(await fileAt(repo, result, "elsewhere.txt"), null);
    assert.equal(await fileAt(repo, result, "c.txt"), "MOCK-PATCH c.txt");
  });

  await t.step("a target that fails check stops the queue at the baseline", async () => {
    const id = await startMerge(client, {
      task_ids: [ids.alpha, ids.gamma],
      check: "test -e c.txt",
    });
    const view = await finished(client, id);
    assert.equal(view.phase, "failed");
    assert.match(view.failure ?? "", /check failed on "main" before any branch/);
    assert.equal(view.merge.baseline?.passed, false);
    assert.deepEqual(view.merge.branches.map((b) => b.outcome), ["pending", "pending"]);
    assert.equal(await git(repo, "rev-parse", `codex-swarm-merge/${id}`), main);
  });

  await t.step(
    "a cancel mid-check: no process left, the branch at its last good step",
    async () => {
      const id = await startMerge(client, {
        task_ids: [ids.alpha, ids.gamma],
        // Holds at the second branch's check.
        check: `if [ -e c.txt ]; then echo merge-queue-hold; sleep 600; fi`,
      });
      assert.ok(
        await eventually(async () =>
          (await mergeView(client, id)).merge.step?.startsWith(
            "Checking codex-swarm/" + ids.gamma,
          ) ?? false, 60_000),
      );
      assert.ok(
        await eventually(() => processesMatching("merge-queue-hold").length > 0, 10_000),
      );
      const cancel = await call(client, "codex_cancel", { task_id: id });
      assert.notEqual(cancel.isError, true, textOf(cancel));
      const view = await finished(client, id);
      assert.equal(view.phase, "cancelled");
      assert.deepEqual(view.merge.branches.map((b) => b.outcome), ["merged", "pending"]);
      assert.deepEqual(processesMatching("merge-queue-hold"), []);
      const result = `codex-swarm-merge/${id}`;
      assert.equal(await git(repo, "rev-parse", result), view.merge.branches[0]!.commit);
      const path = `${world.worktreeDir}`;
      assert.deepEqual(await processesIn([path]), []);
    },
  );

  await t.step(
    "a cancel mid-resolution: the resolving task stops, the branch at its last good step",
    async () => {
      const id = await startMerge(client, { task_ids: [ids.alpha, ids.slow], check: CHECK });
      let resolver = "";
      assert.ok(
        await eventually(async () => {
          const step = (await mergeView(client, id)).merge.step ?? "";
          resolver = /task ([0-9a-f]{12})/.exec(step)?.[1] ?? "";
          return step.startsWith("Resolving") && resolver !== "";
        }, 60_000),
      );
      const cancel = await call(client, "codex_cancel", { task_id: id });
      assert.notEqual(cancel.isError, true, textOf(cancel));
      const view = await finished(client, id);
      assert.equal(view.phase, "cancelled");
      const [resolved] = await waitAll<View>(client, [resolver]);
      assert.equal(resolved!.phase, "cancelled");
      const result = `codex-swarm-merge/${id}`;
      assert.equal(await git(repo, "rev-parse", result), view.merge.branches[0]!.commit);
      assert.deepEqual(await processesIn([world.worktreeDir]), []);
    },
  );

  await t.step(
    "a check past timeout_s is stopped: no process left, the branch left out as timed out",
    async () => {
      // Unique to this run: another run of the suite on the machine must not match it.
      const marker = `merge-queue-timeout-${crypto.randomUUID().slice(0, 8)}`;
      const id = await startMerge(client, {
        task_ids: [ids.alpha, ids.gamma],
        // Runs past the limit at the second branch's check only.
        check: `if [ -e c.txt ]; then echo ${marker}; sleep 600; fi`,
        timeout_s: 10,
      });
      const view = await finished(client, id);
      assert.equal(view.phase, "completed", JSON.stringify(view));
      assert.deepEqual(view.merge.branches.map((b) => b.outcome), ["merged", "check_failed"]);
      const out = view.merge.branches[1]!;
      assert.equal(out.check?.passed, false);
      assert.equal(out.check?.timed_out, true);
      assert.match(out.check?.tail ?? "", new RegExp(marker));
      assert.match(out.note ?? "", /^its check reached the time limit \(timeout_s\)/);
      assert.deepEqual(processesMatching(marker), []);
      assert.deepEqual(await processesIn([world.worktreeDir]), []);
      const result = `codex-swarm-merge/${id}`;
      assert.equal(await git(repo, "rev-parse", result), view.merge.branches[0]!.commit);
      assert.equal(await fileAt(repo, result, "c.txt"), null);
    },
  );

  await t.step(
    "a resolving task's approval goes to the caller; its answer lets the resolution go on",
    async () => {
      const id = await startMerge(client, {
        task_ids: [ids.alpha, ids.asking],
        check: CHECK,
        "approval-policy": "untrusted",
      });
      let resolver = "";
      let asked: ResolverView | null = null;
      assert.ok(
        await eventually(async () => {
          const step = (await mergeView(client, id)).merge.step ?? "";
          resolver ||= /^Resolving .* \(task ([0-9a-f]{12})\)/.exec(step)?.[1] ?? "";
          if (resolver === "") return false;
          asked = await resolverView(client, resolver);
          return asked.phase === "waiting_approval";
        }, 60_000),
        `the resolving task ${resolver} did not ask`,
      );
      assert.match(asked!.approval?.message ?? "", /echo approved-resolution/);
      // The merge waits on it meanwhile.
      assert.equal((await mergeView(client, id)).phase, "running");
      const answer = await call(client, "codex_approve", { task_id: resolver, decision: "accept" });
      assert.equal(answer.isError, undefined, textOf(answer));
      const view = await finished(client, id);
      assert.equal(view.phase, "completed", JSON.stringify(view));
      assert.deepEqual(view.merge.branches.map((b) => b.outcome), ["merged", "resolved"]);
      assert.equal(view.merge.branches[1]!.resolved_by, resolver);
      const done = await resolverView(client, resolver);
      assert.deepEqual(done.answered.map((a) => [a.decision, a.by]), [["accept", "codex_approve"]]);
      const result = `codex-swarm-merge/${id}`;
      assert.equal(await fileAt(repo, result, "both.txt"), "approved-resolution");
    },
  );

  await t.step("bad input is refused, naming the field, and nothing is made", async () => {
    const other = await makeRepo();
    const elsewhere = await startTask(client, {
      prompt: "other PATCH=o.txt",
      cwd: other,
      worktree: true,
      sandbox: "workspace-write",
    });
    const plain = await startTask(client, { prompt: "plain", cwd: repo });
    const held = await startTask(client, {
      prompt: "held HOLD=600000",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    });
    const group = await call(client, "codex_async", {
      prompt: "group PATCH=g.txt",
      cwd: repo,
      worktree: true,
      attempts: 2,
      check: "false",
      sandbox: "workspace-write",
    });
    const { group_id: groupId, task_ids: attempts } = group.structuredContent as {
      group_id: string;
      task_ids: string[];
    };
    await waitAll<View>(client, [elsewhere, plain, ...attempts]);
    const count = async () =>
      ((await call(client, "codex_list", { limit: 1000 })).structuredContent as { total: number })
        .total;
    const tasksBefore = await count();
    const branchesBefore = await mergeBranches(repo);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { task_ids: ["0123456789ab"], check: CHECK },
        /^Cannot merge task_ids\[0\] "0123456789ab" as no such task is known/,
      ],
      [
        { task_ids: [ids.alpha, held], check: CHECK },
        /^Cannot merge task_ids\[1\] "[0-9a-f]{12}" as it is still (starting|running)/,
      ],
      [{ task_ids: [plain], check: CHECK }, /^Cannot merge task_ids\[0\] .* as it has no branch/],
      [
        { task_ids: [ids.alpha, ids.gamma, ids.alpha], check: CHECK },
        /^Cannot merge task_ids\[2\] .* as task_ids\[0\] names the same task/,
      ],
      [
        { task_ids: [ids.alpha, elsewhere], check: CHECK },
        /^Cannot merge task_ids\[1\] .* with the others as it is of repository /,
      ],
      [
        { task_ids: [ids.alpha], check: CHECK, target: "main~0" },
        /^Cannot merge into target "main~0" as it is not a local branch/,
      ],
      [
        { task_ids: [ids.alpha], check: CHECK, target: "nope" },
        /^Cannot merge into target "nope" as it is not a local branch \(no such branch\)/,
      ],
      [
        { group_ids: [groupId], check: CHECK },
        /^Cannot merge group_ids\[0\] "g-[0-9a-f]{12}" as none of its 2 attempts passed its check/,
      ],
      [{ task_ids: [ids.alpha, ids.gamma] }, /^Cannot choose a check as the tasks did not all/],
      [
        { resume: ids.alpha },
        /^Cannot resume merge "[0-9a-f]{12}" \(resume\) as .* is not a merge/,
      ],
      [{ check: CHECK }, /^Cannot merge as neither task_ids nor group_ids are given/],
      [{ resume: ids.alpha, check: CHECK }, /^Cannot resume with check: pass resume alone/],
      [{ task_ids: ["../x"], check: CHECK }, /task_ids/],
    ];
    for (const [args, expected] of cases) {
      const result = await call(client, "codex_merge", args);
      assert.equal(result.isError, true, `${JSON.stringify(args)}: ${textOf(result)}`);
      assert.match(textOf(result), expected);
    }
    assert.equal(await count(), tasksBefore);
    assert.deepEqual(await mergeBranches(repo), branchesBefore);
    await call(client, "codex_cancel", { task_id: held });
  });

  await t.step(
    "a group stands for its best attempt; the tasks' own check is the default",
    async () => {
      const group = await call(client, "codex_async", {
        prompt: "best PATCH=best.txt",
        cwd: repo,
        worktree: true,
        attempts: 2,
        check: "test -e best.txt",
        sandbox: "workspace-write",
      });
      const { group_id: groupId } = group.structuredContent as { group_id: string };
      const waited = await call(client, "codex_wait", { task_ids: [groupId], timeout: 90 });
      const best =
        (waited.structuredContent as { groups: Array<{ best: string }> }).groups[0]!.best;
      const id = await startMerge(client, { group_ids: [groupId] });
      const { phase, merge: report } = await finished(client, id);
      assert.equal(phase, "failed");
      assert.equal(report.check, "test -e best.txt");
      // The target lacks best.txt: the baseline fails with the attempts' own check.
      assert.equal(report.baseline?.passed, false);
      const again = await startMerge(client, { group_ids: [groupId], check: CHECK });
      const merged = (await finished(client, again)).merge;
      assert.deepEqual(merged.branches.map((b) => [b.task_id, b.outcome]), [[best, "merged"]]);
    },
  );

  await t.step("apply refuses while the checkout is dirty, then fast-forwards it", async () => {
    const dirty = await startMerge(client, { task_ids: [ids.gamma], check: CHECK, apply: true });
    const refused = (await finished(client, dirty)).merge;
    assert.equal(refused.applied, false);
    assert.match(refused.apply_note ?? "", /uncommitted changes: shared\.txt/);
    assert.match(refused.apply_note ?? "", /git -C .* merge --ff-only codex-swarm-merge\//);
    assert.deepEqual(await checkoutState(repo, [".env", "shared.txt"]), before);
    await git(repo, "checkout", "--", "shared.txt");
    const id = await startMerge(client, {
      task_ids: [ids.alpha, ids.gamma],
      check: CHECK,
      apply: true,
      cleanup: true,
    });
    const report = (await finished(client, id)).merge;
    assert.equal(report.applied, true, JSON.stringify(report));
    assert.equal(await git(repo, "rev-parse", "main"), report.final_commit);
    assert.equal(await Deno.readTextFile(`${repo}/c.txt`), "MOCK-PATCH c.txt\n");
    assert.equal(await Deno.readTextFile(`${repo}/.env`), "SECRET=mine\n");
    assert.deepEqual(report.cleaned?.sort(), [ids.alpha, ids.gamma].sort());
    // The integration branch went too: the target holds the result.
    assert.equal(await git(repo, "branch", "--list", `codex-swarm-merge/${id}`), "");
    assert.equal(await git(repo, "branch", "--list", `codex-swarm/${ids.gamma}`), "");
    // Tasks left out are kept.
    assert.notEqual(await git(repo, "branch", "--list", `codex-swarm/${ids.broken}`), "");
  });
});

Deno.test(
  "codex_merge: after a kill -9 of the supervisor mid-queue, resume finishes it",
  e2e,
  async () => {
    await using world = await makeWorld();
    await using server = await startServer(world);
    const { client } = server;
    const repo = await makeRepo();
    const one = await startTask(client, {
      prompt: "one PATCH=one.txt",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    });
    const two = await startTask(client, {
      prompt: "two PATCH=two.txt",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    });
    await waitAll<View>(client, [one, two]);
    const dir = await Deno.makeTempDir({ prefix: "merge-resume-" });
    const gate = `${dir}/hold`;
    await Deno.writeTextFile(gate, "");
    // Holds at the second branch's check while the gate is there.
    const check = `if [ -e two.txt ] && [ -e ${gate} ]; then echo merge-resume-hold; sleep 600; fi`;
    const id = await startMerge(client, { task_ids: [one, two], check });
    let before: MergeView | null = null;
    assert.ok(
      await eventually(async () => {
        before = await mergeView(client, id);
        return (before.merge.step ?? "").startsWith(`Checking codex-swarm/${two}`) &&
          processesMatching("merge-resume-hold").length > 0;
      }, 60_000),
    );
    const passed = before!.merge.branches[0]!;
    assert.equal(passed.outcome, "merged");
    const [supervisor] = supervisorsOf(world.taskDir);
    assert.ok(supervisor, "no supervisor runs");
    Deno.kill(supervisor.pid, "SIGKILL");
    assert.ok(
      await eventually(() => supervisorsOf(world.taskDir).every((p) => p.pid !== supervisor.pid)),
    );
    await Deno.remove(gate);
    await reconnect(client);

    const stopped = await mergeView(client, id);
    assert.equal(stopped.phase, "interrupted");
    // The next supervisor ended the check the dead one left running (it runs in the sandbox's
    // own mount namespace: found by the id the merge recorded, not by its directory).
    assert.deepEqual(processesMatching("merge-resume-hold"), []);
    assert.deepEqual(await processesIn([world.worktreeDir]), []);
    assert.match(stopped.failure ?? "", new RegExp(`codex_merge \\{"resume":"${id}"\\}`));
    assert.deepEqual(stopped.merge.branches[0], passed);
    const resumed = await call(client, "codex_merge", { resume: id });
    assert.equal(resumed.isError, undefined, textOf(resumed));
    const next = resumed.structuredContent as { task_id: string; integration_branch: string };
    assert.equal(next.integration_branch, `codex-swarm-merge/${id}`);
    const view = await finished(client, next.task_id);
    assert.equal(view.phase, "completed", JSON.stringify(view));
    assert.equal(view.merge.resumed_from, id);
    assert.deepEqual(view.merge.branches.map((b) => b.outcome), ["merged", "merged"]);
    // The step that passed before the kill is kept, not merged again.
    assert.equal(view.merge.branches[0]!.commit, passed.commit);
    assert.equal(await git(repo, "rev-parse", `codex-swarm-merge/${id}`), view.merge.final_commit);
    assert.equal(await fileAt(repo, view.merge.final_commit!, "two.txt"), "MOCK-PATCH two.txt");
    assert.equal(
      await git(repo, "rev-list", "--count", "--merges", `main..${view.merge.final_commit}`),
      "2",
    );
    assert.deepEqual(processesMatching("merge-resume-hold"), []);
    const again = await call(client, "codex_merge", { resume: id });
    assert.equal(again.isError, true);
    assert.match(textOf(again), new RegExp(`resumed it already`));
    await Deno.remove(dir, { recursive: true });
  },
);
