import assert from "node:assert/strict";
import { taskMeta } from "../../../tests/support/task_meta.ts";
import { initialRunState } from "../../codex/run_state.ts";
import type { Phase, TaskMeta, TaskSnapshot } from "../../tasks/task.ts";
import { compactTask, cutMessage, fitViews, lastStep, nextHint, page } from "./compact_view.ts";
import { taskView } from "./task_view.ts";

function snapshot(id: string, phase: Phase, extra: Partial<TaskMeta> = {}): TaskSnapshot {
  const meta = taskMeta(id, { phase, ...extra });
  return { meta, run: initialRunState(), elapsedMs: 1234 };
}

Deno.test("a finished task: message, usage, branch and diff stat, nothing else", () => {
  const task = snapshot("a1", "completed", {
    finalMessage: "done",
    threadId: "t",
    worktree: {
      path: "/wt/a1",
      branch: "codex-swarm/a1",
      baseRef: "main",
      baseCommit: "c0",
      repoRoot: "/r",
    } as TaskMeta["worktree"],
    worktreeOutcome: { commit: "c1", files: [], insertions: 3, deletions: 1 },
  });
  task.run = {
    ...task.run,
    usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, reasoningOutputTokens: 0 },
  };
  assert.deepEqual(compactTask(task), {
    task_id: "a1",
    phase: "completed",
    elapsed_s: 1.2,
    thread_id: "t",
    final_message: "done",
    usage: { input: 10, output: 5 },
    branch: "codex-swarm/a1",
    diff_stat: "0 file(s), +3 -1",
  });
  assert.deepEqual(
    nextHint([compactTask(task)]),
    'codex_diff {"task_id":"a1"} to review its branch',
  );
});

Deno.test("a running task: its last step in one line, and the wait hint", () => {
  const task = snapshot("r1", "running");
  task.run = {
    ...task.run,
    lastTool: {
      kind: "command",
      summary: "/bin/bash -lc 'npm test\n --watch'",
      status: "in_progress",
      itemId: "i",
    },
  };
  assert.equal(lastStep(task), "Running: npm test --watch");
  const view = compactTask(task);
  assert.equal(view.final_message, undefined);
  assert.equal(nextHint([view]), 'codex_wait {"task_ids":["r1"]} to collect');
  assert.equal(lastStep(snapshot("q", "queued")), "Queued: waiting for a free slot");
});

Deno.test("a long message is cut with a marker that says how to read on", () => {
  const text = "x".repeat(50);
  const cut = cutMessage(text, 10, "id1");
  assert.equal(
    cut,
    'xxxxxxxxxx…[cut at 10 of 50 chars; codex_status {"task_ids":["id1"],"offset":10} reads on]',
  );
  assert.equal(cutMessage(text, 50, "id1"), text);
  // Never ends inside a surrogate pair.
  assert.deepEqual(page("a😀b", 0, 2), { text: "a", next: 1 });
  assert.deepEqual(page("a😀b", 1, 2), { text: "😀", next: 3 });
});

