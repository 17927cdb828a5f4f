/**
 * The `codex_async` tool: starts a Codex task and returns at once with its id and what to call
 * next.
 *
 * @module
 */

import { z } from "zod";
import type { Engine, SessionSource } from "../engine_api.ts";
import type { McpServer } from "../sdk.ts";
import { withCaller } from "./caller.ts";
import { engineFields, runFields, toTaskRequest } from "./run_params.ts";

/** The input schema of `codex_async`. */
export const codexAsyncInputSchema = {
  prompt: z.string().min(1).describe("The user prompt for Codex."),
  threadId: z.string().min(1).optional().describe(
    "Continue this Codex thread (like codex-reply) instead of starting a new one.",
  ),
  ...runFields,
  ...engineFields,
};

/** Registers `codex_async`. */
export function registerCodexAsyncTool(
  server: McpServer,
  engine: Engine,
  session: SessionSource,
): void {
  server.registerTool("codex_async", {
    title: "Start a Codex task",
    description: "Start a Codex task in the background and return its task id at once. Start " +
      "several to run them in parallel; watch them with codex_status and collect results with " +
      "codex_wait. Tasks keep running across server restarts.",
    inputSchema: z.strictObject(codexAsyncInputSchema),
    outputSchema: {
      task_id: z.string().describe("The id to pass to codex_status, codex_wait, codex_cancel."),
      phase: z.string().describe("queued when the parallel cap is reached, else starting."),
      branch: z.string().optional().describe("The task's branch, with worktree: true."),
      next: z.string().describe("What to call next."),
    },
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: true,
    },
  }, async (args, extra) => {
    const task = await engine.start(
      withCaller(toTaskRequest(args), extra._meta),
      await session(),
    );
    const id = task.meta.id;
    const branch = task.meta.worktree?.branch;
    const next = `codex_wait {"task_ids":["${id}"]} to collect`;
    return {
      content: [{
        type: "text" as const,
        text: `Started task ${id} (${task.meta.phase})` +
          (task.meta.worktree ? ` in ${task.meta.worktree.path} on branch ${branch}` : "") +
          `; ${next}, codex_status to watch.`,
      }],
      structuredContent: {
        task_id: id,
        phase: task.meta.phase,
        ...(branch ? { branch } : {}),
        next,
      },
    };
  });
}
