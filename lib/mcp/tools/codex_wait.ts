/**
 * The `codex_wait` tool: waits until all (or any) of the tasks are done, or a timeout, and answers
 * with their compact views. A timeout never stops a task.
 *
 * @module
 */

import { z } from "zod";
import type { Engine, WaitResult } from "../../tasks/engine_api.ts";
import { truncate } from "../../base/text.ts";
import { isFinal } from "../../tasks/task.ts";
import { lastStep } from "./compact_view.ts";
import { callProgress, type ProgressContext } from "./progress.ts";
import { askedIds, compactWithGroups, optionalTaskIdsField, shownFields } from "./group_view.ts";
import { budgets, type ToolContext, type ToolOptions, toolResult } from "./tool.ts";

/** Registers `codex_wait`. */
export function registerCodexWaitTool({ server, engine, session, options }: ToolContext): void {
  server.registerTool("codex_wait", {
    title: "Wait for tasks",
    description: "Wait until all (mode all, the default) or any (mode any) of the tasks are " +
      "done, or until the timeout; returns the final messages of finished tasks and the last " +
      "step of the rest. A timeout never stops a task: call again (keep it under your " +
      "client's tool timeout). Sends progress while it waits. A group id (codex_async with " +
      "attempts) waits for its attempts and answers with them ranked.",
    inputSchema: z.strictObject({
      task_ids: optionalTaskIdsField,
      timeout: z.number().min(0).max(3600).optional().describe(
        "Seconds to wait at most (default 50).",
      ),
      mode: z.enum(["all", "any"]).optional().describe(
        'Return when "all" tasks are done (default) or when "any" is.',
      ),
    }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, async (args, extra) => {
    // A group id stands for its attempts: the wait is for them, the answer ranks them.
    const found = askedIds(engine, args.task_ids, "wait for");
    if (found.error) return found.error;
    const { asked, taskIds: ids } = found;
    const own = await session();
    // A question whose client went away is asked of this one; while this call runs, Codex's
    // questions to this client are sent related to it.
    engine.offerQuestions(ids, own);
    const endCall = own.enterCall?.(extra.requestId);
    const progress = waitProgress(engine, ids, extra as ProgressContext, options.heartbeatMs);
    try {
      const mode = args.mode ?? "all";
      const result = await engine.wait(ids, {
        mode,
        timeoutMs: (args.timeout ?? 50) * 1000,
        signal: extra.signal,
        sessionId: own.id,
      });
      // The last phase change is reported before the answer, never after it.
      await progress.finish();
      return waitAnswer(engine, asked, result, mode, options);
    } finally {
      endCall?.();
      progress.stop();
    }
  });
}

/**
 * The progress of a wait: a note whenever a phase of the tasks `ids` changes, and a heartbeat
 * while nothing does.
 */
function waitProgress(engine: Engine, ids: string[], extra: ProgressContext, heartbeatMs: number) {
  const current = () => ids.map((id) => engine.get(id)!);
  const summary = () => {
    const tasks = current();
    const done = tasks.filter((t) => isFinal(t.meta.phase)).length;
    const running = tasks.find((t) => !isFinal(t.meta.phase));
    return `${done}/${tasks.length} done` +
      (running ? `; ${running.meta.id}: ${lastStep(running)}` : "");
  };
  const phasesOf = () => current().map((t) => t.meta.phase).join();
  let lastPhases = phasesOf();
  const progress = callProgress(extra, heartbeatMs, summary);
  const reportPhaseChange = () => {
    const phases = phasesOf();
    if (phases === lastPhases) return;
    lastPhases = phases;
    progress.send(summary());
  };
  const off = engine.onChange((task) => {
    if (ids.includes(task.meta.id)) reportPhaseChange();
  });
  return {
    /** Reports the last phase change, and waits until the client has the progress sent. */
    async finish(): Promise<void> {
      reportPhaseChange();
      await progress.settle();
    },
    stop(): void {
      off();
      progress.stop();
    },
  };
}

/** The answer to a wait: the questions asked, the tasks (or the groups, ranked), what next. */
function waitAnswer(
  engine: Engine,
  asked: string[],
  result: WaitResult,
  mode: "all" | "any",
  options: ToolOptions,
) {
  // Questions this session had not been told of: the agent answers with codex_approve.
  const questions = (result.questions ?? []).map((q) => ({
    task_id: q.task_id,
    kind: q.kind,
    message: truncate(q.message, 600),
    ...(q.diff ? { diff: truncate(q.diff, 1500) } : {}),
  }));
  const done = result.tasks.filter((t) => isFinal(t.meta.phase)).length;
  // Groups show ranked; the other ids as usual.
  const shown = compactWithGroups(engine, asked, budgets(options));
  const next = questions.length > 0
    ? `ask the user, then codex_approve {"task_id":"${questions[0]!.task_id}",` +
      `"decision":"accept"|"accept_for_session"|"decline"|"cancel"}`
    : shown.next;
  const head = questions.length > 0
    ? questions.map((q) => `Task ${q.task_id} waits for an answer: ${q.message}`).join("\n")
    : result.satisfied
    ? `${mode === "all" ? "All" : "At least one of"} ${result.tasks.length} task(s) done.`
    : `Timed out: ${done} of ${result.tasks.length} task(s) done; the rest keep running.`;
  return toolResult(`${head}\n${shown.text}` + (next ? `\nNext: ${next}` : ""), {
    satisfied: result.satisfied,
    done,
    total: result.tasks.length,
    ...(questions.length > 0 ? { questions } : {}),
    ...shownFields(shown, next),
  });
}
