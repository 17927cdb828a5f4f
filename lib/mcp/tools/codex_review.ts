/**
 * The `codex_review` tool: starts Codex's code review (`review/start`) of uncommitted changes, a
 * branch, a commit, a task's worktree or by custom instructions, as a task like any other: it
 * returns at once with the task id, and codex_status, codex_wait and codex_cancel work on it. The
 * finished task carries the verdict and the findings as data (`review`), and the rendered review
 * as its final message.
 *
 * @example
 * ```json
 * {"name": "codex_review", "arguments": {"cwd": "/repo", "target": {"base": "main"}}}
 * ```
 * @module
 */

import { z } from "zod";
import { startTask } from "../../request/plans.ts";
import { checkReviewTarget, describeReviewTarget } from "../../request/review_target.ts";
import { withCaller } from "../../request/caller.ts";
import { engineFields, runFields, RUNS_CODEX_ANNOTATIONS, toTaskRequest } from "./run_params.ts";
import { type ToolContext, toolResult } from "./tool.ts";

/** The input schema of `codex_review`. */
export const codexReviewInputSchema = {
  target: z.strictObject({
    uncommitted: z.literal(true).optional().describe(
      "Review the staged, unstaged and untracked changes in cwd.",
    ),
    base: z.string().optional().describe(
      "Review cwd's HEAD against the merge base with this branch (or any commit-ish).",
    ),
    commit: z.string().optional().describe("Review the changes this commit introduced."),
    task_id: z.string().optional().describe(
      "Review a task's worktree (its branch and any uncommitted work) against the commit the " +
        "branch started from. The task must have been started with worktree: true.",
    ),
    instructions: z.string().optional().describe(
      "A custom review: these instructions are the reviewer's prompt.",
    ),
  }).describe(
    "What to review: exactly one of uncommitted, base, commit, task_id, instructions, e.g. " +
      '{"base": "main"} or {"task_id": "0123456789ab"}.',
  ),
  branch: z.string().optional().describe(
    "Review this branch (or commit) instead of cwd's checkout: it is checked out in a worktree " +
      "of its own for the review, removed when the review ends. Goes with target base, commit " +
      'or instructions, e.g. {"branch": "feature/auth", "target": {"base": "main"}}.',
  ),
  cwd: runFields.cwd,
  model: runFields.model,
  profile: runFields.profile,
  config: runFields.config,
  timeout_s: engineFields.timeout_s,
};

/** Registers `codex_review`. */
export function registerCodexReviewTool({ server, engine, session }: ToolContext): void {
  server.registerTool("codex_review", {
    title: "Start a Codex code review",
    description: "Start Codex's code review in the background and return its task id at once. " +
      "Start several to review several branches or tasks in parallel; collect them with " +
      "codex_wait. The result's `review` has the verdict (overall_correctness, explanation, " +
      "confidence) and every finding (title, body, file, lines, priority 0-3, confidence) as " +
      "data. A review reads the code and edits nothing.",
    inputSchema: z.strictObject(codexReviewInputSchema),
    outputSchema: {
      task_id: z.string().describe("The id to pass to codex_status, codex_wait, codex_cancel."),
      phase: z.string().describe("queued when the parallel cap is reached, else starting."),
      cwd: z.string().describe("Where the review runs (a task's worktree for task_id)."),
      next: z.string().describe("What to call next."),
    },
    // Like the tools that run Codex, but a review edits nothing.
    annotations: { ...RUNS_CODEX_ANNOTATIONS, readOnlyHint: true, destructiveHint: false },
  }, async (args, extra) => {
    const { target, branch, ...rest } = args;
    const spec = checkReviewTarget(target);
    const prompt = describeReviewTarget(spec);
    const request = withCaller(
      toTaskRequest({ ...rest, prompt, sandbox: "read-only" }),
      extra._meta,
    );
    const review = branch === undefined ? { spec } : { spec, branch };
    const task = await startTask(engine, { ...request, review }, await session());
    const id = task.meta.id;
    const next = `codex_wait {"task_ids":["${id}"]} to collect the findings`;
    return toolResult(`Started review ${id} (${task.meta.phase}) in ${task.meta.cwd}; ${next}.`, {
      task_id: id,
      phase: task.meta.phase,
      cwd: task.meta.cwd ?? "",
      next,
    });
  });
}
