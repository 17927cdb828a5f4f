/**
 * Reviews end to end: `codex_review` runs Codex's review mode (`review/start`) as a task, three in
 * parallel over three branches, each target kind reaching Codex as its own ReviewTarget (seen in
 * the review prompt Codex sends the model and the command the reviewer ran), the findings and the
 * verdict coming back as data (Codex's structured review output, from the thread's rollout), a
 * running review cancelled, and bad targets refused. The real Codex app-server against the fake
 * Responses API, which answers Codex's review mode with a finding per `REVIEW: P<n> <title>` line
 * added in the diff it was asked to look at.
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import { eventually, startHarness, textOf } from "./support/harness.ts";
import type { SeenRequest } from "./support/fake_responses.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call as callTool } from "./support/tool_calls.ts";
import type { ReviewFinding } from "../lib/codex/review_output.ts";
import type { CompactReview } from "../lib/mcp/tools/compact_view.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type Result = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
};

type Finding = ReviewFinding;
type Review = CompactReview;
type View = {
  task_id: string;
  phase: string;
  review?: Review;
  final_message?: string;
  usage?: { input: number; output: number };
};

/** A tool call through the shared helper, typed as a tool result. */
async function call(client: Client, name: string, args: Record<string, unknown>) {
  return await callTool(client, name, args) as Result;
}

async function review(client: Client, args: Record<string, unknown>): Promise<string> {
  const result = await call(client, "codex_review", { timeout_s: 90, ...args });
  assert.equal(result.isError, undefined, textOf(result));
  return result.structuredContent!.task_id as string;
}

/** Waits for the tasks; their compact views (what codex_wait gives the model), in order. */
async function waitAll(client: Client, ids: string[]): Promise<View[]> {
  const result = await call(client, "codex_wait", { task_ids: ids, timeout: 100 });
  assert.equal(result.isError, undefined, textOf(result));
  const views = (result.structuredContent as { tasks: View[] }).tasks;
  return ids.map((id) => views.find((v) => v.task_id === id)!);
}

/** The prompts of the review-mode requests the fake got (Codex's review prompt per target). */
function reviewPrompts(requests: SeenRequest[]): string[] {
  return requests.filter((r) => JSON.stringify(r.body.input).includes("# Review guidelines:")).map((
    r,
  ) => r.prompt);
}

/** The shell commands the reviewer ran (as Codex reported their output back to the model). */
function reviewerCommands(requests: SeenRequest[]): string[] {
  return requests.flatMap((r) =>
    ((r.body.input ?? []) as Array<{ type?: string; name?: string; arguments?: string }>)
      .filter((i) => i.type === "function_call" && i.name === "exec_command")
      .map((i) => (JSON.parse(i.arguments ?? "{}") as { cmd?: string }).cmd ?? "")
  );
}

