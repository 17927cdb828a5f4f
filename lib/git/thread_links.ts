/**
 * The link from a Codex thread to the worktree it works in, kept on disk (one 0600 file per
 * thread in a 0700 directory) for as long as anyone may reply to the thread: a reply continues in
 * the thread's worktree even when sent through another server instance or after the task record
 * was cleaned up, and gets a clear error when that worktree is gone, never the main checkout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const info = {
 *   repoRoot: "/src/app",
 *   path: "/wt/app-1a2b3c4d/abc",
 *   branch: "codex-swarm/abc",
 *   baseRef: "main",
 *   baseCommit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
 *   cwd: "/wt/app-1a2b3c4d/abc",
 * };
 * const dir = await Deno.makeTempDir();
 * const links = new ThreadLinks(`${dir}/.threads`);
 * const threadId = "01a23379-8b64-73e0-b586-c4440ada693c";
 * await links.save(threadId, info);
 * assert.deepEqual(links.load(threadId), info);
 * assert.equal(links.load("01a23379-0000-73e0-b586-c4440ada693c"), null);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

import { THREAD_ID_PATTERN } from "../codex/codex_threads.ts";
import { isWorktreeInfo, type WorktreeInfo } from "./worktree.ts";

/** Thread-to-worktree links under one directory. */
export class ThreadLinks {
  /** @param dir The directory holding `<threadId>.json` files. */
  constructor(readonly dir: string) {}

  #path(threadId: string): string | null {
    return THREAD_ID_PATTERN.test(threadId) ? `${this.dir}/${threadId.toLowerCase()}.json` : null;
  }

  /** Records that `threadId` works in `info` (atomically; the directory is made 0700). */
  async save(threadId: string, info: WorktreeInfo): Promise<void> {
    const path = this.#path(threadId);
    if (path === null) return;
    await Deno.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(info) + "\n", { mode: 0o600 });
    await Deno.rename(tmp, path);
  }

  /** The worktree `threadId` works in, or null when no link is recorded. */
  load(threadId: string): WorktreeInfo | null {
    const path = this.#path(threadId);
    if (path === null) return null;
    try {
      const info: unknown = JSON.parse(Deno.readTextFileSync(path));
      return isWorktreeInfo(info) ? info : null;
    } catch {
      return null;
    }
  }
}
