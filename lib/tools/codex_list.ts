/**
 * The `codex_list` tool: the tasks known, newest first.
 *
 * @module
 */

import { z } from "zod";
import type { Engine } from "../engine_api.ts";
import type { McpServer } from "../sdk.ts";
import { PHASES } from "../task.ts";
import { taskView } from "./task_view.ts";

/** Registers `codex_list`. */
export function registerCodexListTool(server: McpServer, engine: Engine): void {
  server.registerTool("codex_list", {
    title: "List tasks",
    description: "The tasks this server knows (also those of earlier instances), newest first.",
    inputSchema: z.strictObject({
      phases: z.array(z.enum(PHASES)).optional().describe("Only tasks in these phases."),
      limit: z.number().int().min(1).max(1000).optional().describe(
        "At most this many (default 50).",
      ),
    }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, (args) => {
    const tasks = engine.list(args.phases).slice(0, args.limit ?? 50).map(taskView);
    const lines = tasks.map((t) =>
      `${t.task_id}  ${t.phase.padEnd(9)}  ${t.elapsed_s}s  ${t.prompt.split("\n", 1)[0]}`
    );
    return {
      content: [{ type: "text" as const, text: lines.length > 0 ? lines.join("\n") : "No tasks." }],
      structuredContent: {
        tasks: tasks.map((t) => ({
          task_id: t.task_id,
          phase: t.phase,
          prompt: t.prompt,
          created_at: t.created_at,
          elapsed_s: t.elapsed_s,
          thread_id: t.thread_id,
          branch: t.worktree?.branch ?? null,
        })),
      },
    };
  });
}
