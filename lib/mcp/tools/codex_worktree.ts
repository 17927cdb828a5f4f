/**
 * The `codex_worktree` tool: merges a task's branch into a branch of the main checkout, or
 * discards its worktree and branch. Nothing is merged or deleted unless asked. Its `diff` action
 * is kept for older clients and answers like the read-only `codex_diff`.
 *
 * @module
 */

import { z } from "zod";
import type { Engine, Session } from "../../tasks/engine_api.ts";
import { isFinal, PHASES, type TaskSnapshot } from "../../tasks/task.ts";
import type { MergeResult, WorktreeInfo } from "../../git/worktree.ts";
import { isGroupId } from "../../tasks/attempt_group.ts";
import { diffResult, worktreeOf } from "./codex_diff.ts";
import { groupWorktreeAction } from "./group_worktree.ts";
import { groupMembers } from "./group_view.ts";
import { checkMayAct, checkMayActOn } from "../../tasks/session_rights.ts";
import { type ToolContext, toolError, toolResult } from "./tool.ts";
import { taskIdField } from "./task_ids.ts";

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
      if (args.action === "discard") {
        for (const task of groupMembers(engine, args.task_id)) {
          checkMayAct(actor, task.meta, "discard");
        }
      }
      return await groupWorktreeAction(engine, worktrees, args.task_id, args.action);
    }
    if (args.action !== "diff") {
      checkMayActOn(actor, args.task_id, (id) => engine.get(id), args.action);
    }
    const found = worktreeOf(engine, args.task_id, args.action);
    if (found.error) return found.error;
    const { info } = found;
    // A merge or discard holds the worktree: one at a time, and none while a reply or fork is
    // being made there, so each sees what the one before it left (a task just queued there).
    using _held = args.action === "diff" ? null : await worktrees.holdWorktrees([info.path]);
    if (args.action !== "diff") {
      const task = engine.get(args.task_id) ?? found.task;
      const refused = refusal(engine, actor, { ...args, action: args.action }, task, info);
      if (refused !== null) return refused;
    }
    if (args.action === "diff") {
      return await diffResult(worktrees, args.task_id, info, {}, options.maxResultChars);
    }
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
