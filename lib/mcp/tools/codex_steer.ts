/**
 * The `codex_steer` tool: adds a prompt to a task's running turn (Codex reads it at its next step),
 * without starting a new turn.
 *
 * @module
 */

import { z } from "zod";
import { checkMayActOn } from "../../tasks/session_rights.ts";
import { type ToolContext, toolResult } from "./tool.ts";

/** Registers `codex_steer`. */
export function registerCodexSteerTool({ server, engine, session }: ToolContext): void {
  server.registerTool("codex_steer", {
    title: "Steer a running task",
    description: "Add a prompt to the turn a task is running now, e.g. to correct its course. " +
      "Only for a running task; to continue a finished one use codex-reply with its threadId.",
    inputSchema: {
      task_id: z.string().min(1).describe("The running task, as returned by codex_async."),
      prompt: z.string().min(1).max(1_048_576).describe("What to add to the running turn."),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
  }, async (args) => {
    checkMayActOn(await session(), args.task_id, (id) => engine.get(id), "steer");
    const task = await engine.steer(args.task_id, args.prompt);
    return toolResult(`Steered task ${args.task_id}`, {
      task_id: args.task_id,
      phase: task.meta.phase,
      steered: true,
    });
  });
}
