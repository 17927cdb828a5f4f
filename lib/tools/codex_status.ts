/**
 * The `codex_status` tool: the live view of tasks.
 *
 * @module
 */

import { z } from "zod";
import type { Engine } from "../engine_api.ts";
import type { McpServer } from "../sdk.ts";
import { idsOrUnfinished, optionalTaskIdsField, unknownTaskIds } from "./task_ids.ts";
import { taskText, taskView } from "./task_view.ts";

/** Registers `codex_status`. */
export function registerCodexStatusTool(server: McpServer, engine: Engine): void {
  server.registerTool("codex_status", {
    title: "Task status",
    description: "Live status of tasks: phase, elapsed time, thread id, tool calls, the last " +
      "tool, current reasoning, files changed, todo list, output so far, token usage, worktree " +
      "and branch, failure cause.",
    inputSchema: z.strictObject({ task_ids: optionalTaskIdsField }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, (args) => {
    const ids = idsOrUnfinished(engine, args.task_ids);
    const unknown = unknownTaskIds(engine, ids, "show");
    if (unknown) return unknown;
    const tasks = ids.map((id) => engine.get(id)!);
    return {
      content: [{
        type: "text" as const,
        text: tasks.length > 0 ? tasks.map(taskText).join("\n\n") : "No unfinished tasks.",
      }],
      structuredContent: { tasks: tasks.map(taskView) },
    };
  });
}
