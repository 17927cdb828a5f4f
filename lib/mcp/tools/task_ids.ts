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
import { expandIds, groupMembers } from "./group_view.ts";
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

/**
 * The ids a call asks about (`given`, or those of every unfinished task) and the task ids they
 * stand for (a group id for its attempts), or an error result naming the ids no task (or group of
 * attempts) has.
 */
export function askedIds(engine: Engine, given: string[] | undefined, verb: string) {
  const asked = given
    ? [...new Set(given)]
    : engine.list(PHASES.filter((p) => !isFinal(p))).map((t) => t.meta.id);
  const unknown = asked.filter((id) =>
    !engine.get(id) && !(isGroupId(id) && groupMembers(engine, id).length > 0)
  );
  if (unknown.length === 0) return { asked, taskIds: expandIds(engine, asked) };
  return {
    error: toolError(
      `Cannot ${verb} task_ids ${unknown.map((id) => `"${id}"`).join(", ")} as no such ` +
        "task is known (see codex_list)",
    ),
  };
}
