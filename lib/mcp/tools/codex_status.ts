/**
 * The `codex_status` tool: the live view of tasks. Compact by default (the model's view: phase,
 * elapsed, last step or final message, branch, what to call next), the full view with
 * `detail: "full"`, and a long final message read on in pages with `offset`.
 *
 * @module
 */

import { z } from "zod";
import { truncate } from "../../base/text.ts";
import type { TaskSnapshot } from "../../tasks/task.ts";
import { fitViews, page, readOnCall } from "./compact_view.ts";
import { askedIds, compactWithGroups, optionalTaskIdsField, shownFields } from "./group_view.ts";
import { taskText, taskView } from "./task_view.ts";
import { budgets, type ToolContext, toolResult } from "./tool.ts";

/** A page of each task's final message, from `offset`. */
function messagePages(tasks: TaskSnapshot[], offset: number, maxChars: number) {
  return tasks.map((task) => {
    const message = task.meta.finalMessage ?? task.run.finalMessage ?? "";
    const { text, next } = page(message, Math.min(offset, message.length), maxChars);
    const more = next < message.length;
    return {
      task_id: task.meta.id,
      phase: task.meta.phase,
      offset,
      total_chars: message.length,
      final_message: text,
      next_offset: more ? next : null,
      ...(more ? { next: `${readOnCall(task.meta.id, next)} reads on` } : {}),
    };
  });
}

/** Registers `codex_status`. */
export function registerCodexStatusTool({ server, engine, session, options }: ToolContext): void {
  server.registerTool("codex_status", {
    title: "Task status",
    description: "Status of tasks without waiting: phase, elapsed time, thread id, the last " +
      "step of a running task, the final message, usage, branch and diff stat of a finished " +
      'one, and what to call next. detail: "full" for everything known; offset to read a long ' +
      "final message on. A group id (codex_async with attempts) shows its attempts ranked: " +
      "check passed first, then smaller diff, then earlier end.",
    inputSchema: z.strictObject({
      task_ids: optionalTaskIdsField,
      detail: z.enum(["compact", "full"]).optional().describe(
        "compact (default): phase, elapsed, last step or final message, branch. full: everything " +
          "known (tool counts, reasoning, to-do list, files, output tail, worktree, exit, parent " +
          "thread).",
      ),
      offset: z.number().int().min(0).optional().describe(
        "Read the final message from this character on (a cut message says where to go on).",
      ),
      max_chars: z.number().int().min(1).optional().describe(
        "With offset: at most this many characters of the message (default: what fits).",
      ),
    }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, async (args) => {
    // A group id stands for its attempts.
    const ids = askedIds(engine, args.task_ids, "show");
    if (ids.error) return ids.error;
    // A question whose client went away is asked of this one.
    engine.offerQuestions(ids.taskIds, await session());
    const tasks = ids.taskIds.map((id) => engine.get(id)!);
    const room = budgets(options);
    if (args.offset !== undefined) {
      const each = Math.floor(room.structured / Math.max(1, tasks.length));
      const pages = messagePages(tasks, args.offset, Math.min(args.max_chars ?? each, each));
      return toolResult(truncate(pages.map((p) => p.final_message).join("\n\n"), room.text), {
        tasks: pages,
      });
    }
    if (args.detail === "full") {
      // Every task in its full view, as many as fit.
      const { views, omitted } = fitViews(tasks, room.structured, taskView);
      return toolResult(
        truncate(tasks.map(taskText).join("\n\n") || "No unfinished tasks.", room.text),
        { tasks: views, ...(omitted.length > 0 ? { omitted_task_ids: omitted } : {}) },
      );
    }
    // Groups show ranked; the other ids as usual.
    const shown = compactWithGroups(engine, ids.asked, room);
    return toolResult(
      (shown.text || "No unfinished tasks.") + (shown.next ? `\nNext: ${shown.next}` : ""),
      shownFields(shown),
    );
  });
}
