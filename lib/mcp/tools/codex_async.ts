/**
 * The `codex_async` tool: starts a Codex task and returns at once with its id and what to call
 * next. With `attempts: N` it starts N independent attempts of the prompt (best of N), each its
 * own task in its own worktree, and returns their group id with the N task ids.
 *
 * @module
 */

import { z } from "zod";
import { MAX_ATTEMPTS, MIN_ATTEMPTS, startAttempts, startTask } from "../../request/plans.ts";
import { withCaller } from "../../request/caller.ts";
import { engineFields, runFields, RUNS_CODEX_ANNOTATIONS, toTaskRequest } from "./run_params.ts";
import { type ToolContext, toolResult } from "./tool.ts";

/** The input schema of `codex_async`. */
export const codexAsyncInputSchema = {
  prompt: z.string().min(1).describe("The user prompt for Codex."),
  threadId: z.string().min(1).optional().describe(
    "Continue this Codex thread (like codex-reply) instead of starting a new one.",
  ),
  ...runFields,
  ...engineFields,
  attempts: z.number().int().optional().describe(
    `Best of N: run this many independent attempts (${MIN_ATTEMPTS} to ${MAX_ATTEMPTS}) of the ` +
      "prompt, each its own task with its own thread, worktree and branch (needs worktree: " +
      "true; pair it with check). Returns a group id: codex_wait and codex_status of it rank " +
      "the attempts (check passed first, then smaller diff, then earlier end); codex_worktree " +
      "merge takes one attempt, discard of the group id drops the rest.",
  ),
};

/** Registers `codex_async`. */
export function registerCodexAsyncTool({ server, engine, session }: ToolContext): void {
  server.registerTool("codex_async", {
    title: "Start a Codex task",
    description: "Start a Codex task in the background and return its task id at once. Start " +
      "several to run them in parallel; watch them with codex_status and collect results with " +
      "codex_wait. Tasks keep running across server restarts. With attempts: N (and worktree: " +
      "true, check: <test command>) run N attempts of the prompt and get a group id whose " +
      "result ranks them.",
    inputSchema: z.strictObject(codexAsyncInputSchema),
    outputSchema: {
      task_id: z.string().optional().describe(
        "The id to pass to codex_status, codex_wait, codex_cancel (absent with attempts).",
      ),
      phase: z.string().optional().describe(
        "queued when the parallel cap is reached, else starting.",
      ),
      branch: z.string().optional().describe("The task's branch, with worktree: true."),
      group_id: z.string().optional().describe(
        "With attempts: the group's id, for codex_wait, codex_status and codex_worktree discard.",
      ),
      task_ids: z.array(z.string()).optional().describe("With attempts: each attempt's task id."),
      branches: z.array(z.string()).optional().describe("With attempts: each attempt's branch."),
      next: z.string().describe("What to call next."),
    },
    annotations: RUNS_CODEX_ANNOTATIONS,
  }, async (args, extra) => {
    const { attempts, ...rest } = args;
    const request = withCaller(toTaskRequest(rest), extra._meta);
    if (attempts !== undefined) {
      const { groupId, tasks } = await startAttempts(engine, request, attempts, await session());
      const ids = tasks.map((t) => t.meta.id);
      const branches = tasks.map((t) => t.meta.worktree!.branch);
      const next = `codex_wait {"task_ids":["${groupId}"]} to collect them ranked`;
      return toolResult(
        `Started group ${groupId} of ${ids.length} attempts: ` + tasks.map((t) =>
          `${t.meta.id} (${t.meta.phase}, ${t.meta.worktree!.branch})`
        ).join(", ") + `; ${next}, codex_status to watch.`,
        { group_id: groupId, task_ids: ids, branches, next },
      );
    }
    const task = await startTask(engine, request, await session());
    const id = task.meta.id;
    const branch = task.meta.worktree?.branch;
    const next = `codex_wait {"task_ids":["${id}"]} to collect`;
    return toolResult(
      `Started task ${id} (${task.meta.phase})` +
        (task.meta.worktree ? ` in ${task.meta.worktree.path} on branch ${branch}` : "") +
        `; ${next}, codex_status to watch.`,
      {
        task_id: id,
        phase: task.meta.phase,
        ...(branch ? { branch } : {}),
        next,
      },
    );
  });
}
