/**
 * Forks of a thread (`codex_fork`) become a checked {@link ForkPlan}: the thread id and prompts,
 * the parent (no task may run on its thread; a thread with no task here must be one Codex knows),
 * the settings each fork takes from the parent's newest task unless the call sets them, where the
 * forks run (see lib/tasks/fork.ts), and one task plan per prompt. Worktrees planned for the forks
 * before one that fails are removed again.
 *
 * @example Not run: needs an engine (its facts) and a session.
 * ```ts ignore
 * const plan = await planFork({ threadId, prompts: ["a map", "a trie"], worktree: true }, session, engine.facts);
 * const forks = await engine.fork(plan);
 * ```
 * @module
 */

import type { WorktreeInfo } from "../git/worktree.ts";
import { forkFailure, type ForkRequest } from "../tasks/fork.ts";
import { RequestError } from "../tasks/request_error.ts";
import { type ForkOf, isFinal, type TaskMeta, type TaskRequest } from "../tasks/task.ts";
import type { ForkPlan, PlanFacts, Session, TaskPlan } from "../tasks/engine_api.ts";
import { Policy } from "../codex/policy.ts";
import { messageOf } from "../base/errors.ts";
import { checkPrompt, checkThreadId } from "./request_check.ts";
import { checkRequest, planTask, resolveCwd } from "./task_plan.ts";

/**
 * Checks the forks asked for and plans one task per prompt (see the module doc).
 * @throws {RequestError} For a bad request, a running or unknown parent, or `worktree: true` where
 * no worktree can be made; an Error naming the fork whose plan failed.
 */
export async function planFork(
  request: ForkRequest,
  session: Session,
  facts: PlanFacts,
): Promise<ForkPlan> {
  checkForkRequest(request);
  const policy = session.policy ?? new Policy();
  const { prompts, threadId, ...given } = request;
  checkRequest({ ...given, prompt: prompts[0]! }, policy);
  const parent = forkParent(threadId, facts.tasksOn(threadId), facts.worktreeOfThread(threadId));
  if (parent.taskId === null && !(await facts.knowsThread(threadId, session))) {
    throw new RequestError(
      "thread_id",
      `Cannot fork thread_id "${threadId}" as Codex has no such thread`,
    );
  }
  const shared = { ...parent.settings, ...given };
  checkRequest({ ...shared, prompt: prompts[0]! }, policy);
  checkSharedWorktree(threadId, prompts.length, request.worktree, parent.worktree);
  const cwd = await resolveCwd(parent.cwd ?? undefined, session.cwd).catch((error) => {
    throw new RequestError(
      "thread_id",
      `Cannot fork thread "${threadId}" as the directory it ran in is gone: ${messageOf(error)}`,
    );
  });
  if (request.worktree === true) await checkWorktreeSource(threadId, parent.worktree, cwd, facts);
  const forkOf: ForkOf = { threadId, taskId: parent.taskId, worktree: parent.worktree };
  const forks: TaskPlan[] = [];
  for (const [i, prompt] of prompts.entries()) {
    try {
      forks.push(await planTask({ ...shared, prompt, cwd, forkOf }, session, facts));
    } catch (error) {
      for (const fork of forks.reverse()) {
        if (fork.worktree.kind === "new") await facts.worktrees.discard(fork.worktree.info);
      }
      throw i === 0 ? error : forkFailure(threadId, i, prompts.length, error);
    }
  }
  return { threadId, parentWorktree: parent.worktree, forks };
}

/**
 * Checks the thread id and each prompt (their number, 1 to `MAX_FORKS`, is codex_fork's schema's).
 * @throws {RequestError} Naming `thread_id` or `prompts[i]`.
 */
export function checkForkRequest(request: ForkRequest): void {
  checkThreadId(request.threadId, "thread_id");
  request.prompts.forEach((prompt, i) => checkPrompt(prompt, `prompts[${i}]`));
}

/**
 * Who the parent is: its newest task of `tasks` (refused while one runs or waits on the thread)
 * and its `worktree`.
 * @throws {RequestError} Naming `thread_id`, when a task still runs on the thread.
 */
export function forkParent(
  threadId: string,
  tasks: TaskMeta[],
  worktree: WorktreeInfo | null,
): ForkOf & { cwd: string | null; settings: ForkSettings } {
  const newestFirst = [...tasks].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const running = newestFirst.find((t) => !isFinal(t.phase));
  if (running) {
    throw new RequestError(
      "thread_id",
      `Cannot fork thread "${threadId}" as task ${running.id} is ${running.phase} on it: a fork ` +
        `of a turn in progress is not possible; codex_wait {"task_ids":["${running.id}"]} ` +
        "(or codex_cancel it), then fork",
    );
  }
  const newest = newestFirst[0];
  return {
    threadId,
    taskId: newest?.id ?? null,
    worktree,
    cwd: newest?.request.cwd ?? null,
    settings: newest ? settingsOf(newest.request) : {},
  };
}

/** The settings of a parent's task that its forks take unless the fork call sets them. */
export type ForkSettings = Pick<TaskRequest, typeof INHERITED[number]>;

const INHERITED = [
  "model",
  "profile",
  "sandbox",
  "approvalPolicy",
  "config",
  "baseInstructions",
  "developerInstructions",
  "timeoutS",
] as const;

/** The parent task's settings (model, sandbox, approval policy, config, ...) that were given. */
export function settingsOf(request: TaskRequest): ForkSettings {
  return Object.fromEntries(
    INHERITED.filter((key) => request[key] !== undefined).map((key) => [key, request[key]]),
  ) as ForkSettings;
}

/**
 * Refuses several forks that would share the parent's worktree (`worktree` omitted on a thread
 * that has one): see lib/tasks/fork.ts.
 * @throws {RequestError} Naming `worktree`.
 */
export function checkSharedWorktree(
  threadId: string,
  forks: number,
  worktree: boolean | undefined,
  parent: WorktreeInfo | null,
): void {
  if (forks < 2 || worktree !== undefined || parent === null) return;
  throw new RequestError(
    "worktree",
    `Cannot fork thread "${threadId}" into ${forks} forks without worktree: true as they would ` +
      `all work in its worktree ${parent.path} (branch ${parent.branch}) at once, and the first ` +
      "to end would commit the others' half-done files as its own: pass worktree: true to give " +
      "each fork a branch of its own (or fork one prompt at a time)",
  );
}

/** Refuses `worktree: true` when no worktree can be made for the forks, naming `worktree`. */
async function checkWorktreeSource(
  threadId: string,
  parent: WorktreeInfo | null,
  cwd: string,
  facts: PlanFacts,
): Promise<void> {
  if (parent !== null) {
    if (await facts.worktrees.branchHead(parent).catch(() => null) === null) {
      throw new RequestError(
        "worktree",
        `Cannot fork thread "${threadId}" with worktree: true as branch ${parent.branch} of its ` +
          `worktree no longer exists in ${parent.repoRoot}: pass worktree: false to fork it ` +
          "without worktrees",
      );
    }
    return;
  }
  await facts.worktrees.resolveRepo(cwd).catch((error) => {
    throw new RequestError(
      "worktree",
      `Cannot fork thread "${threadId}" with worktree: true as the thread has no worktree and ` +
        `its cwd ${cwd} is not in a git repository with a commit: ${messageOf(error)}`,
    );
  });
}
