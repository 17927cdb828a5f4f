/**
 * The `codex_fork` tool: forks a thread into one task per prompt, each starting with the thread's
 * history, and returns their task ids at once (like `codex_async`). With `worktree: true` each
 * fork works on a branch of its own, created from the head of the thread's worktree branch.
 *
 * @example
 * ```json
 * {"thread_id": "01a23379-8b64-73e0-b586-c4440ada693c",
 *  "prompts": ["Fix it with a cache", "Fix it without a cache"], "worktree": true}
 * ```
 * @module
 */

import { z } from "zod";
import { MAX_FORKS } from "../../tasks/fork.ts";
import { startForks } from "../../request/plans.ts";
import { withCaller } from "../../request/caller.ts";
import { engineFields, runFields, RUNS_CODEX_ANNOTATIONS, toTaskRequest } from "./run_params.ts";
import { type ToolContext, toolResult } from "./tool.ts";

/** The input schema of `codex_fork`. */
export const codexForkInputSchema = {
  thread_id: z.string().min(1).describe(
    "The Codex thread to fork: the threadId of an earlier codex, codex_async or codex-reply " +
      "result. No task may be running on it.",
  ),
  prompts: z.array(z.string().min(1)).min(1).max(MAX_FORKS).describe(
    `One fork per prompt (1 to ${MAX_FORKS}): each fork is a task on a new thread that starts ` +
      "with the whole history of thread_id, then this prompt. They run in parallel.",
  ),
  worktree: z.boolean().optional().describe(
    "true: each fork runs in a new git worktree on branch codex-swarm/<task id>, created from " +
      "the head of the thread's worktree branch (what the thread committed), or from the HEAD " +
      "of the thread's cwd when it had no worktree; committed when the fork ends. Omitted: the " +
      "fork runs where a reply would, in the thread's worktree or cwd; only one fork may share " +
      "the thread's worktree, and only while no other task works there, so several prompts on " +
      "a thread with a worktree need true. false: in the thread's cwd, without a worktree.",
  ),
  model: runFields.model,
  profile: runFields.profile,
  sandbox: runFields.sandbox,
  "approval-policy": runFields["approval-policy"],
  config: runFields.config,
  output_schema: runFields.output_schema,
  commit: engineFields.commit,
  timeout_s: engineFields.timeout_s,
};

/** Registers `codex_fork`. */
export function registerCodexForkTool({ server, engine, session }: ToolContext): void {
  server.registerTool("codex_fork", {
    title: "Fork a Codex thread",
    description: "Fork a finished Codex thread into several tasks, one per prompt, each with the " +
      "thread's history (to try alternatives from the same point), and return their task ids " +
      "at once. Watch them with codex_status, collect them with codex_wait; codex-reply on a " +
      "fork's threadId continues that fork. worktree: true gives each fork its own branch. " +
      "Forks take the parent task's model, sandbox, approval policy and config unless given.",
    inputSchema: z.strictObject(codexForkInputSchema),
    outputSchema: {
      thread_id: z.string().describe("The thread the forks were made from."),
      tasks: z.array(z.object({
        task_id: z.string().describe("The fork's task id, for codex_status, codex_wait, ..."),
        phase: z.string().describe("queued when the parallel cap is reached, else starting."),
        prompt: z.string().describe("The fork's prompt (its first line)."),
        branch: z.string().optional().describe("The fork's branch, with worktree: true."),
      })).describe("One task per prompt, in the order of prompts."),
      next: z.string().describe("What to call next."),
    },
    annotations: RUNS_CODEX_ANNOTATIONS,
  }, async (args, extra) => {
    const { thread_id: threadId, prompts, ...rest } = args;
    const { prompt: _, ...shared } = toTaskRequest({ ...rest, prompt: "" });
    const request = withCaller({ ...shared, threadId, prompts }, extra._meta);
    const forks = await startForks(engine, request, await session());
    const ids = forks.map((t) => t.meta.id);
    const next = `codex_wait {"task_ids":${JSON.stringify(ids)}} to collect`;
    const tasks = forks.map((t) => ({
      task_id: t.meta.id,
      phase: t.meta.phase,
      prompt: t.meta.request.prompt.split("\n", 1)[0]!.slice(0, 200),
      ...(t.meta.worktree && t.meta.request.worktree ? { branch: t.meta.worktree.branch } : {}),
    }));
    const lines = tasks.map((t) =>
      `  ${t.task_id} (${t.phase})${t.branch ? ` on ${t.branch}` : ""}: ${t.prompt.slice(0, 80)}`
    );
    return toolResult(
      `Forked thread ${threadId} into ${tasks.length} task(s):\n${lines.join("\n")}\n` +
        `${next}, codex_status to watch.`,
      { thread_id: threadId, tasks, next },
    );
  });
}
