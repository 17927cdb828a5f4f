/**
 * The `task_ids` field shared by the tools that look at tasks.
 *
 * @module
 */

import { z } from "zod";
import type { Engine } from "../../tasks/engine_api.ts";
import { isFinal, PHASES } from "../../tasks/task.ts";
import { TASK_ID_PATTERN, TASK_ID_RULE } from "../../base/task_id.ts";
import { isGroupId } from "../../tasks/attempt_group.ts";
import { groupMembers } from "./group_view.ts";
import { toolError } from "./tool.ts";

/** One task id: never a path (no `/`, `.`, NUL). */
export const taskIdField = z.string().regex(
  TASK_ID_PATTERN,
  `not a task id: expected ${TASK_ID_RULE}`,
).describe("A task id, as returned by codex_async (or codex_list).");

/** One or more task ids. */
export const taskIdsField = z.array(taskIdField).min(1).max(100).describe(
  "Task ids, as returned by codex_async (or codex_list); a group id of attempts stands for " +
    "its attempts.",
);

/** Task ids that default to every unfinished task. */
export const optionalTaskIdsField = taskIdsField.optional().describe(
  "Task ids, as returned by codex_async (or codex_list); a group id (codex_async with " +
    "attempts) stands for its attempts, ranked. Default: every task not yet finished.",
);

/** The ids given, or those of every unfinished task. */
export function idsOrUnfinished(engine: Engine, ids: string[] | undefined): string[] {
  return ids
    ? [...new Set(ids)]
    : engine.list(PHASES.filter((p) => !isFinal(p))).map((t) => t.meta.id);
}

/** An error result naming the ids no task (or group of attempts) has, or null when all are known. */
export function unknownTaskIds(engine: Engine, ids: string[], verb: string) {
  const unknown = ids.filter((id) =>
    !engine.get(id) && !(isGroupId(id) && groupMembers(engine, id).length > 0)
  );
  if (unknown.length === 0) return null;
  return toolError(
    `Cannot ${verb} task_ids ${unknown.map((id) => `"${id}"`).join(", ")} as no such ` +
      "task is known (see codex_list)",
  );
}
