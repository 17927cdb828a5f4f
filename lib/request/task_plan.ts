/**
 * A task request becomes a checked plan (lib/tasks/task_plan.ts), the one thing the engine
 * accepts. In order: the session's rights (a task session's are bounded by its task's, and it asks
 * no approvals), the worker it goes to, the request's own fields against the policy, the output schema, the check
 * command, a thread Codex knows, the cwd within the roots, a review's target, the images and added
 * directories, the worktree set-up, and the thread parameters (model, profile, config, sandbox),
 * built once here (the engine places them where the task runs). Only then is anything made: a new worktree (a fork's from its parent's branch),
 * which the engine removes again if it does not create the task.
 *
 * @example Not run: needs an engine (its facts) and a session.
 * ```ts ignore
 * const plan = await planTask({ prompt: "fix the tests", worktree: true }, session, engine.facts);
 * await engine.start(plan);
 * ```
 * @module
 */

import { checkOutputSchema } from "../codex/output_schema.ts";
import { Policy } from "../codex/policy.ts";
import { readProfile, type ThreadSettings, threadSettings } from "../codex/thread_params.ts";
import type { WorktreeInfo } from "../git/worktree.ts";
import { forkWorktree } from "../tasks/fork.ts";
import { RequestError } from "../tasks/request_error.ts";
import { checkMayAct, checkNoApprovals, taskSessionPolicy } from "../tasks/session_rights.ts";
import type { TaskRequest } from "../tasks/task.ts";
import type { PlanFacts, PlannedWorktree, Session, TaskPlan } from "../tasks/engine_api.ts";
import { newTaskId } from "../tasks/task_record.ts";
import { checkCheckCommand } from "./check_command.ts";
import { checkTaskRequest } from "./request_check.ts";
import { prepareReview } from "./review_target.ts";
import { planSetup } from "./setup_check.ts";
import { resolveTaskInputs } from "./task_inputs.ts";

/**
 * Checks `request` for `asking` and makes its worktree (see the module doc).
 * @throws {RequestError} Naming the field of anything bad, before anything is made.
 */
export async function planTask(
  request: TaskRequest,
  asking: Session,
  facts: PlanFacts,
): Promise<TaskPlan> {
  const session = boundedForTask(request, asking, facts);
  request = withWorker(request, facts);
  const policy = session.policy ?? new Policy();
  checkRequest(request, policy);
  if (request.check !== undefined) checkCheckCommand(request.check, session.env);
  if (request.threadId !== undefined) await requireThread(request.threadId, session, facts);
  let cwd = await resolveCwd(request.cwd, session.cwd);
  policy.checkPath(cwd, "cwd");
  if (request.review) {
    const task = (id: string) => facts.task(id)?.meta;
    // A review runs where its target is (a task's worktree for task_id); it edits nothing.
    const prepared = await prepareReview(request.review.spec, cwd, task, request.review.branch);
    request = { ...request, review: prepared.review };
    if (prepared.review.branch !== undefined) {
      // The branch gets a checkout of its own for the review, removed when the review ends.
      request = { ...request, worktree: true, base: prepared.review.branch, commit: false };
    }
    cwd = prepared.cwd;
    policy.checkPath(cwd, "the worktree of target.task_id");
  }
  // Images and added directories as real paths; then the set-up this task gets.
  request = { ...request, ...await resolveTaskInputs(request, cwd, policy), cwd };
  const settings = threadSettings(request, session.defaults, facts.codexHome);
  if (session.kind === "task") checkTaskProfile(request, settings, policy, facts.codexHome);
  const parentThread = parentThreadOf(request);
  const inherited = parentThread === undefined ? null : facts.worktreeOfThread(parentThread);
  const { setup: _setup, copyIgnored: _copy, ...asked } = request;
  request = {
    ...asked,
    ...planSetup(
      request,
      session.defaults.worktreeSetup,
      inherited ? "inherited" : request.worktree ? "new" : "none",
    ),
  };
  const id = newTaskId();
  let worktree: PlannedWorktree = { kind: "none" };
  if (inherited) {
    // The thread's worktree is where the turn runs: within this session's roots, whoever made it.
    policy.checkPath(inherited.repoRoot, `the worktree repository of thread "${parentThread}"`);
    // It commits to that worktree's branch: a task session continues only its own tasks there.
    for (const task of facts.tasksOn(parentThread!)) {
      checkMayAct(session, task, "continue the worktree of");
    }
    worktree = { kind: "inherited", info: inherited, threadId: parentThread! };
  } else if (request.worktree) {
    worktree = { kind: "new", info: await makeWorktree(id, request, cwd, policy, facts) };
  }
  const runCwd = worktree.kind === "none" ? cwd : worktree.info.cwd;
  return { id, request, session, runCwd, worktree, thread: settings };
}

/**
 * Checks what can be checked of a request without the disk: its fields against the policy, its
 * output schema.
 * @throws {RequestError} Naming the field.
 */
export function checkRequest(request: TaskRequest, policy: Policy): void {
  checkTaskRequest(request, policy);
  if (request.outputSchema !== undefined) checkOutputSchema(request.outputSchema);
}

