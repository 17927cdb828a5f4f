/**
 * Checks a `codex_merge` call into a {@link MergeRequest} before anything is made: every task id
 * known, finished, with its branch, none twice, none with a task still working in its worktree,
 * all in one repository; each group replaced by its best attempt, which must have passed its
 * check; the target a local branch; a check to run. Each refusal names its field.
 *
 * @example
 * ```ts ignore
 * // Needs tasks and a repository.
 * const request = await checkMergeCall({ task_ids: ["ab12", "cd34"], check: "npm test" }, lookup);
 * ```
 * @module
 */

import type { ApprovalPolicy, SandboxMode } from "../codex/codex_args.ts";
import { runGit } from "../git/git.ts";
import { branchTip, localBranch } from "../git/repo_state.ts";
import { RequestError } from "../tasks/request_error.ts";
import { checkCheckCommand } from "./check_command.ts";
import type { Policy } from "../codex/policy.ts";
import { isGroupId, rankAttempts } from "../tasks/attempt_group.ts";
import { checkNoApprovals } from "../tasks/session_rights.ts";
import { isFinal, type TaskSnapshot } from "../tasks/task.ts";
import type { MergeItem, MergeRequest, ResolveMode } from "../tasks/merge/merge_plan.ts";
import { INTENT_CHARS } from "../tasks/merge/merge_prompt.ts";

/** The arguments of `codex_merge` that shape a new merge. */
export interface MergeCall {
  task_ids?: string[];
  group_ids?: string[];
  target?: string;
  check?: string;
  resolve?: ResolveMode;
  apply?: boolean;
  cleanup?: boolean;
  model?: string;
  sandbox?: SandboxMode;
  timeout_s?: number;
  "approval-policy"?: ApprovalPolicy;
}

/** What checking a call looks up. */
export interface MergeLookup {
  get(id: string): TaskSnapshot | undefined;
  list(): TaskSnapshot[];
  policy: Policy;
  /** The session's environment (a check's program is looked for on its PATH). */
  env: Record<string, string>;
  /** True in a session a task's own process opened: its tasks ask no approvals. */
  asksNoApprovals?: boolean;
}

/** The refusal of `id`, given as `field`, and why. */
function refusal(field: string, id: string, why: string): RequestError {
  return new RequestError(field, `Cannot merge ${field} "${id}" ${why}`);
}

/** The ids to merge, in order, each with the field it came from. */
function idsOf(call: MergeCall): Array<{ id: string; field: string }> {
  return [
    ...(call.task_ids ?? []).map((id, i) => ({ id, field: `task_ids[${i}]` })),
    ...(call.group_ids ?? []).map((id, i) => ({ id, field: `group_ids[${i}]` })),
  ];
}

/** The task a group id stands for: its best attempt, which passed its check. */
function bestOf(groupId: string, field: string, lookup: MergeLookup): TaskSnapshot {
  const members = lookup.list().filter((t) => t.meta.request.group?.id === groupId);
  if (members.length === 0) throw refusal(field, groupId, "as no such group is known");
  const best = rankAttempts(members)[0]!;
  if (!isFinal(best.meta.phase) || best.meta.check?.passed !== true) {
    throw refusal(
      field,
      groupId,
      `as none of its ${members.length} attempts passed its check` +
        (members.some((m) => !isFinal(m.meta.phase)) ? " yet (some still run)" : ""),
    );
  }
  return best;
}

/** One task as an item, or a refusal naming `field`. */
function itemOf(
  task: TaskSnapshot,
  field: string,
  lookup: MergeLookup,
  groupId?: string,
): MergeItem {
  const { meta } = task;
  if (!isFinal(meta.phase)) {
    throw refusal(field, meta.id, `as it is still ${meta.phase}: wait for it first`);
  }
  if (!meta.worktree || meta.request.merge) {
    throw refusal(field, meta.id, "as it has no branch (it ran without worktree: true)");
  }
  const busy = lookup.list().filter((t) =>
    !isFinal(t.meta.phase) && t.meta.worktree?.path === meta.worktree!.path
  );
  if (busy.length > 0) {
    throw refusal(
      field,
      meta.id,
      `as task "${busy[0]!.meta.id}" (${busy[0]!.meta.phase}) still works in its ` +
        `worktree ${meta.worktree.path}: wait for it first`,
    );
  }
  return {
    taskId: meta.id,
    ...(groupId ? { groupId } : {}),
    worktree: meta.worktree,
    prompt: meta.request.prompt.slice(0, INTENT_CHARS),
    finalMessage: meta.finalMessage?.slice(0, INTENT_CHARS) ?? null,
  };
}

