/**
 * The `codex_list` tool: the tasks known, newest first, one short entry each.
 *
 * @module
 */

import { z } from "zod";
import { excerpt, truncate } from "../../base/text.ts";
import { PHASES, type TaskSnapshot } from "../../tasks/task.ts";
import { fitViews, seconds } from "./compact_view.ts";
import { budgets, type ToolContext, toolResult } from "./tool.ts";

/** How much of a prompt an entry shows. */
const PROMPT_CHARS = 80;

function entry(task: TaskSnapshot, promptChars: number) {
  const { meta } = task;
  const threadId = meta.threadId ?? task.run.threadId;
  return {
    task_id: meta.id,
    phase: meta.phase,
    prompt: excerpt(meta.request.prompt, Math.max(20, Math.min(PROMPT_CHARS, promptChars))),
    created_at: meta.createdAt,
    elapsed_s: seconds(task.elapsedMs),
    ...(threadId ? { thread_id: threadId } : {}),
    ...(meta.worktree ? { branch: meta.worktree.branch } : {}),
    ...(meta.request.group ? { group_id: meta.request.group.id } : {}),
    // Held back after a 429 of the model API (see tasks/backoff.ts).
    ...(task.backoffUntil ? { backoff_until: task.backoffUntil } : {}),
  };
}

/** Registers `codex_list`. */
export function registerCodexListTool({ server, engine, options }: ToolContext): void {
  server.registerTool("codex_list", {
    title: "List tasks",
    description: "The tasks this server knows (also those of earlier instances), newest first, " +
      "one short entry each; codex_status shows one in full.",
    inputSchema: z.strictObject({
      phases: z.array(z.enum(PHASES)).optional().describe("Only tasks in these phases."),
      limit: z.number().int().min(1).max(1000).optional().describe(
        "At most this many (default 50).",
      ),
    }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, (args) => {
    const all = engine.list(args.phases);
    const limit = args.limit ?? 50;
    const room = budgets(options);
    const { views, omitted } = fitViews(all.slice(0, limit), room.structured, entry);
    const more = all.length - views.length;
    const next = more > 0
      ? `${more} more task(s) not shown; narrow with phases or raise limit` +
        (omitted.length > 0 ? " (the result is at its size limit)" : "")
      : undefined;
    const lines = views.map((t) =>
      `${t.task_id}  ${t.phase.padEnd(9)}  ${t.elapsed_s}s  ${t.prompt}` +
      (t.backoff_until ? `  (429 rate limit: held back until ${t.backoff_until})` : "")
    );
    return toolResult(lines.length > 0 ? truncate(lines.join("\n"), room.text) : "No tasks.", {
      tasks: views,
      total: all.length,
      ...(next ? { next } : {}),
    });
  });
}
