/**
 * Forks of a thread (`codex_fork`): one task per prompt, each on a thread of its own that starts
 * as a fork of the parent thread (`thread/fork`: the parent's history, then the fork's prompt as
 * its first turn). Forks are ordinary tasks afterwards: status, wait, cancel, and `codex-reply` on
 * a fork's thread continues that fork.
 *
 * Where a fork runs, by `worktree`:
 * - omitted: where a reply to the parent would run: in the parent's worktree when it had one,
 *   else in the parent's cwd. Only a single fork may share the parent's worktree, and only while
 *   no other task works there (each task commits what is in the worktree when it ends, so two
 *   would commit each other's half-done files): several forks of a thread with a worktree need
 *   `worktree: true`;
 * - `true`: in a new worktree and branch of its own, created from the head of the parent's branch
 *   (its committed work), or from the HEAD of the parent's cwd when the parent had no worktree;
 * - `false`: in the parent's cwd, never a worktree.
 *
 * Everything is checked before anything is created, and the forks are made all or none: when one
 * cannot be created, the ones made before it are removed again (tasks, worktrees, branches). None
 * starts before all exist.
 *
 * @example Not run: it forks a thread of a running `codex app-server`, through the engine (`host`).
 * ```ts ignore
 * import { startForks } from "./fork.ts";
 *
 * const forks = await startForks(
 *   { threadId, prompts: ["try it with a map", "try it with a trie"], worktree: true },
 *   host, // the engine's side: see ForkHost
 * );
 * forks.map((t) => t.meta.id); // two task ids, at once
 * ```
 * @module
 */

import { join, relative } from "node:path";
import type { AppServer } from "../codex/app_server.ts";
import type { ThreadForkResponse } from "../codex/protocol/generated/v2/ThreadForkResponse.ts";
import type { ThreadParams } from "../codex/thread_params.ts";
import { checkPrompt, checkThreadId } from "../request/request_check.ts";
import type { ForkOf, TaskMeta, TaskRequest, TaskSnapshot } from "./task.ts";
import { isFinal } from "./task.ts";
import type { WorktreeInfo, WorktreeManager } from "../git/worktree.ts";
import { RequestError } from "./request_error.ts";
import { messageOf } from "../base/errors.ts";

/** The most prompts (forks) one call may ask for. */
export const MAX_FORKS = 8;

/** What `codex_fork` asks for: the thread, the prompts, and the settings every fork shares. */
export interface ForkRequest extends Omit<TaskRequest, "prompt" | "threadId" | "forkOf" | "base"> {
  /** The parent thread. */
  threadId: string;
  /** One fork per prompt, 1 to {@link MAX_FORKS}. */
  prompts: string[];
}

/** What {@link startForks} needs from the engine. */
export interface ForkHost {
  /** Checks a fork's task request as `start` would (policy, config, output schema): throws. */
  check(request: TaskRequest): void;
  /** The tasks recorded on `threadId` (any phase). */
  tasksOn(threadId: string): TaskMeta[];
  /** The worktree `threadId` works in (as a reply would continue there), or null. */
  worktreeOf(threadId: string): WorktreeInfo | null;
  /** Whether Codex has `threadId` (true when that cannot be checked). */
  knowsThread(threadId: string): Promise<boolean>;
  /** The directory a task with this `cwd` would run in (checked to exist, real path). */
  resolveCwd(cwd: string | undefined): Promise<string>;
  worktrees: Pick<WorktreeManager, "resolveRepo" | "branchHead">;
  /** Creates (and queues) one task. */
  start(request: TaskRequest): Promise<TaskSnapshot>;
  /** Removes a task just created, and `ownWorktree` (its worktree and branch) when given. */
  unmake(id: string, ownWorktree: WorktreeInfo | null): Promise<void>;
  /** Holds back starting queued tasks until the returned function is called. */
  hold(): () => void;
}

/**
 * Checks the thread id and the prompts list.
 * @throws {RequestError} Naming `thread_id`, `prompts` or `prompts[i]`.
 */
export function checkForkRequest(request: ForkRequest): void {
  if (typeof request.threadId !== "string" || request.threadId === "") {
    throw new RequestError("thread_id", "Cannot fork a thread as thread_id is missing or empty");
  }
  checkThreadId(request.threadId, "thread_id");
  const prompts: unknown = request.prompts;
  if (!Array.isArray(prompts)) {
    throw new RequestError("prompts", "Cannot fork a thread as prompts is not a list of prompts");
  }
  if (prompts.length === 0 || prompts.length > MAX_FORKS) {
    throw new RequestError(
      "prompts",
      `Cannot fork a thread as prompts has ${prompts.length} prompts: give 1 to ${MAX_FORKS}, ` +
        "one per fork",
    );
  }
  prompts.forEach((prompt, i) => checkPrompt(prompt, `prompts[${i}]`));
}

/**
 * Who the parent is: its newest task (refused while one runs or waits on the thread) and its
 * worktree.
 * @throws {RequestError} Naming `thread_id`, when a task still runs on the thread.
 */
