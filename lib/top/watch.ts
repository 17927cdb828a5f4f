/**
 * Keeps `top` up to date: reads the task list (and the selected task's detail) when the server
 * says a task changed (`notifications/resources/updated`) and at least every `intervalMs`, one
 * read at a time, a change during a read causing one more.
 *
 * @example Not run: it needs a running server (`connection`).
 * ```ts ignore
 * const watcher = await watch(connection, {
 *   intervalMs: 500,
 *   detailId: () => null,
 *   onData: ({ tasks }) => console.log(tasks.length),
 *   onError: (message) => console.error(message),
 * });
 * watcher.stop();
 * ```
 * @module
 */

import { TASKS_URI, type TopConnection } from "./connection.ts";
import { readTask, readTaskList, type TaskInfo } from "./task_info.ts";
import { messageOf } from "../base/errors.ts";

/** One read of the server. */
export interface Reading {
  tasks: TaskInfo[];
  /** The task {@link WatchOptions.detailId} named, or null when none was or it is gone. */
  detail: TaskInfo | null;
  /** When the read finished (ms since the epoch). */
  readAt: number;
}

/** What {@link watch} reads and whom it tells. */
export interface WatchOptions {
  /** Read at least this often, notifications or not. */
  intervalMs: number;
  /** The task whose `codex-swarm://tasks/{id}` to read too, or null. */
  detailId(): string | null;
  onData(reading: Reading): void;
  onError(message: string): void;
}

/** A running watch. */
export type Watcher = Awaited<ReturnType<typeof watch>>;

/** Subscribes to the task list and starts reading; the first read starts at once. */
export async function watch(connection: TopConnection, options: WatchOptions) {
  let stopped = false;
  let busy = false;
  let again = false;
  const readOnce = async () => {
    const id = options.detailId();
    const [list, detail] = await Promise.all([
      connection.readJson(TASKS_URI),
      id === null ? null : connection.readTask(id).catch(() => null),
    ]);
    return { tasks: readTaskList(list), detail: readTask(detail), readAt: Date.now() };
  };
  const refresh = async () => {
    if (stopped) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const reading = await readOnce();
        if (!stopped) options.onData(reading);
      } while (again && !stopped);
    } catch (error) {
      if (!stopped) options.onError(messageOf(error));
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(refresh, options.intervalMs);
  let off = () => {};
  try {
    off = await connection.subscribe(() => void refresh());
  } catch (error) {
    options.onError(`Cannot subscribe to task updates: ${messageOf(error)}`);
  }
  void refresh();
  return {
    /** Reads now (or right after the read under way). */
    refresh: () => void refresh(),
    stop() {
      stopped = true;
      clearInterval(timer);
      off();
    },
  };
}
