/**
 * Every call that starts Codex becomes a checked plan here, and this file says which checks apply
 * to which tool. The checks themselves, in the order they run:
 *
 * | check | where | codex, codex_async, codex-reply | attempts | codex_fork | codex_review |
 * | --- | --- | --- | --- | --- | --- |
 * | caller's sandbox (a Codex client's ceiling) | caller.ts | yes | yes | yes | yes |
 * | review target (exactly one key, a usable value) | review_target.ts | | | | yes |
 * | attempts (2 to 8, worktree: true, no reply) | {@link checkAttempts} | | yes | | |
 * | thread id, each prompt (1 to 8 is the schema's) | fork_plan.ts | | | yes | |
 * | parent: no turn running, known to Codex | fork_plan.ts | | | yes | |
 * | settings taken from the parent, shared worktree, worktree source | fork_plan.ts | | | yes | |
 * | a task session's rights: no approvals, its task's sandbox and roots | task_plan.ts | yes | yes | each fork | yes |
 * | worker: known, can take it (a reply's is its thread's) | lib/tasks/remote_tasks.ts | yes | yes | each fork | yes |
 * | fields, config (TOML, keys allowed), sandbox ceiling | request_check.ts | yes | yes | each fork | yes |
 * | output schema | lib/codex/output_schema.ts | yes | yes | each fork | yes |
 * | check command (its program on the session's PATH) | check_command.ts | yes | yes | | |
 * | reply's thread known to Codex | task_plan.ts | reply | | | |
 * | cwd exists, within the roots | task_plan.ts | yes | yes | the parent's | yes |
 * | review's target resolved (a task's worktree, a branch's checkout) | review_target.ts | | | | yes |
 * | images, add_dirs (real, within the roots) | task_inputs.ts | yes | yes | | |
 * | profile, config layering, add_dirs against a read-only sandbox | lib/codex/thread_params.ts | yes | yes | each fork | yes |
 * | set-up, copy_ignored (only for a new worktree) | setup_check.ts | yes | yes | each fork | |
 * | worktree's repository within the roots, then the worktree made | task_plan.ts | worktree: true | yes | worktree: true | branch |
 *
 * Then the engine applies its own rules when it creates the task: one turn per thread (a reply),
 * the thread's worktree still there with no other unfinished task in it (lib/tasks/task_creation.ts).
 * A hello's checks are session_plan.ts's, a merge queue's (`codex_merge`) merge_request.ts's.
 *
 * @example Not run: needs an engine and a session: the tools call these.
 * ```ts ignore
 * const task = await startTask(engine, { prompt: "fix the tests", worktree: true }, session);
 * ```
 * @module
 */

import type { Engine, Session } from "../tasks/engine_api.ts";
import type { ForkRequest } from "../tasks/fork.ts";
import { RequestError } from "../tasks/request_error.ts";
import type { TaskRequest, TaskSnapshot } from "../tasks/task.ts";
import { attemptRequests, newGroupId } from "../tasks/attempt_group.ts";
import { messageOf } from "../base/errors.ts";
import { planFork } from "./fork_plan.ts";
import { planTask } from "./task_plan.ts";

/** The fewest and most attempts of one group (best of N). */
export const MIN_ATTEMPTS = 2;
export const MAX_ATTEMPTS = 8;

/** `codex`, `codex_async`, `codex-reply`, `codex_review`: plans a task and starts it. */
export async function startTask(
  engine: Pick<Engine, "facts" | "start">,
  request: TaskRequest,
  session: Session,
): Promise<TaskSnapshot> {
  return await engine.start(await planTask(request, session, engine.facts));
}

/** `codex_fork`: plans the forks of a thread and starts them, all or none. */
export async function startForks(
  engine: Pick<Engine, "facts" | "fork">,
  request: ForkRequest,
  session: Session,
): Promise<TaskSnapshot[]> {
  return await engine.fork(await planFork(request, session, engine.facts));
}

/**
 * `codex_async` with `attempts`: the attempts of a group one after the other. The first checks
 * the request, so bad input creates nothing; should a later one fail, those started are cancelled.
 */
export async function startAttempts(
  engine: Pick<Engine, "facts" | "start" | "cancel">,
  request: TaskRequest,
  attempts: number,
  session: Session,
): Promise<{ groupId: string; tasks: TaskSnapshot[] }> {
  checkAttempts(request, attempts);
  const groupId = newGroupId();
  const tasks: TaskSnapshot[] = [];
  try {
    for (const each of attemptRequests(request, attempts, groupId)) {
      tasks.push(await startTask(engine, each, session));
    }
  } catch (error) {
    if (tasks.length === 0) throw error;
    await Promise.all(tasks.map((t) => engine.cancel(t.meta.id).catch(() => {})));
    throw new Error(
      `Cannot start attempt ${tasks.length + 1} of ${attempts} of group ${groupId}: ` +
        `${messageOf(error)}; the attempts started (${
          tasks.map((t) => t.meta.id).join(", ")
        }) were cancelled`,
    );
  }
  return { groupId, tasks };
}

/**
 * Checks an `attempts` request before anything is created.
 * @throws {RequestError} (field `attempts`) When `attempts` is not a whole number from
 * {@link MIN_ATTEMPTS} to {@link MAX_ATTEMPTS}, the request has no `worktree: true`, or it
 * continues a thread.
 */
export function checkAttempts(request: TaskRequest, attempts: number): void {
  if (!Number.isInteger(attempts) || attempts < MIN_ATTEMPTS || attempts > MAX_ATTEMPTS) {
    throw new RequestError(
      "attempts",
      `Cannot run attempts ${attempts} as it is out of range: ${MIN_ATTEMPTS} to ${MAX_ATTEMPTS}`,
    );
  }
  if (request.worktree !== true) {
    throw new RequestError(
      "attempts",
      "Cannot run attempts without worktree: true: each attempt needs a worktree and branch of " +
        "its own",
    );
  }
  if (request.threadId !== undefined) {
    throw new RequestError(
      "attempts",
      `Cannot run attempts on a reply (threadId "${request.threadId}"): attempts start fresh ` +
        "threads; continue one attempt's thread with codex-reply instead",
    );
  }
}
