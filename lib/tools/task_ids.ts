/**
 * The `task_ids` field shared by the tools that look at tasks.
 *
 * @module
 */

import { z } from "zod";

/** One or more task ids. */
export const taskIdsField = z.array(z.string().min(1)).min(1).max(100).describe(
  "Task ids, as returned by codex_async (or codex_list).",
);