Deno.test("many tasks fit the budget: shorter messages first, then tasks left out", () => {
  const tasks = Array.from(
    { length: 40 },
    (_, i) =>
      snapshot(`t${String(i).padStart(2, "0")}`, "completed", { finalMessage: "m".repeat(3000) }),
  );
  const roomy = fitViews(tasks.slice(0, 2), 20_000, compactTask);
  assert.equal(roomy.omitted.length, 0);
  assert.match(roomy.views[0]!.final_message!, /^m{2000}…\[cut at 2000 of 3000/);
  const short = fitViews(tasks, 8000, compactTask);
  assert.equal(short.omitted.length, 0);
  assert.ok(JSON.stringify(short.views).length <= 8000);
  const tight = fitViews(tasks, 3000, compactTask);
  assert.ok(JSON.stringify(tight.views).length + JSON.stringify(tight.omitted).length <= 3000);
  assert.equal(tight.views.length + tight.omitted.length, 40);
  assert.ok(tight.views.length >= 10, `only ${tight.views.length} fit`);
  assert.match(nextHint(tight.views, tight.omitted) ?? "", /task\(s\) left out for size/);
});

Deno.test("fields the engine may add are shown when present: a pending approval", () => {
  const task = Object.assign(snapshot("w1", "waiting_approval"), {
    question: {
      id: "q1",
      kind: "command",
      message: "Codex asks to run `rm -rf build`",
      command: "rm -rf build",
      reason: "r".repeat(1000),
      since: "2026-12-01T00:00:00Z",
    },
  });
  const view = compactTask(task);
  assert.deepEqual((view.approval as { command: string }).command, "rm -rf build");
  assert.ok((view.approval as { reason: string }).reason.length <= 300);
  assert.match(nextHint([view]) ?? "", /^codex_approve answers the pending approval of w1/);
  assert.equal((taskView(task) as { approval?: unknown }).approval !== undefined, true);
});

Deno.test("the full view records the caller's thread as parent", () => {
  const task = snapshot("c1", "running", {
    request: {
      prompt: "p",
      sandbox: "read-only",
      caller: { threadId: "outer", sandbox: "read-only" },
    },
  });
  const view = taskView(task);
  assert.equal(view.parent_thread_id, "outer");
  assert.equal(view.caller_sandbox, "read-only");
});

Deno.test("a finished review: verdict and findings as data, within the result budget", () => {
  const finding = (i: number) => ({
    title: `[P${i % 4}] Finding number ${i}`,
    body: "Why it matters. ".repeat(40),
    file: `/repo/src/file${i}.ts`,
    lines: { start: i, end: i + 2 },
    priority: i % 4,
    confidence: 0.8,
  });
  const review = {
    verdict: { overall_correctness: "patch is incorrect", explanation: "Bugs.", confidence: 0.7 },
    findings: Array.from({ length: 40 }, (_, i) => finding(i)),
    source: "rollout" as const,
  };
  const task = snapshot("r1", "completed", {
    cwd: "/repo",
    finalMessage: "rendered review ".repeat(500),
    review,
  });
  const view = compactTask(task);
  assert.equal(view.final_message, undefined);
  assert.deepEqual(view.review!.verdict, review.verdict);
  assert.equal(view.review!.findings.length, 20);
  assert.equal(view.review!.findings_omitted, 20);
  assert.deepEqual(view.review!.findings[1], {
    title: "[P1] Finding number 1",
    body: `${"Why it matters. ".repeat(16).slice(0, 249)}…`,
    file: "src/file1.ts",
    lines: { start: 1, end: 3 },
    priority: 1,
    confidence: 0.8,
  });
  // Three such reviews fit one default result (15,000 characters of structured content).
  const tasks = ["r1", "r2", "r3"].map((id) => ({ ...task, meta: { ...task.meta, id } }));
  const { views, omitted } = fitViews(tasks, 15_000, compactTask);
  assert.deepEqual(omitted, []);
  assert.ok(JSON.stringify(views).length <= 15_000);
  assert.ok(views.every((v) => v.review!.findings.length >= 5));
  // The full view has the rendered text and every finding.
  const full = taskView({
    ...task,
    meta: { ...task.meta, request: { prompt: "p", review: { spec: { base: "main" } } } },
  });
  assert.equal(full.review?.findings.length, 40);
  assert.deepEqual(full.review_target, { base: "main" });
  assert.match(full.final_message ?? "", /^rendered review/);
});

Deno.test("a task on a worker names it (and a recovered one says so); a local one does not", () => {
  const away = compactTask(snapshot("a", "failed", { worker: "gpu", recovered: true }), 2000);
  assert.equal(away.worker, "gpu");
  assert.equal(away.recovered, true);
  const here = compactTask(snapshot("b", "completed", { worker: "local" }), 2000);
  assert.equal(here.worker, undefined);
  assert.equal(taskView(snapshot("c", "running", { worker: "gpu" })).worker, "gpu");
});
