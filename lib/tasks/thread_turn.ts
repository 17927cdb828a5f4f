/**
 * The two app-server steps of every task: opening its thread (`thread/resume` for a reply,
 * `thread/fork` for a fork, else `thread/start`) and starting its turn (`review/start` for a
 * review, else `turn/start` with the prompt and the output schema).
 *
 * @example
 * ```ts
 * const { threadId, sandbox } = await openThread(server, meta.request, meta.threadId, params.thread);
 * const turn = await startTurn(server, threadId, meta.request, params.input);
 * ```
 * @module
 */

import type { AppServer } from "../codex/app_server.ts";
import { configuredSandbox } from "../codex/configured_sandbox.ts";
import type { SandboxPolicy } from "../codex/protocol/generated/v2/SandboxPolicy.ts";
import type { Json, ThreadParams } from "../codex/thread_params.ts";
import type { TaskRequest } from "../task.ts";
import { forkThread } from "./fork.ts";
import { startReview } from "./review_run.ts";

/** The thread a task runs on, and its sandbox as Codex answered. */
export interface OpenedThread {
  threadId: string;
  sandbox: SandboxPolicy;
}

/**
 * Opens the task's thread: resumes `threadId` when given, forks `request.forkOf` when set, else
 * starts a new thread (in the sandbox asked for, else the one Codex's config sets, else read-only).
 * @throws {Error} Naming the thread when Codex cannot resume or fork it.
 */
export async function openThread(
  server: Pick<AppServer, "request">,
  request: TaskRequest,
  threadId: string | null,
  params: ThreadParams["thread"],
): Promise<OpenedThread> {
  if (threadId !== null) {
    try {
      const resumed = await server.request("thread/resume", { threadId, ...params });
      return { threadId, sandbox: resumed.sandbox };
    } catch (error) {
      throw new Error(
        `Cannot continue thread "${threadId}" as Codex cannot resume it: ${messageOf(error)}`,
      );
    }
  }
  // A resumed or forked thread keeps the sandbox Codex recorded for it; a new one gets the
  // sandbox asked for, else Codex's config's (configured_sandbox.ts).
  const started = request.forkOf
    ? await forkThread(server, request.forkOf.threadId, params)
    : await server.request("thread/start", {
      ...params,
      sandbox: params.sandbox ?? await configuredSandbox(server),
    });
  return { threadId: started.thread.id, sandbox: started.sandbox };
}

/**
 * Starts the task's turn on its thread: its review, or its prompt. Returns the turn's id.
 * `sandboxPolicy`, when given, replaces the thread's sandbox (see `../codex/sandbox_cap.ts`).
 */
export async function startTurn(
  server: AppServer,
  threadId: string,
  request: TaskRequest,
  input: ThreadParams["input"],
  sandboxPolicy: SandboxPolicy | null = null,
): Promise<string> {
  if (request.review && sandboxPolicy !== null) {
    // review/start takes no sandbox: a review is refused rather than run wider than allowed.
    throw new Error(
      `Cannot start the review as its thread's sandbox is wider than the session's ceiling ` +
        `(${sandboxPolicy.type} at most): pass sandbox "read-only"`,
    );
  }
  const turn = request.review
    ? await startReview(server, threadId, request.review)
    : await server.request("turn/start", {
      threadId,
      input,
      ...(request.outputSchema ? { outputSchema: request.outputSchema as Json } : {}),
      ...(sandboxPolicy ? { sandboxPolicy } : {}),
    });
  return turn.turn.id;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
