/**
 * A lock per key (a repository, a worktree): an operation on a key runs after every earlier one
 * on the same key has settled, in the order they asked; operations on other keys run at once.
 * Within one process only: the supervisor owns every task and worktree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const locks = new KeyedLock();
 * const done: string[] = [];
 * await Promise.all([
 *   locks.run("/wt/a", async () => void done.push("discard")),
 *   locks.run("/wt/a", async () => void done.push("reply")), // sees what the discard left
 * ]);
 * {
 *   using _held = await locks.hold(["/wt/b", "/wt/a"]); // both held to the end of the block
 *   done.push("group");
 * }
 * assert.deepEqual(done, ["discard", "reply", "group"]);
 * ```
 * @module
 */

/** Serializes operations per key (see the module doc). */
export class KeyedLock {
  /** Key -> the settling of the newest operation queued on it (gone when none is). */
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier operation on `key` has settled; returns what `fn` returns. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    using _held = await this.hold([key]);
    return await fn();
  }

  /**
   * Waits until every key of `keys` is free, and holds them until the result is disposed (a
   * `using` declaration frees them at the end of its block). All of them are queued on at once,
   * so two callers never wait on each other in a cycle, and no later operation on one of them
   * slips in between.
   */
  async hold(keys: Iterable<string>): Promise<Disposable> {
    let release = () => {};
    const held = new Promise<void>((resolve) => release = resolve);
    const queued = [...new Set(keys)].map((key) => {
      const previous = this.#tails.get(key) ?? Promise.resolve();
      const tail = previous.then(() => held);
      this.#tails.set(key, tail);
      return { key, previous, tail };
    });
    await Promise.all(queued.map((q) => q.previous));
    return {
      [Symbol.dispose]: () => {
        release();
        for (const { key, tail } of queued) {
          if (this.#tails.get(key) === tail) this.#tails.delete(key);
        }
      },
    };
  }
}
