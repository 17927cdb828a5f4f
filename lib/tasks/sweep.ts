/**
 * The clean-up of old tasks: a final task older than the maximum age is removed with its record,
 * and its worktree goes with it only when every change in it is committed on its branch. The
 * branch goes too only when its commits are on a local branch outside `codex-swarm/*` (the target
 * it was merged into, or a branch the user merged it into by hand or through a pull request):
 * another task's branch (a fork's) does not keep them once that task is discarded. A worktree another unfinished task works in,
 * or one with uncommitted work, is kept, and so is its task.
 *
 * @example Not run: it needs the engine's task records, store and worktrees.
 * ```ts ignore
 * const removed = await sweepTasks([...records.values()], { maxAgeS: 7 * 86400, store, worktrees, log, recommit });
 * for (const id of removed) records.delete(id);
 * ```
 * @module
 */

import type { Logger } from "../base/log.ts";
import { isFinal } from "./task.ts";
import type { TaskStore } from "./task_store.ts";
import type { WorktreeManager } from "../git/worktree.ts";
import type { TaskRecord } from "./task_record.ts";

/** What {@link sweepTasks} needs. */
export interface SweepDeps {
  /** Final tasks that ended longer ago than this are removed. */
  maxAgeS: number;
  store: Pick<TaskStore, "remove">;
  worktrees: Pick<
    WorktreeManager,
    "removeWorktreeIfCommitted" | "branchHasUnmergedCommits" | "discard" | "holdWorktrees"
  >;
  log: Logger;
  /** Commits a task's worktree again (its commit failed when it ended) and saves the record. */
  recommit(record: TaskRecord): Promise<void>;
  /**
   * Removes a remote task's workspace on its worker (docs/workers.md); rejects while the worker
   * is down, and the task is kept for a later sweep.
   */
  removeRemote?(record: TaskRecord): Promise<void>;
}

/**
 * Removes the old final tasks of `records` that can go; returns their ids. `records` is read
 * live (the engine's map of tasks): each worktree is checked and removed holding its lock, so a
 * reply or fork made there meanwhile is seen and keeps it.
 */
export async function sweepTasks(
  records: { values(): Iterable<TaskRecord> },
  deps: SweepDeps,
  now = Date.now(),
): Promise<string[]> {
  const { store, worktrees, log } = deps;
  const cutoff = now - deps.maxAgeS * 1000;
  const removed: string[] = [];
  for (const record of [...records.values()]) {
    const { meta } = record;
    if (!isFinal(meta.phase) || meta.endedAt === null) continue;
    if (Date.parse(meta.endedAt) > cutoff) continue;
    if (meta.worktree) {
      using _held = await worktrees.holdWorktrees([meta.worktree.path]);
      const inUse = [...records.values()].some((r) =>
        r !== record && !isFinal(r.meta.phase) && r.meta.worktree?.path === meta.worktree!.path
      );
      if (inUse) continue;
      try {
        if (meta.worktreeOutcome?.error !== undefined && meta.request.commit !== false) {
          // The commit failed when the task ended: try again before anything is removed.
          await deps.recommit(record);
        }
        // Its work on a worker came back when it ended (or recommit brought it): that copy goes.
        if (meta.remote && deps.removeRemote) await deps.removeRemote(record);
        // Only a worktree whose every change is committed on its branch is removed.
        const { removed, uncommitted } = await worktrees.removeWorktreeIfCommitted(meta.worktree);
        if (!removed) {
          log.warning(
            `Keeping the worktree of task ${meta.id} at ${meta.worktree.path}: not committed: ` +
              uncommitted.slice(0, 10).join(", "),
          );
          continue;
        }
        if (!(await worktrees.branchHasUnmergedCommits(meta.worktree))) {
          await worktrees.discard(meta.worktree);
        }
      } catch (error) {
        log.warning(`Cannot clean up the worktree of task ${meta.id}: ${error}`);
        continue;
      }
    }
    await store.remove(meta.id);
    removed.push(meta.id);
  }
  if (removed.length > 0) log.info(`Removed ${removed.length} old task(s)`, { removed });
  return removed;
}
