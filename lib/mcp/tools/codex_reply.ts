/**
 * The `codex-reply` tool: continues a Codex thread to its end. The old alias `codex_reply` is
 * registered too only with `--reply-alias`: Codex as a client normalises both names to
 * `codex_reply` and shows its model two identical tools renamed with hashes.
 *
 * @module
 */

import { z } from "zod";
import { withCaller } from "../../request/caller.ts";
import { runFields, RUNS_CODEX_ANNOTATIONS, toTaskRequest } from "./run_params.ts";
import { runOutputSchema, runToEnd } from "./run_to_end.ts";
import { type ToolContext, toolError } from "./tool.ts";

/** The input schema of `codex-reply`. */
export const codexReplyInputSchema = {
  threadId: z.string().min(1).optional().describe(
    "The thread id of the Codex session to continue (from a previous codex result).",
  ),
  conversationId: z.string().min(1).optional().describe(
    "Deprecated alias of threadId, kept for older clients.",
  ),
  prompt: z.string().min(1).describe("The next user prompt to continue the Codex conversation."),
  model: runFields.model,
  cwd: runFields.cwd,
  sandbox: runFields.sandbox,
  "approval-policy": runFields["approval-policy"],
  config: runFields.config,
  output_schema: runFields.output_schema,
  images: runFields.images,
  add_dirs: runFields.add_dirs,
};

/** Registers `codex-reply`, and its alias `codex_reply` when `options.replyAlias` is set. */
export function registerCodexReplyTool(tools: ToolContext): void {
  const { server, options } = tools;
  for (const name of options.replyAlias ? ["codex-reply", "codex_reply"] : ["codex-reply"]) {
    server.registerTool(name, {
      title: "Codex reply",
      description: "Continue a Codex conversation by providing its thread id and a prompt. Works " +
        "on any thread Codex has on disk, also ones started before a server restart. A thread " +
        "that ran in a worktree continues in it.",
      inputSchema: z.strictObject(codexReplyInputSchema),
      outputSchema: runOutputSchema,
      annotations: RUNS_CODEX_ANNOTATIONS,
    }, (args, extra) => {
      const threadId = args.threadId ?? args.conversationId;
      if (!threadId) {
        return toolError(
          "Cannot continue a thread as threadId is missing: pass the threadId of a " +
            "previous codex result",
        );
      }
      const request = withCaller(toTaskRequest({ ...args, threadId }), extra._meta);
      return runToEnd(tools, request, extra);
    });
  }
}