/** Adds a branch in a worktree of its own beside `repo`, with `files` committed on it. */
async function branch(repo: string, name: string, files: Record<string, string>) {
  const dir = `${repo}-${name}`;
  await git(repo, "worktree", "add", "-q", "-b", name, dir, "main");
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${path}`, text);
  }
  await git(dir, "add", "-A");
  await git(dir, "commit", "-qm", `work on ${name}`);
  return dir;
}

const brief = (f: Finding) => [f.title, f.file, f.lines, f.priority, f.confidence];

Deno.test("codex_review: parallel reviews, every target kind, findings as data", e2e, async (t) => {
  await using h = await startHarness();
  const repo = await makeRepo();
  const cleanup: string[] = [repo];
  try {
    const a = await branch(repo, "feature-a", {
      "src/a.ts": "export const a = 1;\nif (xs[0]) go(); // REVIEW: P1 Guard against empty input\n",
    });
    const b = await branch(repo, "feature-b", {
      "shared.txt": "line one\nretry(); // REVIEW: P0 Data loss on retry\n",
      "docs/b.md": "# Titel // REVIEW: P3 Typo in the heading\n",
    });
    const c = await branch(repo, "feature-c", { "src/c.ts": "export const c = 3;\n" });
    cleanup.push(a, b, c);

    await t.step("three reviews of three branches in parallel, findings as data", async () => {
      const ids = await Promise.all(
        [a, b, c].map((cwd) => review(h.client, { cwd, target: { base: "main" } })),
      );
      const [ra, rb, rc] = await waitAll(h.client, ids);
      for (const v of [ra, rb, rc]) assert.equal(v!.phase, "completed", JSON.stringify(v));
      // Codex sends no usage for a review: it comes from the reviewer's own rollout.
      for (const v of [ra, rb, rc]) assert.ok((v!.usage?.input ?? 0) > 0, JSON.stringify(v));
      assert.deepEqual(ra!.review!.findings.map(brief), [
        ["[P1] Guard against empty input", "src/a.ts", { start: 2, end: 2 }, 1, 0.8],
      ]);
      assert.match(ra!.review!.findings[0]!.body, /Guard against empty input in `src\/a.ts`/);
      assert.deepEqual(ra!.review!.verdict, {
        overall_correctness: "patch is incorrect",
        explanation: "MOCK-REVIEW of 1 file(s): 1 finding(s).",
        confidence: 0.7,
      });
      assert.deepEqual(rb!.review!.findings.map(brief).sort(), [
        ["[P0] Data loss on retry", "shared.txt", { start: 2, end: 2 }, 0, 0.8],
        ["[P3] Typo in the heading", "docs/b.md", { start: 1, end: 1 }, 3, 0.8],
      ]);
      assert.equal(rb!.review!.verdict.overall_correctness, "patch is incorrect");
      assert.deepEqual(rc!.review!.findings, []);
      assert.equal(rc!.review!.verdict.overall_correctness, "patch is correct");
      // The compact view carries the data, not the rendered text again.
      assert.equal(ra!.final_message, undefined);
      // Each review looked at its own branch against the merge base with main.
      const mergeBase = await git(repo, "rev-parse", "main");
      const prompts = reviewPrompts(h.world.fake.requests);
      assert.equal(
        prompts.filter((p) => p.includes(`against the base branch 'main'`)).length >= 3,
        true,
      );
      assert.ok(reviewerCommands(h.world.fake.requests).includes(`git diff ${mergeBase}`));
    });

    await t.step(
      "branch: three branches reviewed from the main checkout, no checkouts made by hand",
      async () => {
        const ids = await Promise.all(
          ["feature-a", "feature-b", "feature-c"].map((name) =>
            review(h.client, { cwd: repo, branch: name, target: { base: "main" } })
          ),
        );
        const [ra, rb, rc] = await waitAll(h.client, ids);
        for (const v of [ra, rb, rc]) assert.equal(v!.phase, "completed", JSON.stringify(v));
        assert.deepEqual(ra!.review!.findings.map((f) => [f.title, f.file]), [
          ["[P1] Guard against empty input", "src/a.ts"],
        ]);
        assert.equal(rb!.review!.findings.length, 2);
        assert.deepEqual(rc!.review!.findings, []);
        // The checkouts made for the reviews are gone, with their branches.
        const worktrees = await git(repo, "worktree", "list", "--porcelain");
        const branches = await git(repo, "branch", "--list", "codex-swarm/*");
        for (const id of ids) {
          assert.ok(!worktrees.includes(id), worktrees);
          assert.ok(!branches.includes(id), branches);
        }
      },
    );

    await t.step("full detail gives the rendered review and the findings", async () => {
      const [id] = await Promise.all([review(h.client, { cwd: a, target: { base: "main" } })]);
      await waitAll(h.client, [id!]);
      const full = await call(h.client, "codex_status", { task_ids: [id], detail: "full" });
      const task = (full.structuredContent as {
        tasks: Array<{ final_message: string; review: Review; review_target: unknown }>;
      }).tasks[0]!;
      assert.match(task.final_message, /Review comment:\n\n- \[P1\] Guard against empty input — /);
      assert.equal(task.review.findings[0]!.file, `${await Deno.realPath(a)}/src/a.ts`);
      assert.deepEqual(task.review_target, { base: "main" });
    });

    await t.step("commit: Codex reviews what that commit introduced", async () => {
      const sha = await git(b, "rev-parse", "HEAD");
      const id = await review(h.client, { cwd: repo, target: { commit: sha.slice(0, 10) } });
      const [v] = await waitAll(h.client, [id]);
      assert.equal(v!.phase, "completed", JSON.stringify(v));
      const prompt = reviewPrompts(h.world.fake.requests).find((p) => p.includes(sha));
      assert.ok(prompt, "no review prompt named the full commit");
      assert.match(prompt, /introduced by commit/);
      assert.deepEqual(v!.review!.findings.map((f) => f.title).sort(), [
        "[P0] Data loss on retry",
        "[P3] Typo in the heading",
      ]);
    });

    await t.step("uncommitted: the changes in the working tree", async () => {
      await Deno.writeTextFile(
        `${c}/src/c.ts`,
        "export const c = 3;\nlet x = 0; // REVIEW: P2 Unused variable\n",
      );
      const id = await review(h.client, { cwd: c, target: { uncommitted: true } });
      const [v] = await waitAll(h.client, [id]);
      assert.equal(v!.phase, "completed", JSON.stringify(v));
      assert.deepEqual(v!.review!.findings.map(brief), [
        ["[P2] Unused variable", "src/c.ts", { start: 2, end: 2 }, 2, 0.8],
      ]);
      const prompts = reviewPrompts(h.world.fake.requests);
      assert.ok(prompts.some((p) => /uncommitted|staged/i.test(p)), prompts.join("\n"));
    });

    await t.step("instructions: Codex's custom review with the text as its prompt", async () => {
      const text = "Look only at the naming of exported constants, nothing else.";
      const id = await review(h.client, { cwd: c, target: { instructions: text } });
      const [v] = await waitAll(h.client, [id]);
      assert.equal(v!.phase, "completed", JSON.stringify(v));
      assert.ok(reviewPrompts(h.world.fake.requests).includes(text));
      assert.deepEqual(v!.review!.findings, []);
      assert.equal(v!.review!.verdict.overall_correctness, "patch is correct");
    });

    await t.step(
      "task_id: the task's worktree against the commit its branch began at",
      async () => {
        const started = await call(h.client, "codex_async", {
          cwd: repo,
          worktree: true,
          sandbox: "danger-full-access",
          prompt: "RUN=printf 'fix();\\nhack(); // REVIEW: P1 Remove the hack\\n' > task.ts",
        });
        const taskId = started.structuredContent!.task_id as string;
        const [done] = await waitAll(h.client, [taskId]);
        assert.equal(done!.phase, "completed", JSON.stringify(done));
        const reviewed = await call(h.client, "codex_review", {
          target: { task_id: taskId },
          timeout_s: 90,
        });
        assert.equal(reviewed.isError, undefined, textOf(reviewed));
        const worktreeCwd = reviewed.structuredContent!.cwd as string;
        assert.match(worktreeCwd, new RegExp(`/${taskId}$`));
        const [v] = await waitAll(h.client, [reviewed.structuredContent!.task_id as string]);
        assert.equal(v!.phase, "completed", JSON.stringify(v));
        assert.deepEqual(v!.review!.findings.map(brief), [
          ["[P1] Remove the hack", "task.ts", { start: 2, end: 2 }, 1, 0.8],
        ]);
        const base = await git(repo, "rev-parse", "main");
        assert.ok(
          reviewPrompts(h.world.fake.requests).some((p) =>
            p.includes(`against the base branch '${base}'`)
          ),
        );
      },
    );

    await t.step("task_id: a task without a worktree is refused, naming it", async () => {
      const started = await call(h.client, "codex_async", { cwd: repo, prompt: "plain task" });
      const taskId = started.structuredContent!.task_id as string;
      await waitAll(h.client, [taskId]);
      const result = await call(h.client, "codex_review", { target: { task_id: taskId } });
      assert.equal(result.isError, true);
      assert.match(textOf(result), new RegExp(`task "${taskId}" as it has no worktree`));
    });

    await t.step("a running review is cancelled, and Codex's reviewer stops", async () => {
      const before = h.world.fake.requests.length;
      // Unstopped, the reviewer would get its answer after 2 s, run `echo`, and ask again.
      const id = await review(h.client, {
        cwd: c,
        target: { instructions: "SLEEP=2000 a slow review RUN=echo still-reviewing" },
      });
      const mine = () =>
        h.world.fake.requests.slice(before).filter((r) => r.prompt.includes("a slow review"));
      assert.ok(await eventually(() => mine().length > 0, 30_000), "no review reached the model");
      const cancelled = await call(h.client, "codex_cancel", { task_id: id });
      assert.notEqual(cancelled.isError, true, textOf(cancelled));
      const [v] = await waitAll(h.client, [id]);
      assert.equal(v!.phase, "cancelled");
      assert.equal(v!.review, undefined);
      const again = await eventually(() => mine().length > 1, 5000);
      assert.equal(again, false, "the reviewer went on after the cancel");
    });
  } finally {
    for (const dir of cleanup) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
