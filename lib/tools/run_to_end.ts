/**
 * Runs one task to its end for the blocking tools (`codex`, `codex-reply`): progress notifications
 * on each step, cancellation of the task when the client cancels the request, and the result in
 * the shape of the last official `codex mcp-server`: text plus `{threadId, content}`.
 *
 * @module
 */

import { z } from "zod";
import type { Engine, SessionSource } from "../engine_api.ts";
import type { TaskRequest, TaskSnapshot } from "../task.ts";
import { type ProgressContext, progressReporter, settleProgress } from "./progress.ts";
import { taskView } from "./task_view.ts";

/** The output schema of `codex` and `codex-reply`: the official two fields plus ours, optional. */
export const runOutputSchema = {
  threadId: z.string().describe("The Codex thread id; pass it to codex-reply to continue."),
  content: z.string().describe("The final message of the agent."),
  taskId: z.string().optional().describe("The codex-swarm task that ran it (see codex_status)."),
  worktree: z.object({
    path: z.string(),
    branch: z.string(),
    commit: z.string().nullable(),
    files: z.array(z.object({ path: z.string(), insertions: z.number(), deletions: z.number() })),
  }).nullable().optional().describe("The task's worktree and branch, when it ran in one."),
};

/** The context the blocking tools get from the SDK. */
export type RunContext = ProgressContext & { signal: AbortSignal; requestId?: string | number };

/** Turns a final task into a tool result. */
export function runResult(task: TaskSnapshot) {
  const view = taskView(task);
  if (task.meta.phase !== "completed") {
    const tail = task.stderrTail.trim().slice(-1500);
    const text =
      `Codex task ${view.task_id} ${view.phase}: ${view.failure ?? "no cause recorded"}` +
      (view.thread_id ? `\nthreadId: ${view.thread_id}` : "") +
      (tail && view.phase !== "cancelled" ? `\nstderr (end):\n${tail}` : "");
    return { isError: true, content: [{ type: "text" as const, text }] };
  }
  const content = view.final_message ?? "";
  const worktree = view.worktree
    ? {
      path: view.worktree.path,
      branch: view.worktree.branch,
      commit: view.worktree.commit,
      files: view.worktree.files,
    }
    : null;
  const extra = worktree
    ? `\n\n[codex-swarm] worktree ${worktree.path} on branch ${worktree.branch}` +
      (worktree.commit ? `, commit ${worktree.commit.slice(0, 12)}` : ", nothing changed")
    : "";
  return {
    content: [{ type: "text" as const, text: content + extra }],
    structuredContent: {
      threadId: view.thread_id ?? "",
      content,
      taskId: view.task_id,
      worktree,
    },
  };
}

/** Starts the task, reports progress, cancels it if the request is cancelled, returns the result. */
export async function runToEnd(
  engine: Engine,
  session: SessionSource,
  request: TaskRequest,
  extra: RunContext,
) {
  let task: TaskSnapshot;
  const own = await session();
  try {
    task = await engine.start(request, own);
  } catch (error) {
    return {
      isError: true,
      content: [{
        type: "text" as const,
        text: error instanceof Error ? error.message : String(error),
      }],
    };
  }
  const id = task.meta.id;
  const report = progressReporter(extra);
  let lastSent: Promise<void> | null = report(`Task ${id} ${task.meta.phase}`);
  const off = engine.onChange((changed, step) => {
    if (changed.meta.id === id && step) lastSent = report(step);
  });
  // Codex's questions go to this client related to this call while it runs.
  const endCall = extra.requestId === undefined ? undefined : own.enterCall?.(extra.requestId);
  const onAbort = () => engine.cancel(id).catch(() => {});
  extra.signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (extra.signal.aborted) onAbort();
    const finished = await engine.finished(id);
    // Every step is reported before the answer, never after it.
    await settleProgress(extra._meta?.progressToken === undefined ? null : lastSent);
    return runResult(finished);
  } finally {
    endCall?.();
    off();
    extra.signal.removeEventListener("abort", onAbort);
  }
}
