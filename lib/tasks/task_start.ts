/**
 * Everything a task needs before it is created, checked and made in order: the request's own
 * checks (policy, config, output schema, check command, a thread Codex knows), its directory, a
 * review's target, its images and added directories, its worktree set-up, and its worktree (the
 * thread's own for a reply, a new one for `worktree: true`, a fork's from its parent's). A bad
 * request throws before anything is made; only the worktree is made here, and the engine removes
 * it again if creating the task fails.
 *
 * @example Not run: it needs the engine (`host`: its sessions, worktrees and app-servers).
 * ```ts ignore
 * const prepared = await prepareStart(request, session, host);
 * // ... create the task in prepared.runCwd, with prepared.worktree ...
 * ```
 * @module
 */

import type { Session } from "./engine_api.ts";
import { checkCheckCommand } from "../request/check_command.ts";
import { buildThreadParams } from "../codex/thread_params.ts";
import { Policy } from "../codex/policy.ts";
import { prepareReview } from "../request/review_target.ts";
import type { TaskMeta, TaskRequest } from "./task.ts";
import { resolveTaskInputs } from "../request/task_inputs.ts";
import type { WorktreeInfo, WorktreeManager } from "../git/worktree.ts";
import { planSetup } from "../request/setup_check.ts";
import { forkWorktree } from "./fork.ts";
import { newTaskId } from "./task_record.ts";
import { RequestError } from "./request_error.ts";

/** What {@link prepareStart} needs of the engine. */
export interface StartHost {
  /** The checks that need no disk (policy, config, output schema): throws RequestError. */
  check(request: TaskRequest, policy: Policy): void;
  /** Refuses a reply to a thread Codex does not know. */
  requireThread(threadId: string): Promise<void>;
  /** A known task (a review of `task_id`). */
  taskOf(id: string): TaskMeta | undefined;
  /** The worktree a thread works in, or null. */
  worktreeOfThread(threadId: string): WorktreeInfo | null;
  /** The unfinished tasks (queued to waiting) that work in the worktree at `path`. */
  unfinishedIn(path: string): TaskMeta[];
  worktrees: Pick<WorktreeManager, "resolveRepo" | "create">;
  /** Codex's home (the supervisor's): where a `profile` is read from. */
  codexHome: string;
}

/** A request ready to become a task. */
export interface PreparedStart {
  id: string;
  /** The request as it will be recorded (review target, real paths, set-up resolved). */
  request: TaskRequest;
  /** The directory the caller asked for (real path). */
  cwd: string;
  /** Where Codex runs: `cwd`, or its place in the worktree. */
  runCwd: string;
  worktree: WorktreeInfo | null;
  /** True when `worktree` is the thread's own (a reply's): it is not the task's to remove. */
  inherited: boolean;
}

/**
 * Checks `request` for `session` and makes its worktree (see the module doc).
 * @throws {RequestError} Naming the field of anything bad, before anything is made.
 */
export async function prepareStart(
  request: TaskRequest,
  session: Session,
  host: StartHost,
  id: string = newTaskId(),
): Promise<PreparedStart> {
  const policy = session.policy ?? new Policy();
  host.check(request, policy);
  if (request.check !== undefined) checkCheckCommand(request.check, session.env);
  if (request.threadId !== undefined) await host.requireThread(request.threadId);
  let cwd = await resolveCwd(request.cwd, session.cwd);
  policy.checkPath(cwd, "cwd");
  if (request.review) {
    // A review runs where its target is (a task's worktree for task_id); it edits nothing.
    const prepared = await prepareReview(
      request.review.spec,
      cwd,
      host.taskOf,
      request.review.branch,
    );
    request = { ...request, review: prepared.review };
    if (prepared.review.branch !== undefined) {
      // The branch gets a checkout of its own for the review, removed when the review ends.
      request = { ...request, worktree: true, base: prepared.review.branch, commit: false };
    }
    cwd = prepared.cwd;
    policy.checkPath(cwd, "the worktree of target.task_id");
  }
  // Images and added directories as real paths; then the set-up this task gets.
  request = { ...request, ...await resolveTaskInputs(request, cwd, policy) };
  buildThreadParams(request, session.defaults, {
    cwd,
    codexHome: host.codexHome,
  });
  const parentThread = parentThreadOf(request);
  const inherited = parentThread === undefined ? null : host.worktreeOfThread(parentThread);
  const { setup: _setup, copyIgnored: _copy, ...asked } = request;
  request = {
    ...asked,
    ...planSetup(
      request,
      session.defaults.worktreeSetup,
      inherited ? "inherited" : request.worktree ? "new" : "none",
    ),
  };
  if (inherited) {
    // The thread's worktree is where the turn runs: within this session's roots, whoever made it.
    policy.checkPath(inherited.repoRoot, `the worktree repository of thread "${parentThread}"`);
    const there = await Deno.stat(inherited.cwd).then((i) => i.isDirectory, () => false);
    if (!there) {
      throw new RequestError(
        "threadId",
        `Cannot continue thread "${parentThread}" as its worktree ${inherited.path} ` +
          `(branch ${inherited.branch}) no longer exists; pass worktree: false to continue it ` +
          "in cwd instead",
      );
    }
    checkWorktreeFree(parentThread!, inherited, host.unfinishedIn(inherited.path));
    return { id, request, cwd, runCwd: inherited.cwd, worktree: inherited, inherited: true };
  }
  if (!request.worktree) return { id, request, cwd, runCwd: cwd, worktree: null, inherited: false };
  // A fork's worktree branches from its parent's (see fork.ts).
  const from = request.forkOf?.worktree ?? null;
  const root = from?.repoRoot ?? (await host.worktrees.resolveRepo(cwd)).root;
  policy.checkPath(root, "the worktree's repository");
  const worktree = from
    ? await forkWorktree(host.worktrees, id, from)
    : await host.worktrees.create(id, cwd, request.base);
  return { id, request, cwd, runCwd: worktree.cwd, worktree, inherited: false };
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
 * Refuses to let a task work in a thread's worktree while another task is unfinished there: the
 * first to end would commit the other's half-done files as its own.
 * @throws {RequestError} Naming `threadId` and the tasks in the worktree.
 */
export function checkWorktreeFree(
  threadId: string,
  worktree: WorktreeInfo,
  unfinished: TaskMeta[],
): void {
  if (unfinished.length === 0) return;
  const tasks = unfinished.map((t) => `task ${t.id} (${t.phase})`).join(", ");
  throw new RequestError(
    "threadId",
    `Cannot continue thread "${threadId}" in its worktree ${worktree.path} as ${tasks} still ` +
      "works there and the first to end would commit the other's half-done files: " +
      `codex_wait {"task_ids":${JSON.stringify(unfinished.map((t) => t.id))}} first, or ` +
      "codex_fork it with worktree: true for a branch of its own",
  );
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
