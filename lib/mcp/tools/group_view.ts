/**
 * The task ids of the tools that look at tasks (the `task_ids` fields, and what the ids a call
 * asks about stand for: a group id for its attempts), and the view of a group of attempts (best
 * of N, `codex_async` with `attempts`), computed from its tasks each time (attempt_group.ts): the
 * attempts ranked best first, each row with its task id, phase, check exit code and output tail
 * (bounded), diff size and branch, and what to call next (merge the best with `codex_worktree`,
 * then discard the group). `codex_status` and `codex_wait` show it for a group id; the ids of its
 * attempts come from {@link expandIds}.
 *
 * @example Not run: it needs the engine and its tasks (`engine`).
 * ```ts ignore
 * import { fitGroups, groupMembers } from "./group_view.ts";
 *
 * const views = fitGroups([groupMembers(engine, "g-0123456789ab")], 15_000);
 * console.log(views[0]!.attempts[0]!.task_id, views[0]!.next); // the best attempt
 * ```
 * @module
 */

import { z } from "zod";
import type { Engine } from "../../tasks/engine_api.ts";
import { excerpt, tail, truncate } from "../../base/text.ts";
import { isFinal, PHASES, type TaskSnapshot } from "../../tasks/task.ts";
import { TASK_ID_PATTERN, TASK_ID_RULE } from "../../base/task_id.ts";
import { toolError } from "./tool.ts";
import { diffSize, isGroupId, rankAttempts } from "../../tasks/attempt_group.ts";
import {
  CHECK_TAIL_CHARS,
  checkView,
  compactTask,
  compactText,
  fitViews,
  lastStep,
  nextHint,
  seconds,
} from "./compact_view.ts";

/** The check tail caps tried, longest first, when the groups must fit one result. */
const TAIL_CAPS = [CHECK_TAIL_CHARS, 300, 120, 0];

/** The attempts of a group, by attempt index (none when no task has the id). */
export function groupMembers(engine: Engine, groupId: string): TaskSnapshot[] {
  return engine.list()
    .filter((t) => t.meta.request.group?.id === groupId)
    .sort((a, b) => a.meta.request.group!.index - b.meta.request.group!.index);
}

/**
 * Task ids with each group id replaced by its attempts' ids (no duplicates; a group id no task
 * has stays, to be reported unknown).
 */
export function expandIds(engine: Engine, ids: string[]): string[] {
  return [
    ...new Set(ids.flatMap((id) => {
      const attempts = isGroupId(id) ? groupMembers(engine, id).map((t) => t.meta.id) : [];
      return attempts.length > 0 ? attempts : [id];
    })),
  ];
}

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

/** One attempt of a group, as a row of its ranking (absent fields do not apply). */
export type AttemptRow = ReturnType<typeof row>;

/** One attempt's row, `rank` 1 for the best. */
function row(task: TaskSnapshot, rank: number, tailChars: number) {
  const { meta } = task;
  const final = isFinal(meta.phase);
  return {
    rank,
    task_id: meta.id,
    // Its place in the group as started (0 to size - 1).
    attempt: meta.request.group?.index ?? 0,
    phase: meta.phase,
    elapsed_s: seconds(task.elapsedMs),
    // Null while it runs, when it did not run, or without a check.
    check_exit_code: meta.check?.exitCode ?? null,
    check_passed: meta.check?.passed === true,
    // Insertions + deletions of its commit (null until it is committed).
    diff_size: diffSize(meta),
    ...(meta.check ? { check: checkView(meta.check, tailChars, final) } : {}),
    ...(meta.worktree ? { branch: meta.worktree.branch } : {}),
    // Unfinished attempts: the last step.
    ...(final ? {} : { step: lastStep(task) }),
    ...(final && meta.failure ? { failure: truncate(meta.failure, 200) } : {}),
  };
}

/** What to call next for a group. */
function groupNext(groupId: string, rows: AttemptRow[], best: string | null): string {
  if (best === null) return `codex_wait {"task_ids":["${groupId}"]} to collect`;
  const top = rows[0]!;
  const take = top.check_passed
    ? `codex_worktree {"task_id":"${best}","action":"merge"} takes the best (its check passed)`
    : `no attempt passed its check: codex_diff {"task_id":"${best}"} to review the best ` +
      `before codex_worktree {"task_id":"${best}","action":"merge"}`;
  return `${take}; then codex_worktree {"task_id":"${groupId}","action":"discard"} drops ` +
    "the attempts not merged";
}

