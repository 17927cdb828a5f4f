/**
 * The `codex_async` tool: starts a Codex task and returns at once with its id.
 *
 * @module
 */

import { z } from "zod";
import type { Engine } from "../engine_api.ts";
import type { McpServer } from "../sdk.ts";
import { engineFields, runFields, toTaskRequest } from "./run_params.ts";
import { taskView } from "./task_view.ts";

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
export function registerCodexAsyncTool(server: McpServer, engine: Engine): void {
  server.registerTool("codex_async", {
    title: "Start a Codex task",
    description: "Start a Codex task in the background and return its task id at once. Start " +
      "several to run them in parallel; watch them with codex_status and collect results with " +
      "codex_wait. Tasks keep running across server restarts.",
    inputSchema: z.strictObject(codexAsyncInputSchema),
    outputSchema: {
      task_id: z.string().describe("The id to pass to codex_status, codex_wait, codex_cancel."),
      phase: z.string().describe("queued when the parallel cap is reached, else starting."),
      worktree: z.object({ path: z.string(), branch: z.string() }).nullable(),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  }, async (args) => {
    const task = await engine.start(toTaskRequest(args));
    const view = taskView(task);
    const worktree = view.worktree
      ? { path: view.worktree.path, branch: view.worktree.branch }
      : null;
    return {
      content: [{
        type: "text" as const,
        text: `Started task ${view.task_id} (${view.phase})` +
          (worktree ? ` in worktree ${worktree.path} on branch ${worktree.branch}` : "") +
          `. Collect the result with codex_wait({"task_ids": ["${view.task_id}"]}); ` +
          `watch it with codex_status.`,
      }],
      structuredContent: { task_id: view.task_id, phase: view.phase, worktree },
    };
  });
}
