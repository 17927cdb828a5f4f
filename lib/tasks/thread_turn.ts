/**
 * The two app-server steps of every task: opening its thread (`thread/resume` for a reply,
 * `thread/fork` for a fork, else `thread/start`) and starting its turn (`review/start` for a
 * review, else `turn/start` with the prompt and the output schema).
 *
 * A new thread gets its project's `AGENTS.md` instructions in its developer instructions, and a
 * reply's or fork's turn gets them again as added context when they changed since they were last
 * sent to the thread (as Codex re-sends them for a trusted project; ../codex/project_docs.ts).
 *
 * @example Not run: it needs a running `codex app-server` (`server`).
 * ```ts ignore
 * const context = await readProjectContext(server, params.thread);
 * const { threadId, sandbox } = await openThread(server, meta.request, meta.threadId, params.thread, context);
 * const turn = await startTurn(server, threadId, meta.request, { input: params.input });
 * ```
 * @module
 */

import type { AppServer } from "../codex/app_server.ts";
import { configuredSandbox } from "../codex/configured_sandbox.ts";
import type { ProjectContext } from "../codex/project_context.ts";
import { renderProjectDocs } from "../codex/project_docs.ts";
import type { SandboxPolicy } from "../codex/protocol/generated/v2/SandboxPolicy.ts";
import { type Json, type ThreadParams, withDeveloperSection } from "../codex/thread_params.ts";
import type { TaskRequest } from "./task.ts";
import { messageOf } from "../base/errors.ts";

/**
 * Opens the task's thread: resumes `threadId` when given, forks `request.forkOf` when set, else
 * starts a new thread with the project's instructions of `context`, in the sandbox asked for,
 * else the one Codex's config sets, else `workspace-write` for a project the user trusts, else
 * read-only. Returns the thread's id and its sandbox as Codex answered.
 * @throws {Error} Naming the thread when Codex cannot resume or fork it.
 */
export async function openThread(
  server: Pick<AppServer, "request">,
  request: TaskRequest,
  threadId: string | null,
  params: ThreadParams["thread"],
  context: ProjectContext,
): Promise<{ threadId: string; sandbox: SandboxPolicy }> {
  if (threadId !== null) {
    // thread/resume takes no environments: the turn gives them (startTurn).
    const { environments: _, ...resume } = params;
    try {
      const resumed = await server.request("thread/resume", { threadId, ...resume });
      return { threadId, sandbox: resumed.sandbox };
    } catch (error) {
      throw new Error(
        `Cannot continue thread "${threadId}" as Codex cannot resume it: ${messageOf(error)}`,
      );
    }
  }
  const parent = request.forkOf?.threadId;
  if (parent !== undefined) {
    // The fork's turns are not needed here: its first turn is the fork's prompt.
    const fork = { ...params, threadId: parent, excludeTurns: true };
    const forked = await server.request("thread/fork", fork).catch((error) => {
      throw new Error(
        `Cannot fork thread "${parent}" as Codex cannot fork it: ${messageOf(error)}`,
      );
    });
    return { threadId: forked.thread.id, sandbox: forked.sandbox };
  }
  // A resumed or forked thread keeps the sandbox Codex recorded for it; a new one gets the
  // sandbox asked for, else the one of Codex's config or of the user's trust (configured_sandbox.ts).
  const docs = context.docs && renderProjectDocs(context.docs.cwd, context.docs.text);
  const started = await server.request("thread/start", {
    ...withDeveloperSection(params, docs),
    sandbox: params.sandbox ?? await configuredSandbox(context.config, params.cwd, context.root),
  });
  return { threadId: started.thread.id, sandbox: started.sandbox };
}

/**
 * The key of the turn's added context that carries changed `AGENTS.md` instructions; Codex 0.169
 * shows the model a developer message `<agents_md>...</agents_md>`.
 */
export const PROJECT_DOCS_CONTEXT = "agents_md";

/** What a task's turn starts with (task_run.ts). */
export interface TurnStart {
  input: ThreadParams["input"];
  /** When given, replaces the thread's sandbox (see `capSandbox` of `../codex/configured_sandbox.ts`). */
  sandbox?: SandboxPolicy | null;
  /**
   * When given, goes before the prompt as added context (a reply's or fork's changed
   * instructions, see ../codex/project_docs.ts).
   */
  update?: string | null;
  environments?: ThreadParams["thread"]["environments"];
}

/** Starts the task's turn on its thread: its review, or its prompt. Returns the turn's id. */
export async function startTurn(
  server: AppServer,
  threadId: string,
  request: TaskRequest,
  { input, sandbox: sandboxPolicy = null, update: projectDocs = null, environments }: TurnStart,
): Promise<string> {
  if (request.review && sandboxPolicy !== null) {
    // review/start takes no sandbox: a review is refused rather than run wider than allowed.
    throw new Error(
      `Cannot start the review as its thread's sandbox is wider than the session's ceiling ` +
        `(${sandboxPolicy.type} at most): pass sandbox "read-only"`,
    );
  }
  const review = request.review?.target;
  if (request.review && !review) {
    throw new Error("Cannot start a review whose target was not checked when the task was made");
  }
  // A review: Codex's review of its target inline on the thread, in place of a turn.
  const turn = review
    ? await server.request("review/start", { threadId, target: review })
    : await server.request("turn/start", {
      threadId,
      input,
      ...(request.outputSchema ? { outputSchema: request.outputSchema as Json } : {}),
      ...(sandboxPolicy ? { sandboxPolicy } : {}),
      ...(environments ? { environments } : {}),
      ...(projectDocs === null ? {} : {
        additionalContext: {
          [PROJECT_DOCS_CONTEXT]: { value: projectDocs, kind: "application" as const },
        },
      }),
    });
  return turn.turn.id;
}
