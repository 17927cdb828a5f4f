/**
 * `codex_worktree` on a group id (best of N): `discard` drops the worktree and branch of every
 * attempt not merged, and says which it dropped and which it kept; `merge` and `diff` act on one
 * attempt, so they name the best one to pass instead.
 *
 * An attempt counts as merged when it made a commit and that commit is on a local branch outside
 * `codex-swarm/*` (the branch it was merged into, by `merge` or by the user): its branch holds
 * nothing that deleting it would lose. Another task's branch (a fork's) does not count. A merged
 * attempt's worktree stays for the sweep (or a discard by its own task id).
 *
 * @example Not run: it needs the engine and the worktrees of a group's tasks.
 * ```ts ignore
 * // codex_worktree {"task_id":"g-0123456789ab","action":"discard"}
 * const result = await groupWorktreeAction(engine, worktrees, "g-0123456789ab", "discard");
 * ```
 * @module
 */

import type { Engine } from "../../tasks/engine_api.ts";
import { isFinal, PHASES } from "../../tasks/task.ts";
import type { WorktreeManager } from "../../git/worktree.ts";
import { groupMembers, groupView } from "./group_view.ts";
import { toolError, toolResult } from "./tool.ts";
import { messageOf } from "../../base/errors.ts";

/** Acts on the attempts of group `groupId` (see the module doc). */
export async function groupWorktreeAction(
  engine: Engine,
  worktrees: WorktreeManager,
  groupId: string,
  action: "diff" | "merge" | "discard",
) {
  const tasks = groupMembers(engine, groupId);
  if (tasks.length === 0) {
    return toolError(`Cannot ${action} group "${groupId}" as no such group of attempts is known`);
  }
  if (action !== "discard") {
    const best = groupView(groupId, tasks).attempts[0]!.task_id;
    return toolError(
      `Cannot ${action} group "${groupId}" as a whole: ${action} one attempt, e.g. the best ` +
        `so far: codex_worktree {"task_id":"${best}","action":"${action}"}`,
    );
  }
  const unfinished = PHASES.filter((p) => !isFinal(p));
  const attemptIds = new Set(tasks.map((t) => t.meta.id));
  const paths = new Set(tasks.map((t) => t.meta.worktree?.path));
  // Held to the end: no reply or fork is made in these worktrees while they are checked and
  // removed, and another client's merge or discard of an attempt waits (see codex_worktree).
  using _held = await worktrees.holdWorktrees(
    [...paths].filter((path): path is string => path !== undefined),
  );
  // An attempt still running, or a reply working in an attempt's worktree, would lose its edits.
  const busy = engine.list(unfinished).filter((t) =>
    attemptIds.has(t.meta.id) || paths.has(t.meta.worktree?.path)
  );
  if (busy.length > 0) {
    return toolError(
      `Cannot discard group "${groupId}" as ${
        busy.map((t) => `task "${t.meta.id}" (${t.meta.phase})`).join(", ")
      } still runs in its worktrees: wait for them or cancel them first`,
    );
  }
  const discarded: Array<{ task_id: string; branch: string }> = [];
  const kept: Array<{ task_id: string; branch: string; reason: string }> = [];
  const failed: Array<{ task_id: string; branch: string; error: string }> = [];
  for (const task of tasks) {
    const info = task.meta.worktree;
    if (!info) continue;
    try {
      const merged = task.meta.worktreeOutcome?.commit != null &&
        !(await worktrees.branchHasUnmergedCommits(info));
      const { worktree, branch } = await worktrees.exists(info);
      if (merged) {
        kept.push({ task_id: task.meta.id, branch: info.branch, reason: "merged" });
      } else if (!worktree && !branch) {
        kept.push({ task_id: task.meta.id, branch: info.branch, reason: "already gone" });
      } else {
        await worktrees.discard(info);
        discarded.push({ task_id: task.meta.id, branch: info.branch });
      }
    } catch (error) {
      failed.push({ task_id: task.meta.id, branch: info.branch, error: messageOf(error) });
    }
  }
  const lines = [
    `Group ${groupId}: discarded ${discarded.length} attempt(s)` +
    (discarded.length > 0
      ? `: ${discarded.map((d) => `${d.task_id} (${d.branch})`).join(", ")}`
      : ""),
    ...kept.map((k) => `Kept ${k.task_id} (${k.branch}): ${k.reason}`),
    ...failed.map((f) => `Cannot discard ${f.task_id} (${f.branch}): ${f.error}`),
  ];
  return toolResult(
    lines.join("\n"),
    { group_id: groupId, discarded, kept, ...(failed.length ? { failed } : {}) },
    failed.length > 0 ? true : undefined,
  );
}
