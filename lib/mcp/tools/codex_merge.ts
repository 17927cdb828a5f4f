/**
 * The `codex_merge` tool: merges the branches of several finished tasks (or the best attempt of a
 * best-of-N group) into one integration branch, `codex-swarm-merge/<merge id>`, checking each
 * step, letting Codex resolve conflicts, and at the end fast-forwarding the target when asked. A
 * merge is a task of its own kind: the call answers at once with its id, and codex_status,
 * codex_wait, codex_cancel, codex_list and top work on it.
 *
 * @example
 * ```json
 * {"name": "codex_merge", "arguments": {"task_ids": ["5b0d2c1e9a47", "c81f03d2b6e5"],
 *   "check": "npm test", "apply": true}}
 * ```
 * @module
 */

import { z } from "zod";
import { checkMayActOn } from "../../tasks/session_rights.ts";
import type { TaskSnapshot } from "../../tasks/task.ts";
import { checkMergeCall, checkResume } from "../../request/merge_request.ts";
import { Policy } from "../../codex/policy.ts";
import { withCaller } from "../../request/caller.ts";
import { boundedForTask } from "../../request/task_plan.ts";
import { engineFields, runFields, RUNS_CODEX_ANNOTATIONS } from "./run_params.ts";
import { taskIdField } from "./group_view.ts";
import { type ToolContext, toolError, toolResult } from "./tool.ts";

/** The input schema of `codex_merge`. */
export const codexMergeInputSchema = z.strictObject({
  task_ids: z.array(taskIdField).min(1).max(50).optional().describe(
    "Finished tasks that ran with worktree: true, merged in this order (a group id here stands " +
      "for its best attempt). All of one repository.",
  ),
  group_ids: z.array(z.string().regex(/^g-[0-9a-f]{12}$/)).min(1).max(50).optional().describe(
    "Best-of-N groups (codex_async with attempts): each stands for its best attempt, which must " +
      "have passed its check; merged after task_ids, in this order.",
  ),
  target: z.string().min(1).optional().describe(
    "The local branch to merge into (default: the main checkout's current branch). The queue " +
      "works on codex-swarm-merge/<merge id> made from it; the target moves only with apply.",
  ),
  check: z.string().min(1).optional().describe(
    'A shell command, e.g. "npm test", run on the target first, then after each merge. Default: ' +
      "the tasks' own check when they all had the same one; otherwise required.",
  ),
  resolve: z.enum(["codex", "stop"]).optional().describe(
    '"codex" (default): a conflict is resolved by a Codex task in the integration worktree; ' +
      '"stop": the queue ends at the first conflict.',
  ),
  apply: z.boolean().optional().describe(
    "At the end, fast-forward target to the result when the checkout allows it (target has not " +
      "moved, no tracked changes, no untracked or ignored file in the way). Default false.",
  ),
  cleanup: z.boolean().optional().describe(
    "With the result applied, discard the merged tasks' worktrees and branches (tasks left out " +
      "are kept) and the integration branch. Default false.",
  ),
  model: runFields.model.describe("The model of the resolving tasks."),
  sandbox: runFields.sandbox.describe(
    "The sandbox of the checks and the resolving tasks (default workspace-write), never above " +
      "the caller's.",
  ),
  timeout_s: engineFields.timeout_s.describe(
    "Time limit in seconds of each check and each resolving task (default: the server's " +
      "--task-timeout).",
  ),
  "approval-policy": runFields["approval-policy"].describe(
    "The approval policy of the resolving tasks (default: a new task's, the server's " +
      "approval_policy config, else never); their questions come to the caller like any task's " +
      "(elicitation, codex_approve).",
  ),
  resume: taskIdField.optional().describe(
    "Go on with a merge a supervisor stop interrupted, from its last passed step (no other " +
      "field with it).",
  ),
});

/** The answer to a call that started merge `task`. */
function startedAnswer(task: TaskSnapshot) {
  const id = task.meta.id;
  const request = task.meta.request.merge!;
  const branches = request.items.map((i) => i.worktree.branch);
  const integration = task.meta.merge?.integration?.branch ?? `codex-swarm-merge/${id}`;
  const next = `codex_wait {"task_ids":["${id}"]} collects the report`;
  return toolResult(
    `Merging ${branches.length} branch(es) into "${request.target}" on ${integration} ` +
      `(merge ${id}); ${next}.`,
    { task_id: id, phase: task.meta.phase, integration_branch: integration, branches, next },
  );
}

/** The output schema of `codex_merge`: the merge task, answered at once. */
const codexMergeOutputSchema = {
  task_id: z.string().describe("The merge's id, for codex_status, codex_wait, codex_cancel."),
  phase: z.string().describe("running."),
  integration_branch: z.string().describe("Where the result is built."),
  branches: z.array(z.string()).describe("The task branches, in merge order."),
  next: z.string().describe("What to call next."),
};

/** Registers `codex_merge`. */
export function registerCodexMergeTool({ server, engine, session }: ToolContext): void {
  server.registerTool("codex_merge", {
    title: "Merge task branches, checked",
    description: "Merge the branches of several finished tasks (or the best attempt of groups) " +
      "into one integration branch, codex-swarm-merge/<merge id>, made from target, never in " +
      "the user's checkout: check runs on target, then after each merge (--no-ff); a branch " +
      "whose check fails is left out, a conflict is resolved by a Codex task (or stops the " +
      "queue). Returns a merge id at once; codex_wait collects its report (each branch's " +
      "outcome, the final commit, the diff stat), codex_cancel stops it. apply: true " +
      "fast-forwards target at the end when its checkout allows.",
    inputSchema: codexMergeInputSchema,
    outputSchema: codexMergeOutputSchema,
    annotations: RUNS_CODEX_ANNOTATIONS,
  }, async (args, extra) => {
    // A task session's merge is no wider than the task it runs in, as a task it starts: its
    // checks run in that task's sandbox at most, on a repository within its directories.
    const actor = boundedForTask(
      { prompt: "", approvalPolicy: args["approval-policy"] },
      await session(),
      engine.facts,
    );
    const get = (id: string) => engine.get(id);
    const lookup = {
      get,
      list: () => engine.list(),
      policy: actor.policy ?? new Policy(),
      env: actor.env,
      asksNoApprovals: actor.kind === "task",
    };
    const { resume, ...call } = args;
    // A Codex caller's sandbox is the default and the limit, as for a task it starts.
    call.sandbox = withCaller({ prompt: "", sandbox: call.sandbox }, extra._meta).sandbox;
    let request;
    let from;
    if (resume !== undefined) {
      const given = Object.entries(args).filter(([k, v]) => k !== "resume" && v !== undefined);
      if (given.length > 0) {
        return toolError(
          `Cannot resume with ${given.map(([k]) => k).join(", ")}: pass resume alone`,
        );
      }
      const old = checkResume(resume, lookup);
      checkMayActOn(actor, resume, get, "resume");
      request = { ...old.meta.request.merge!, resumeOf: resume };
      from = old.meta.merge!;
    } else {
      // Another's task is refused as such before its repository is looked at.
      for (const id of call.task_ids ?? []) checkMayActOn(actor, id, get, "merge");
      request = await checkMergeCall(call, lookup);
    }
    // A session a task's own process opened merges only tasks it started, as it acts on no
    // other task (lib/tasks/session_rights.ts): a merge may fast-forward the user's branch and
    // discard worktrees.
    for (const item of request.items) checkMayActOn(actor, item.taskId, get, "merge");
    return startedAnswer(await engine.merge(request, actor, from));
  });
}