/** The items of a call, in order. */
async function itemsOf(call: MergeCall, lookup: MergeLookup): Promise<MergeItem[]> {
  const ids = idsOf(call);
  if (ids.length === 0) {
    throw new RequestError("task_ids", "Cannot merge as neither task_ids nor group_ids are given");
  }
  const items: MergeItem[] = [];
  const seen = new Map<string, string>();
  for (const { id, field } of ids) {
    const group = isGroupId(id) ? id : undefined;
    const task = group ? bestOf(group, field, lookup) : lookup.get(id);
    if (!task) throw refusal(field, id, "as no such task is known");
    const item = itemOf(task, field, lookup, group);
    const earlier = seen.get(item.taskId);
    if (earlier !== undefined) {
      throw refusal(field, item.taskId, `as ${earlier} names the same task`);
    }
    seen.set(item.taskId, field);
    const root = items[0]?.worktree.repoRoot;
    if (root !== undefined && item.worktree.repoRoot !== root) {
      throw refusal(
        field,
        item.taskId,
        `with the others as it is of repository ${item.worktree.repoRoot}, not ${root}`,
      );
    }
    lookup.policy.checkPath(item.worktree.repoRoot, `the repository of ${field}`);
    if (await branchTip({ cwd: item.worktree.repoRoot }, item.worktree.branch) === null) {
      throw refusal(
        field,
        item.taskId,
        `as its branch ${item.worktree.branch} is gone: repository is ${item.worktree.repoRoot}`,
      );
    }
    items.push(item);
  }
  return items;
}

/** The target branch (default: the main checkout's current branch) and its head. */
async function targetOf(
  repoRoot: string,
  target: string | undefined,
): Promise<{ target: string; commit: string }> {
  let name = target;
  if (name === undefined) {
    const current = await runGit(["symbolic-ref", "--quiet", "--short", "HEAD"], { cwd: repoRoot });
    if (current.code !== 0) {
      throw new RequestError(
        "target",
        `Cannot choose a target as the checkout ${repoRoot} has a detached HEAD: name a branch`,
      );
    }
    name = current.stdout.trim();
  }
  const kind = await localBranch({ cwd: repoRoot }, name);
  if (kind !== "ok") {
    throw new RequestError(
      "target",
      `Cannot merge into target "${name}" as it is not a local branch${
        kind === "missing" ? " (no such branch)" : ' (a branch name such as "main", not a revision)'
      }: repository is ${repoRoot}`,
    );
  }
  return { target: name, commit: (await branchTip({ cwd: repoRoot }, name))! };
}

/** The check: the call's, else the one every task had. */
function checkOf(call: MergeCall, items: MergeItem[], lookup: MergeLookup): string {
  if (call.check !== undefined) {
    checkCheckCommand(call.check, lookup.env);
    return call.check;
  }
  const checks = new Set(items.map((i) => lookup.get(i.taskId)?.meta.request.check));
  const [only] = checks;
  if (checks.size !== 1 || only === undefined) {
    throw new RequestError(
      "check",
      "Cannot choose a check as the tasks did not all have the same one: pass check " +
        '(e.g. "npm test")',
    );
  }
  return only;
}

/**
 * The merge a call asks for.
 * @throws {RequestError} Naming the field of anything bad; nothing is made.
 */
export async function checkMergeCall(call: MergeCall, lookup: MergeLookup): Promise<MergeRequest> {
  const items = await itemsOf(call, lookup);
  const repoRoot = items[0]!.worktree.repoRoot;
  const check = checkOf(call, items, lookup);
  const { target, commit } = await targetOf(repoRoot, call.target);
  if (items.some((i) => i.worktree.branch === target)) {
    throw new RequestError(
      "target",
      `Cannot merge into target "${target}" as it is a task's own branch`,
    );
  }
  lookup.policy.checkSandbox(call.sandbox, "sandbox");
  // Refused now, not when a conflict starts a resolving task.
  if (lookup.asksNoApprovals) {
    checkNoApprovals({ prompt: "", approvalPolicy: call["approval-policy"] });
  }
  return {
    items,
    repoRoot,
    target,
    targetCommit: commit,
    check,
    resolve: call.resolve ?? "codex",
    apply: call.apply ?? false,
    cleanup: call.cleanup ?? false,
    ...(call.model !== undefined ? { model: call.model } : {}),
    ...(call.sandbox !== undefined ? { sandbox: call.sandbox } : {}),
    ...(call.timeout_s !== undefined ? { timeoutS: call.timeout_s } : {}),
    ...(call["approval-policy"] !== undefined ? { approvalPolicy: call["approval-policy"] } : {}),
  };
}

/**
 * The merge `id` to resume, with its request and state.
 * @throws {RequestError} Naming `resume` when it is unknown, no merge, not interrupted, or
 * resumed already; an Error when its repository is outside the caller's roots.
 */
export function checkResume(id: string, lookup: MergeLookup): TaskSnapshot {
  const task = lookup.get(id);
  const what = `Cannot resume merge "${id}" (resume)`;
  if (!task) throw new RequestError("resume", `${what} as no such task is known`);
  if (!task.meta.request.merge || !task.meta.merge) {
    throw new RequestError("resume", `${what} as task "${id}" is not a merge`);
  }
  if (task.meta.phase !== "interrupted") {
    throw new RequestError(
      "resume",
      `${what} as it is ${task.meta.phase}: only a merge a supervisor stop interrupted goes on`,
    );
  }
  const again = lookup.list().find((t) => t.meta.request.merge?.resumeOf === id);
  if (again) {
    throw new RequestError("resume", `${what} as merge "${again.meta.id}" resumed it already`);
  }
  // It goes on in its repository (it may apply and clean up): within the caller's roots, as a
  // new merge's.
  lookup.policy.checkPath(task.meta.request.merge.repoRoot, "the repository of resume");
  return task;
}
