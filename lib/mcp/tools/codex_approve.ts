/**
 * The `codex_approve` tool: answers the question a task waits on (a command or file change to
 * approve, more permissions, the model's or an MCP server's question), for clients without MCP
 * elicitation or when the client that started the task has gone.
 *
 * @module
 */

import { z } from "zod";
import { checkMayActOn } from "../../tasks/session_rights.ts";
import { type ToolContext, toolResult } from "./tool.ts";
import { DECISIONS } from "../../tasks/questions.ts";

/** Registers `codex_approve`. */
export function registerCodexApproveTool(
  { server, engine, session }: ToolContext,
  by = "codex_approve",
): void {
  server.registerTool("codex_approve", {
    title: "Answer a task's approval request",
    description: "Answer the approval request a task waits on (phase waiting_approval; " +
      "codex_status and codex_wait show the request with its command or diff). accept: run it " +
      "once; accept_for_session: also similar ones later in this task; decline: refuse, the " +
      "task goes on; cancel: refuse and end the task's turn. Ask the user before accepting.",
    inputSchema: {
      task_id: z.string().min(1).describe("The task whose pending request to answer."),
      decision: z.enum(DECISIONS).describe(
        "accept, accept_for_session, decline or cancel.",
      ),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  }, async (args) => {
    checkMayActOn(await session(), args.task_id, (id) => engine.get(id), "approve for");
    const before = engine.get(args.task_id)?.question ?? null;
    const task = engine.answer(args.task_id, args.decision, by);
    return toolResult(
      `Answered ${args.decision} for task ${args.task_id}: ${before?.message ?? ""}`,
      {
        task_id: args.task_id,
        decision: args.decision,
        question: before?.message ?? null,
        phase: task.meta.phase,
      },
    );
  });
}
