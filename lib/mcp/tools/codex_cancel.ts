/**
 * The `codex_cancel` tool: stops tasks and every process they started. Idempotent.
 *
 * @module
 */

import { z } from "zod";
import { checkMayActOn } from "../../tasks/session_rights.ts";
import { expandIds, taskIdField, taskIdsField } from "./group_view.ts";
import { messageOf } from "../../base/errors.ts";
import { type ToolContext, toolError, toolResult } from "./tool.ts";

/** Registers `codex_cancel`. */
export function registerCodexCancelTool({ server, engine, session }: ToolContext): void {
  server.registerTool("codex_cancel", {
    title: "Cancel tasks",
    description: "Stop tasks and every process they started (SIGTERM, then SIGKILL after a short " +
      "grace). A cancelled task keeps its worktree and branch. Cancelling a finished task only " +
      "says it had already finished.",
    inputSchema: z.strictObject({
      task_id: taskIdField.optional().describe("One task id (a group id: all its attempts)."),
      task_ids: taskIdsField.optional(),
    }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  }, async (args) => {
    // A group id stands for its attempts (an unknown one is reported as unknown).
    const given = [...(args.task_id ? [args.task_id] : []), ...(args.task_ids ?? [])];
    const ids = expandIds(engine, given);
    if (ids.length === 0) {
      return toolError("Cannot cancel as neither task_id nor task_ids was given");
    }
    const actor = await session();
    const results = await Promise.all(ids.map(async (id) => {
      try {
        checkMayActOn(actor, id, (id) => engine.get(id), "cancel");
        const before = engine.get(id)?.meta.phase ?? null;
        const { alreadyFinished, task } = await engine.cancel(id);
        const phase = task.meta.phase;
        const cancelled = !alreadyFinished && phase === "cancelled";
        return {
          task_id: id,
          phase,
          already_finished: alreadyFinished,
          cancelled,
          was: before,
          message: alreadyFinished
            ? `Task ${id} had already finished (${phase}): nothing to cancel`
            : cancelled
            ? before === "queued"
              ? `Task ${id} cancelled while queued: it never started`
              : `Task ${id} cancelled while ${before ?? "running"}: its processes are stopped`
            : `Task ${id} ended ${phase} before the cancel took effect`,
        };
      } catch (error) {
        return {
          task_id: id,
          phase: null,
          already_finished: false,
          cancelled: false,
          was: null,
          message: messageOf(error),
        };
      }
    }));
    return toolResult(
      results.map((r) => r.message).join("\n"),
      { results },
      results.some((r) => r.phase === null),
    );
  });
}