/** A group's view. */
export type GroupView = ReturnType<typeof groupView>;

/** The view of one group from its attempts, check tails cut to `tailChars`. */
export function groupView(groupId: string, tasks: TaskSnapshot[], tailChars = CHECK_TAIL_CHARS) {
  const ranked = rankAttempts(tasks);
  const rows = ranked.map((task, i) => row(task, i + 1, tailChars));
  const done = rows.filter((r) => isFinal(r.phase)).length;
  const size = tasks[0]?.meta.request.group?.size ?? tasks.length;
  const best = done === rows.length && rows.length > 0 ? rows[0]!.task_id : null;
  return {
    group_id: groupId,
    size,
    // How many attempts are final, and how many passed their check.
    done,
    passed: rows.filter((r) => r.check_passed).length,
    // The best attempt once every attempt is final, else null.
    best,
    attempts: rows,
    next: groupNext(groupId, rows, best),
  };
}

/** The views of these groups, their check tails cut shorter until all fit `budget` characters. */
export function fitGroups(
  groups: Array<{ id: string; tasks: TaskSnapshot[] }>,
  budget: number,
): GroupView[] {
  let views: GroupView[] = [];
  for (const cap of TAIL_CAPS) {
    views = groups.map((g) => groupView(g.id, g.tasks, cap));
    if (JSON.stringify(views).length <= budget) break;
  }
  return views;
}

/** A few lines per group, for people (the text content). */
export function groupText(views: GroupView[], maxChars: number): string {
  const lines = views.flatMap((g) => [
    `Group ${g.group_id}: ${g.done}/${g.size} done, ${g.passed} passed the check` +
    (g.best ? `; best ${g.best}` : ""),
    ...g.attempts.map((r) =>
      `  ${r.rank}. ${r.task_id} ${r.phase}` +
      (r.check ? ` check ${r.check_exit_code ?? "-"}` : "") +
      (r.diff_size !== null ? ` diff ${r.diff_size}` : "") +
      (r.branch ? ` [${r.branch}]` : "") +
      (r.step
        ? `: ${r.step}`
        : r.check?.tail
        ? `: ${excerpt(tail(r.check.tail.trim(), 100), 100)}`
        : "")
    ),
  ]);
  return truncate(lines.join("\n"), maxChars);
}

/**
 * The compact views of `ids` where group ids show as their group's view and the other ids as
 * task views, all within `room` (half of it at most for the groups when both are asked for).
 */
export function compactWithGroups(
  engine: Engine,
  ids: string[],
  room: { structured: number; text: number },
) {
  const groupIds = ids.filter(isGroupId);
  const plain = ids.filter((id) => !isGroupId(id)).map((id) => engine.get(id)!);
  const groups = fitGroups(
    groupIds.map((id) => ({ id, tasks: groupMembers(engine, id) })),
    plain.length > 0 ? Math.floor(room.structured / 2) : room.structured,
  );
  const used = groups.length > 0 ? JSON.stringify(groups).length : 0;
  const { views, omitted } = fitViews(plain, room.structured - used, compactTask);
  const hints = [...groups.map((g) => g.next), nextHint(views, omitted)].filter((h) => h);
  const text = [
    groups.length > 0 ? groupText(groups, Math.floor(room.text / (views.length > 0 ? 2 : 1))) : "",
    views.length > 0 ? compactText(views, Math.floor(room.text / (groups.length > 0 ? 2 : 1))) : "",
  ].filter((t) => t !== "").join("\n");
  return { views, omitted, groups, next: hints.length > 0 ? hints.join("; ") : undefined, text };
}

/**
 * The structured content of what {@link compactWithGroups} shows: the groups (when any), the
 * tasks, the ids left out for size, and `next` (what to call next, by default its hint).
 */
export function shownFields(shown: ReturnType<typeof compactWithGroups>, next = shown.next) {
  return {
    ...(shown.groups.length > 0 ? { groups: shown.groups } : {}),
    tasks: shown.views,
    ...(shown.omitted.length > 0 ? { omitted_task_ids: shown.omitted } : {}),
    ...(next ? { next } : {}),
  };
}
