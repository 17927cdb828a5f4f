/**
 * Runs one task to its end for the blocking tools (`codex`, `codex-reply`): progress notifications
 * on each step and a heartbeat while nothing happens, cancellation of the task when the client
 * cancels the request, and the result in the shape of the last official `codex mcp-server`:
 * `{threadId, content}` (plus the task id and its branch), the content cut to fit the result.
 *
 * @module
 */

import { z } from "zod";
import { startTask } from "../../request/plans.ts";
import { truncate } from "../../base/text.ts";
import type { TaskRequest, TaskSnapshot } from "../../tasks/task.ts";
import { checkView, compactTask, cutMessage, lastStep } from "./compact_view.ts";
import { callProgress, type ProgressContext } from "./progress.ts";
import { type ToolContext, toolError, type ToolOptions, toolResult } from "./tool.ts";

/** The output schema of `codex` and `codex-reply`: the official two fields plus ours, optional. */
export const runOutputSchema = {
  threadId: z.string().describe("The Codex thread id; pass it to codex-reply to continue."),
  content: z.string().describe(
    "The final message of the agent (a long one is cut with a marker saying how to read on).",
  ),
  taskId: z.string().optional().describe("The codex-swarm task that ran it (see codex_status)."),
  branch: z.string().optional().describe("The task's branch, when it ran in a worktree."),
  diff_stat: z.string().optional().describe(
    'What the branch changed, e.g. "2 file(s), +10 -3"; codex_diff shows it.',
  ),
  result: z.unknown().optional().describe(
    "With output_schema: the final message parsed as JSON (it matched the schema).",
  ),
  check: z.object({
    command: z.string().describe("The check command."),
    exit_code: z.number().nullable().describe("Its exit code (null when it did not run)."),
    passed: z.boolean().describe("Exit code 0."),
    summary: z.string().describe('E.g. `check "npm test" failed (exit 1)`.'),
    tail: z.string().optional().describe("The end of its output."),
  }).optional().describe("With check: how the check of the task's worktree ended."),
};

/** The context the blocking tools get from the SDK. */
export type RunContext = ProgressContext & { signal: AbortSignal; requestId?: string | number };

/** Turns a final task into a tool result of at most `options.maxResultChars` characters. */
export function runResult(task: TaskSnapshot, options: ToolOptions) {
  const view = compactTask(task, 0);
  if (task.meta.phase !== "completed") {
    const text =
      `Codex task ${view.task_id} ${view.phase}: ${task.meta.failure ?? "no cause recorded"}` +
      (view.thread_id ? `\nthreadId: ${view.thread_id}` : "");
    return toolError(truncate(text, options.maxResultChars));
  }
  const structured = task.meta.structured;
  if (structured && !structured.ok) {
    // Asked for structured output and did not get it: an error, with the message as it came.
    const raw = task.meta.finalMessage ?? "";
    return toolError(truncate(
      `Codex task ${view.task_id}: ${structured.error}\nthreadId: ${view.thread_id ?? ""}` +
        `\nfinal message:\n${raw}`,
      options.maxResultChars,
    ));
  }
  const check = task.meta.check ? checkView(task.meta.check) : undefined;
  // The message appears twice (text and structured): each copy gets under half the room.
  const room = Math.floor(options.maxResultChars / 2) - 400 -
    (check ? JSON.stringify(check).length + check.summary.length : 0);
  const message = task.meta.finalMessage ?? task.run.finalMessage ?? "";
  const content = cutMessage(message, room, view.task_id);
  const extra = (view.branch
    ? `\n\n[codex-swarm] branch ${view.branch}` +
      (view.diff_stat ? ` (${view.diff_stat}); codex_diff shows it` : "")
    : "") + (check ? `\n[codex-swarm] ${check.summary}` : "");
  return toolResult(content + extra, {
    threadId: view.thread_id ?? "",
    content,
    taskId: view.task_id,
    // A diff stat comes only with a branch (both are the worktree's).
    ...(view.branch ? { branch: view.branch } : {}),
    ...(view.diff_stat ? { diff_stat: view.diff_stat } : {}),
    ...(structured?.ok ? { result: structured.value } : {}),
    ...(check ? { check } : {}),
  });
}

/**
 * Starts the task, reports progress (each step, and the last step again every
 * `options.heartbeatMs` while nothing happens), cancels it if the client cancels the request (not
 * when the client goes away), returns the result.
 */
export async function runToEnd(tools: ToolContext, request: TaskRequest, extra: RunContext) {
  const { engine, session, options } = tools;
  const own = await session();
  // A task that cannot start throws: the SDK answers its message as an error result.
  const task = await startTask(engine, request, own);
  const id = task.meta.id;
  const progress = callProgress(extra, options.heartbeatMs, () => {
    const now = engine.get(id);
    return now ? `${lastStep(now)} (${Math.round(now.elapsedMs / 1000)} s)` : `Task ${id}`;
  });
  progress.send(`Task ${id} ${task.meta.phase}`);
  const off = engine.onChange((changed, step) => {
    if (changed.meta.id === id && step) progress.send(step);
  });
  // Codex's questions go to this client related to this call while it runs.
  const endCall = extra.requestId === undefined ? undefined : own.enterCall?.(extra.requestId);
  // A cancel by the client stops the task; its connection closing (which aborts the call too)
  // does not: the task goes on and its result stays for codex_status, codex_wait, codex_list.
  const onAbort = () => {
    if (own.isConnected?.() !== false) engine.cancel(id).catch(() => {});
  };
  extra.signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (extra.signal.aborted) onAbort();
    const finished = await engine.finished(id);
    // Every step is reported before the answer, never after it.
    await progress.settle();
    return runResult(finished, options);
  } finally {
    endCall?.();
    progress.stop();
    off();
    extra.signal.removeEventListener("abort", onAbort);
  }
}