export function forkParent(
  threadId: string,
  host: ForkHost,
): ForkOf & { cwd: string | null; settings: ForkSettings } {
  const tasks = host.tasksOn(threadId).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const running = tasks.find((t) => !isFinal(t.phase));
  if (running) {
    throw new RequestError(
      "thread_id",
      `Cannot fork thread "${threadId}" as task ${running.id} is ${running.phase} on it: a fork ` +
        `of a turn in progress is not possible; codex_wait {"task_ids":["${running.id}"]} ` +
        "(or codex_cancel it), then fork",
    );
  }
  const newest = tasks[0];
  return {
    threadId,
    taskId: newest?.id ?? null,
    worktree: host.worktreeOf(threadId),
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
 * Starts one task per prompt, each a fork of `request.threadId`; returns them at once (queued or
 * starting). All or none: see the module doc.
 * @throws {RequestError} For a bad request, a running or unknown parent, or `worktree: true` where
 * no worktree can be made; an Error naming the fork that could not be created (after removing
 * the ones made before it).
 */
export async function startForks(request: ForkRequest, host: ForkHost): Promise<TaskSnapshot[]> {
  checkForkRequest(request);
  const { prompts, threadId, ...given } = request;
  // The settings every fork shares, checked once before the thread is looked at.
  host.check({ ...given, prompt: prompts[0]! });
  const parent = forkParent(threadId, host);
  if (parent.taskId === null && !(await host.knowsThread(threadId))) {
    throw new RequestError(
      "thread_id",
      `Cannot fork thread_id "${threadId}" as Codex has no such thread`,
    );
  }
  // Codex's thread/fork takes model, sandbox and approval policy from the config, not from the
  // parent: the forks get the parent task's settings unless the call sets them.
  const shared = { ...parent.settings, ...given };
  host.check({ ...shared, prompt: prompts[0]! });
  checkSharedWorktree(threadId, prompts.length, request.worktree, parent.worktree);
  const cwd = await host.resolveCwd(parent.cwd ?? undefined).catch((error) => {
    throw new RequestError(
      "thread_id",
      `Cannot fork thread "${threadId}" as the directory it ran in is gone: ${messageOf(error)}`,
    );
  });
  if (request.worktree === true) await checkWorktreeSource(threadId, parent.worktree, cwd, host);
  const forkOf: ForkOf = { threadId, taskId: parent.taskId, worktree: parent.worktree };
  const made: TaskSnapshot[] = [];
  const release = host.hold();
  try {
    for (const [i, prompt] of prompts.entries()) {
      try {
        made.push(await host.start({ ...shared, prompt, cwd, forkOf }));
      } catch (error) {
        for (const task of made.reverse()) {
          await host.unmake(task.meta.id, request.worktree === true ? task.meta.worktree : null);
        }
        if (i === 0) throw error;
        throw new Error(
          `Cannot fork thread "${threadId}" as fork ${i + 1} of ${prompts.length} could not be ` +
            `created (the ${i} made before it were removed): ${messageOf(error)}`,
          { cause: error },
        );
      }
    }
  } finally {
    release();
  }
  return made;
}

/**
 * Refuses several forks that would share the parent's worktree (`worktree` omitted on a thread
 * that has one): see the module doc.
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
  host: ForkHost,
): Promise<void> {
  if (parent !== null) {
    if (await host.worktrees.branchHead(parent).catch(() => null) === null) {
      throw new RequestError(
        "worktree",
        `Cannot fork thread "${threadId}" with worktree: true as branch ${parent.branch} of its ` +
          `worktree no longer exists in ${parent.repoRoot}: pass worktree: false to fork it ` +
          "without worktrees",
      );
    }
    return;
  }
  await host.worktrees.resolveRepo(cwd).catch((error) => {
    throw new RequestError(
      "worktree",
      `Cannot fork thread "${threadId}" with worktree: true as the thread has no worktree and ` +
        `its cwd ${cwd} is not in a git repository with a commit: ${messageOf(error)}`,
    );
  });
}

/**
 * Creates the worktree of fork `taskId` on a new branch from the head of `parent`'s branch, in
 * the same repository and with the same subdirectory as the parent's cwd.
 */
export async function forkWorktree(
  worktrees: Pick<WorktreeManager, "create">,
  taskId: string,
  parent: WorktreeInfo,
): Promise<WorktreeInfo> {
  const info = await worktrees.create(taskId, parent.repoRoot, parent.branch);
  const subdir = relative(parent.path, parent.cwd);
  if (subdir === "" || subdir.startsWith("..")) return info;
  const cwd = join(info.path, subdir);
  await Deno.mkdir(cwd, { recursive: true });
  return { ...info, cwd };
}

/** Forks `parent` on `server` with the fork's thread settings; returns Codex's answer. */
export async function forkThread(
  server: Pick<AppServer, "request">,
  parent: string,
  params: ThreadParams["thread"],
): Promise<ThreadForkResponse> {
  try {
    // The fork's turns are not needed here: its first turn is the fork's prompt.
    return await server.request("thread/fork", { ...params, threadId: parent, excludeTurns: true });
  } catch (error) {
    throw new Error(`Cannot fork thread "${parent}" as Codex cannot fork it: ${messageOf(error)}`);
  }
}