/** Makes the task's new worktree (a fork's branches from its parent's), in the allowed roots. */
async function makeWorktree(
  id: string,
  request: TaskRequest,
  cwd: string,
  policy: Policy,
  facts: PlanFacts,
): Promise<WorktreeInfo> {
  const from = request.forkOf?.worktree ?? null;
  const root = from?.repoRoot ?? (await facts.worktrees.resolveRepo(cwd)).root;
  policy.checkPath(root, "the worktree's repository");
  return from
    ? await forkWorktree(facts.worktrees, id, from)
    : await facts.worktrees.create(id, cwd, request.base);
}

/**
 * The session as its tasks see it: a task session's are no wider than the task it runs in (its
 * sandbox and directories) and ask no approvals (see lib/tasks/session_rights.ts).
 * @throws {RequestError} When a task session's request asks for approvals.
 */
export function boundedForTask(request: TaskRequest, session: Session, facts: PlanFacts): Session {
  if (session.kind !== "task") return session;
  checkNoApprovals(request);
  const parent = session.taskId === null ? undefined : facts.task(session.taskId);
  const policy = taskSessionPolicy(
    session.policy ?? new Policy(),
    parent
      ? {
        sandbox: parent.sandbox,
        roots: [parent.meta.cwd!, ...(parent.meta.request.addDirs ?? [])],
      }
      : null,
  );
  const overrides = session.defaults.overrides.filter((o) => o.key !== "approval_policy");
  return { ...session, defaults: { ...session.defaults, overrides }, policy };
}

/**
 * A task session's task takes from an operator's profile only what its call could set itself
 * (no sandbox settings, writable roots or network), and no approvals.
 * @throws {RequestError} Naming `profile`.
 */
function checkTaskProfile(
  request: TaskRequest,
  settings: ThreadSettings,
  policy: Policy,
  codexHome: string,
): void {
  if (request.profile === undefined) return;
  const name = JSON.stringify(request.profile);
  const opened = "in a session a task's own process opened";
  const key = readProfile(codexHome, request.profile).map(([key]) => key)
    .find((key) => !policy.allowsConfigKey(key));
  if (key !== undefined) {
    throw new RequestError(
      "profile",
      `Cannot use profile ${name} ${opened}: it sets ${key}, which such a session's tasks may ` +
        "not set (leave the profile out)",
    );
  }
  const asked = settings.thread.approvalPolicy;
  if (asked === undefined || asked === "never") return;
  throw new RequestError(
    "profile",
    `Cannot use profile ${name} ${opened}: it sets approval_policy ${JSON.stringify(asked)}, ` +
      "and such a session's tasks ask no approvals (leave the profile out)",
  );
}

/**
 * Refuses a reply to a thread Codex does not know, naming it (a thread a task of this engine ran
 * on is known). That no other turn runs on it is the engine's rule, checked when it is created.
 * @throws {RequestError} Naming `threadId`.
 */
async function requireThread(threadId: string, session: Session, facts: PlanFacts) {
  if (facts.tasksOn(threadId).length > 0) return;
  if (await facts.knowsThread(threadId, session)) return;
  throw new RequestError(
    "threadId",
    `Cannot continue threadId "${threadId}" as Codex has no such thread in ` +
      `${facts.codexHome || "its CODEX_HOME"}`,
  );
}

/**
 * Refuses a request no worker can take (an unknown `worker`, `--no-local` without a worktree);
 * binds a reply, fork or review of a remote task to its worker (lib/tasks/remote_tasks.ts).
 */
function withWorker(request: TaskRequest, facts: PlanFacts): TaskRequest {
  const parentThread = parentThreadOf(request);
  const parent = parentThread === undefined ? undefined : facts.tasksOn(parentThread)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  const worktree = request.worktree === true || (parentThread !== undefined &&
    request.worktree !== false && facts.worktreeOfThread(parentThread) !== null);
  const worker = facts.worker(request, parent, worktree);
  return worker === null ? request : { ...request, worker };
}

/**
 * The thread whose worktree `request` continues in, if it has one: a reply's thread, and a fork's
 * parent thread when the fork asks for no worktree (`worktree: false` runs in the cwd instead).
 */
export function parentThreadOf(request: TaskRequest): string | undefined {
  if (request.worktree === false) return undefined;
  return request.threadId ??
    (request.worktree === undefined ? request.forkOf?.threadId : undefined);
}

/**
 * The real path of a task's `cwd` (relative ones against the session's directory).
 * @throws {Error} When it does not exist or is not a directory.
 */
export async function resolveCwd(cwd: string | undefined, sessionCwd: string): Promise<string> {
  const path = cwd === undefined
    ? sessionCwd
    : cwd.startsWith("/")
    ? cwd
    : `${sessionCwd.replace(/\/$/, "")}/${cwd}`;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new Error(`Cannot use cwd "${path}" as it does not exist`);
  }
  if (!info.isDirectory) throw new Error(`Cannot use cwd "${path}" as it is not a directory`);
  return await Deno.realPath(path);
}
