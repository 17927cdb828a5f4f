/**
 * Builds the MCP server: the tools, the resources, and logging to the client.
 *
 * @example Not run: it serves MCP on this process's stdin and stdout.
 * ```ts ignore
 * const server = createServer({ engine, config, log });
 * await server.connect(new StdioServerTransport());
 * ```
 * @module
 */

import type { SessionSource } from "../tasks/engine_api.ts";
import type { Logger } from "../base/log.ts";
import { registerResources, type ResourceParts } from "./resources.ts";
import { McpServer } from "./sdk.ts";
import { engineTaskStore, registerCodexTool } from "./tools/codex.ts";
import { registerCodexAsyncTool } from "./tools/codex_async.ts";
import { registerCodexApproveTool } from "./tools/codex_approve.ts";
import { registerCodexCancelTool } from "./tools/codex_cancel.ts";
import { registerCodexDiffTool } from "./tools/codex_diff.ts";
import { registerCodexForkTool } from "./tools/codex_fork.ts";
import { registerCodexSteerTool } from "./tools/codex_steer.ts";
import { registerCodexListTool } from "./tools/codex_list.ts";
import { registerCodexReplyTool } from "./tools/codex_reply.ts";
import { registerCodexReviewTool } from "./tools/codex_review.ts";
import { registerCodexStatusTool } from "./tools/codex_status.ts";
import { registerCodexWaitTool } from "./tools/codex_wait.ts";
import { registerCodexWorktreeTool } from "./tools/codex_worktree.ts";
import { registerCodexMergeTool } from "./tools/codex_merge.ts";
import { limitResults } from "./tools/result_limit.ts";
import type { WorktreeManager } from "../git/worktree.ts";

/** What the server is built from (with what its resources show). */
export interface ServerParts extends ResourceParts {
  worktrees: WorktreeManager;
  log: Logger;
  /** The client session the tasks started through this server belong to. */
  session: SessionSource;
  /** `codex-swarm top` at a person's terminal: it answers approvals in every mode. */
  person?: boolean;
}

/** The MCP server with every tool and resource registered; `close()` detaches it from the engine. */
export function createServer(parts: ServerParts): McpServer & { detach(): void } {
  const { engine, config, log, version } = parts;
  const server = new McpServer(
    { name: "codex-swarm", title: "Codex Swarm", version },
    {
      capabilities: {
        logging: {},
        tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      },
      taskStore: engineTaskStore(engine, config),
      instructions: "Runs OpenAI Codex. `codex` runs one session to its end; for several at " +
        "once or anything long, start each with `codex_async`, then `codex_wait` for results " +
        "(and `codex_status` to watch). `worktree: true` gives a task its own git branch; " +
        "`codex_diff` shows it, `codex_worktree` merges or discards it, `codex_merge` merges " +
        "several into one checked branch. Results are compact " +
        "and say what to call next.",
    },
  );
  // Every result within --max-result-chars, whatever a tool built.
  limitResults(server, config.maxResultChars);
  const tools = { ...parts, server, options: config };
  registerCodexTool(tools);
  registerCodexReplyTool(tools);
  registerCodexAsyncTool(tools);
  registerCodexReviewTool(tools);
  registerCodexForkTool(tools);
  registerCodexStatusTool(tools);
  registerCodexWaitTool(tools);
  registerCodexCancelTool(tools);
  registerCodexSteerTool(tools);
  // With --approvals human only a person answers: top at a terminal, or an elicitation.
  if (config.approvals !== "human" || parts.person) {
    registerCodexApproveTool(tools, parts.person ? "top" : "codex_approve");
  }
  registerCodexListTool(tools);
  registerCodexDiffTool(tools);
  registerCodexWorktreeTool(tools);
  registerCodexMergeTool(tools);
  const detachResources = registerResources(server, parts);
  // Log lines go to the client only once it has initialized: nothing may precede that answer.
  let detachLog = () => {};
  server.server.oninitialized = () => {
    detachLog = log.attach((level, message, data) => {
      if (!server.isConnected()) return;
      // A session hears only about its own tasks: other clients' prompts and steps stay out.
      if (parts.sessionId !== undefined && data.session !== parts.sessionId) return;
      // A failed send detaches the sink: reporting the failure must not send again.
      server.sendLoggingMessage({ level, logger: "codex-swarm", data: { message, ...data } })
        .catch(() => detachLog());
    });
  };
  return Object.assign(server, {
    detach() {
      detachResources();
      detachLog();
    },
  });
}
