/**
 * The queue of tasks waiting for a free slot, fair across sessions: each session has its own FIFO
 * and the sessions take turns (round robin), so one client's 64 tasks do not starve another's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const queue = new FairQueue();
 * queue.push("s1", "a");
 * queue.push("s1", "b");
 * queue.push("s2", "c");
 * assert.deepEqual([queue.shift(), queue.shift(), queue.shift()], ["a", "c", "b"]);
 * ```
 * @module
 */

/** Task ids waiting to start, one FIFO per session, served in turn. */
export class FairQueue {
  /** Session id -> its waiting task ids, oldest first. Map order is the round-robin order. */
  #lanes = new Map<string, string[]>();

  /** Adds a task at the end of its session's lane. */
  push(sessionId: string, taskId: string): void {
    const lane = this.#lanes.get(sessionId);
    if (lane) lane.push(taskId);
    else this.#lanes.set(sessionId, [taskId]);
  }

  /**
   * Takes the next task that `accept` lets start (the oldest accepted of the session whose turn
   * it is), leaving the others where they wait: a task whose worker is full waits without holding
   * back those that can start elsewhere. Undefined when none is accepted (or none waits).
   */
  shift(accept: (taskId: string) => boolean = () => true): string | undefined {
    for (const [sessionId, lane] of this.#lanes) {
      const at = lane.findIndex(accept);
      if (at < 0) continue;
      const [id] = lane.splice(at, 1);
      // The session goes to the back of the round (or leaves it when its lane is empty).
      this.#lanes.delete(sessionId);
      if (lane.length > 0) this.#lanes.set(sessionId, lane);
      return id;
    }
    return undefined;
  }

  /** Removes a task wherever it waits; says whether it was there. */
  remove(taskId: string): boolean {
    for (const [sessionId, lane] of this.#lanes) {
      const at = lane.indexOf(taskId);
      if (at < 0) continue;
      lane.splice(at, 1);
      if (lane.length === 0) this.#lanes.delete(sessionId);
      return true;
    }
    return false;
  }
}
