/**
 * Tool calls for end-to-end tests: one call with a long time limit, and waiting for tasks to end.
 *
 * @example Not run: it needs a connected MCP client of a running server (`client`).
 * ```ts ignore
 * const id = await startTask(client, { prompt: "hi" });
 * const started = await call(client, "codex_async", { prompt: "hi" });
 * const [view] = await waitAll<{ phase: string }>(client, [id]);
 * ```
 * @module
 */

import assert from "node:assert/strict";
import type { Client } from "./sdk_client.ts";

/** A task's full view (`codex_status` `detail: "full"`), the fields end-to-end tests read. */
export type TaskView = {
  task_id: string;
  phase: string;
  failure: string | null;
  final_message?: string | null;
  thread_id?: string | null;
  worktree: {
    path: string;
    branch: string;
    commit: string | null;
    files: Array<{ path: string }>;
  } | null;
};

/** Calls tool `name` with `args` (at most 120 s). */
export async function call(client: Client, name: string, args: Record<string, unknown>) {
  return await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
}

/** Waits (at most 90 s) for the tasks, then returns their full views. */
export async function waitAll<View>(client: Client, ids: string[]): Promise<View[]> {
  await call(client, "codex_wait", { task_ids: ids, timeout: 90 });
  const result = await call(client, "codex_status", { task_ids: ids, detail: "full" });
  return (result.structuredContent as { tasks: View[] }).tasks;
}

/** Starts a task with `codex_async`; asserts it started and returns its id (12 hex digits). */
export async function startTask(client: Client, args: Record<string, unknown>): Promise<string> {
  const result = await call(client, "codex_async", args);
  assert.equal(result.isError, undefined, JSON.stringify(result.content));
  const id = (result.structuredContent as { task_id: string }).task_id;
  assert.match(id, /^[0-9a-f]{12}$/);
  return id;
}

/**
 * Calls `codex_list` until a supervisor answers: a call the front-end sent before it saw its
 * supervisor die is answered "went away ... retry".
 */
export async function reconnect(client: Client): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      const list = await call(client, "codex_list", {});
      if (list.isError === undefined) return;
    } catch (error) {
      if (attempt >= 20 || !/went away/.test(String(error))) throw error;
    }
  }
}
