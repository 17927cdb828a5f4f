/**
 * The `codex_worktree` tool: merges a task's branch into a branch of the main checkout, or
 * discards its worktree and branch. Nothing is merged or deleted unless asked. Its `diff` action
 * is kept for older clients and answers like the read-only `codex_diff`.
 *
 * On a group id (best of N), `discard` drops the worktree and branch of every attempt not merged,
 * and says which it dropped and which it kept; `merge` and `diff` act on one attempt, so they name
 * the best one to pass instead. An attempt counts as merged when it made a commit and that commit
 * is on a local branch outside `codex-swarm/*` (the branch it was merged into, by `merge` or by the
 * user): its branch holds nothing that deleting it would lose. Another task's branch (a fork's)
 * does not count. A merged attempt's worktree stays for the sweep (or a discard by its own task
 * id).
 *
 * @module
 */

import { z } from "zod";
import type { Engine, Session } from "../../tasks/engine_api.ts";
import { isFinal, PHASES, type TaskSnapshot } from "../../tasks/task.ts";
import type { MergeResult, WorktreeInfo, WorktreeManager } from "../../git/worktree.ts";
import { isGroupId } from "../../tasks/attempt_group.ts";
import { diffResult, worktreeOf } from "./codex_diff.ts";
import { groupMembers, groupView, taskIdField } from "./group_view.ts";
import { checkMayAct, checkMayActOn } from "../../tasks/session_rights.ts";
import { messageOf } from "../../base/errors.ts";
import { type ToolContext, toolError, toolResult } from "./tool.ts";

/** Registers `codex_worktree`. */
export function registerCodexWorktreeTool(
  { server, engine, worktrees, session, options }: ToolContext,
): void {
  server.registerTool("codex_worktree", {
    title: "Task branch: merge, discard",
    description: "Act on the git branch of a task that ran with worktree: true (codex_diff " +
      'shows it). "merge" merges the branch into ' +
      "`target` (default: the main checkout's current branch), refusing when the main checkout " +
      "has uncommitted changes or files git does not track (ignored ones too) where the branch " +
      "writes, answering merged: false with the reason when there is nothing to merge, and " +
      'aborting cleanly on conflicts; "discard" removes the ' +
      "worktree and deletes the branch. Best of N: merge one attempt by its task id, then " +
      '"discard" with the group id drops every attempt not merged.',
    inputSchema: z.strictObject({
      task_id: taskIdField.describe(
        "The task whose branch to act on; with discard, a group id (codex_async with attempts).",
      ),
      action: z.enum(["diff", "merge", "discard"]).describe("What to do."),
      target: z.string().min(1).optional().describe(
        "With merge: the branch of the main checkout to merge into (default: its current branch).",
      ),
    }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  }, async (args) => {
    const actor = await session();
    if (isGroupId(args.task_id)) {
      return await groupWorktreeAction(engine, worktrees, actor, args.task_id, args.action);
    }
    if (args.action !== "diff") {
      checkMayActOn(actor, args.task_id, (id) => engine.get(id), args.action);
    }
    const found = worktreeOf(engine, args.task_id, args.action);
    if (found.error) return found.error;
    const { info } = found;
    if (args.action === "diff") {
      return await diffResult(worktrees, args.task_id, info, {}, options.maxResultChars);
    }
    // A merge or discard holds the worktree: one at a time, and none while a reply or fork is
    // being made there, so each sees what the one before it left (a task just queued there).
    using _held = await worktrees.holdWorktrees([info.path]);
    const task = engine.get(args.task_id) ?? found.task;
    const refused = refusal(engine, actor, { ...args, action: args.action }, task, info);
    if (refused !== null) return refused;
    if (args.action === "merge") {
      return mergeAnswer(info, await worktrees.merge(info, args.target));
    }
    await worktrees.discard(info);
    return toolResult(`Discarded worktree ${info.path} and branch ${info.branch}`, {
      discarded: true,
      branch: info.branch,
      path: info.path,
    });
  });
}

/**
 * Why task `task_id` may not be merged or discarded now, or null: it has not ended, another task
 * still works in its worktree, or its repository lies outside the caller's roots.
 */
function refusal(
  engine: Engine,
  actor: Session,
  args: { task_id: string; action: "merge" | "discard" },
  task: TaskSnapshot,
  info: WorktreeInfo,
): ReturnType<typeof toolError> | null {
  if (!isFinal(task.meta.phase)) {
    return toolError(
      `Cannot ${args.action} task "${args.task_id}" as it is still ${task.meta.phase}: ` +
        "wait for it or cancel it first",
    );
  }
  // Another task (a reply) may be working in the same worktree: its edits would be lost.
  const busy = engine.list(PHASES.filter((p) => !isFinal(p)))
    .filter((t) => t.meta.worktree?.path === info.path && t.meta.id !== args.task_id);
  if (busy.length > 0) {
    return toolError(
      `Cannot ${args.action} task "${args.task_id}" as ${
        busy.map((t) => `task "${t.meta.id}" (${t.meta.phase})`).join(", ")
      } still works in its worktree ${info.path}: wait for it or cancel it first`,
    );
  }
  // A merge or discard acts on the task's repository: within the caller's roots (or it throws).
  actor.policy?.checkPath(info.repoRoot, `the repository of task "${args.task_id}"`);
  return null;
}

/** The answer to a merge: merged, nothing to merge, or conflicts (an error). */
function mergeAnswer(info: WorktreeInfo, result: MergeResult) {
  if ("nothing" in result) {
    return toolResult(
      `Nothing to merge into ${result.target}: ${result.nothing}. ` + "Nothing was changed.",
      {
        merged: false,
        branch: info.branch,
        target: result.target,
        reason: `nothing to merge: ${result.nothing}`,
      },
    );
  }
  if (!result.merged) {
    return toolResult(
      `Cannot merge ${info.branch} as it conflicts in: ${result.conflicts.join(", ")}. ` +
        "The merge was aborted; the main checkout is as it was.",
      { merged: false, branch: info.branch, conflicts: result.conflicts },
      true,
    );
  }
  return toolResult(
    `Merged ${info.branch} into ${result.target ?? "the current branch"}` +
      (result.commit ? ` (commit ${result.commit.slice(0, 12)})` : ""),
    {
      merged: true,
      branch: info.branch,
      target: result.target ?? null,
      commit: result.commit ?? null,
    },
  );
}

/** Acts on the attempts of group `groupId` (see the module doc). */
async function groupWorktreeAction(
  engine: Engine,
  worktrees: WorktreeManager,
  actor: Session,
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
  for (const task of tasks) checkMayAct(actor, task.meta, "discard");
  const attemptIds = new Set(tasks.map((t) => t.meta.id));
  const paths = new Set(tasks.map((t) => t.meta.worktree?.path));
  // Held to the end: no reply or fork is made in these worktrees while they are checked and
  // removed, and another client's merge or discard of an attempt waits (see codex_worktree).
  using _held = await worktrees.holdWorktrees(
    [...paths].filter((path): path is string => path !== undefined),
  );
  // An attempt still running, or a reply working in an attempt's worktree, would lose its edits.
  const busy = engine.list(PHASES.filter((p) => !isFinal(p))).filter((t) =>
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
