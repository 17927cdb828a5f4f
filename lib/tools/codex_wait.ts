/**
 * The `codex_wait` tool: waits until all (or any) of the tasks are done, or a timeout. A timeout
 * never stops a task.
 *
 * @module
 */

import { z } from "zod";
import type { Engine } from "../engine_api.ts";
import type { McpServer } from "../sdk.ts";
import { isFinal } from "../task.ts";
import { type ProgressContext, progressReporter, settleProgress } from "./progress.ts";
import { idsOrUnfinished, optionalTaskIdsField, unknownTaskIds } from "./task_ids.ts";
import { taskText, taskView } from "./task_view.ts";

/** How often progress is sent while nothing changes. */
const HEARTBEAT_MS = 15_000;

/** Registers `codex_wait`. */
export function registerCodexWaitTool(server: McpServer, engine: Engine): void {
  server.registerTool("codex_wait", {
    title: "Wait for tasks",
    description: "Wait until all (mode all, the default) or any (mode any) of the tasks are " +
      "done, or until the timeout; returns the results of finished tasks and the live status of " +
      "the rest. A timeout never stops a task. Keep the timeout under your client's own tool " +
      "timeout (often 60 s) and call again.",
    inputSchema: z.strictObject({
      task_ids: optionalTaskIdsField,
      timeout: z.number().min(0).max(3600).optional().describe(
        "Seconds to wait at most (default 50).",
      ),
      mode: z.enum(["all", "any"]).optional().describe(
        'Return when "all" tasks are done (default) or when "any" is.',
      ),
    }),
    annotations: { readOnlyHint: true, openWorldHint: false },
  }, async (args, extra) => {
    const ids = idsOrUnfinished(engine, args.task_ids);
    const unknown = unknownTaskIds(engine, ids, "wait for");
    if (unknown) return unknown;
    const report = progressReporter(extra as ProgressContext);
    const summary = () => {
      const tasks = ids.map((id) => engine.get(id)!);
      const done = tasks.filter((t) => isFinal(t.meta.phase)).length;
      return `${done}/${tasks.length} done; ` +
        tasks.map((t) => `${t.meta.id} ${t.meta.phase}`).join(", ");
    };
    let lastPhases = ids.map((id) => engine.get(id)!.meta.phase).join();
    let lastSent: Promise<void> | null = null;
    const off = engine.onChange((task) => {
      if (!ids.includes(task.meta.id)) return;
      const phases = ids.map((id) => engine.get(id)?.meta.phase).join();
      if (phases !== lastPhases) {
        lastPhases = phases;
        lastSent = report(summary());
      }
    });
    const heartbeat = setInterval(() => report(summary()), HEARTBEAT_MS);
    try {
      const mode = args.mode ?? "all";
      const result = await engine.wait(ids, {
        mode,
        timeoutMs: (args.timeout ?? 50) * 1000,
        signal: extra.signal,
      });
      // The last phase change is reported before the answer, never after it.
      const phases = ids.map((id) => engine.get(id)?.meta.phase).join();
      if (phases !== lastPhases) {
        lastPhases = phases;
        lastSent = report(summary());
      }
      if ((extra as ProgressContext)._meta?.progressToken !== undefined) {
        await settleProgress(lastSent);
      }
      const done = result.tasks.filter((t) => isFinal(t.meta.phase)).length;
      const head = result.satisfied
        ? `${mode === "all" ? "All" : "At least one of"} ${result.tasks.length} task(s) done.`
        : `Timed out: ${done} of ${result.tasks.length} task(s) done; the rest keep running.`;
      return {
        content: [{
          type: "text" as const,
          text: [head, ...result.tasks.map(taskText)].join("\n\n"),
        }],
        structuredContent: {
          satisfied: result.satisfied,
          timed_out: !result.satisfied,
          done,
          total: result.tasks.length,
          tasks: result.tasks.map(taskView),
        },
      };
    } finally {
      off();
      clearInterval(heartbeat);
    }
  });
}
