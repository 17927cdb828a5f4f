/**
 * End-to-end: `--max-result-chars` (default 20,000) bounds what a client receives of every tool's
 * result, its text and its structured content as JSON together, for a task that wrote a 60,000-
 * line file (its patch is mostly line ends, which JSON escapes). Real Codex against the fake
 * Responses API.
 */

import assert from "node:assert/strict";
import { makeWorld, startServer, textOf } from "./support/harness.ts";
import { makeRepo } from "./support/repo.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";
import { DEFAULT_MAX_RESULT_CHARS } from "../lib/mcp/server_config.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type Result = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
};

/** Characters of the whole result: structured content as JSON and text. */
function resultChars(result: Result): number {
  return JSON.stringify(result.structuredContent ?? null).length + textOf(result).length;
}

Deno.test("every result of a 60,000-line task fits the default limit", e2e, async () => {
  await using world = await makeWorld();
  await using server = await startServer(world);
  const { client } = server;
  const max = DEFAULT_MAX_RESULT_CHARS;
  const repo = await makeRepo();
  const id = await startTask(client, {
    prompt: "huge RUN=seq 1 60000 > big.txt",
    cwd: repo,
    worktree: true,
    sandbox: "workspace-write",
  });
  const [view] = await waitAll<{ phase: string; failure: string | null }>(client, [id]);
  assert.equal(view!.phase, "completed", view!.failure ?? "");

  const results: Array<[string, Result]> = [];
  let offset: number | null = 0;
  let patch = "";
  for (let page = 0; offset !== null && page < 3; page++) {
    const result = await call(client, "codex_diff", { task_id: id, offset }) as Result;
    results.push([`codex_diff offset ${offset}`, result]);
    patch += result.structuredContent!.patch as string;
    offset = result.structuredContent!.next_offset as number | null;
  }
  // The pages follow each other: the patch read so far is whole lines of it.
  assert.match(patch, /^diff --git a\/big\.txt b\/big\.txt\n[^]*\n\+\d+\n$/);
  results.push([
    "codex_diff max_chars",
    await call(client, "codex_diff", { task_id: id, max_chars: 1_000_000 }) as Result,
  ]);
  results.push([
    "codex_worktree diff",
    await call(client, "codex_worktree", { task_id: id, action: "diff" }) as Result,
  ]);
  results.push([
    "codex_status full",
    await call(client, "codex_status", { task_ids: [id], detail: "full" }) as Result,
  ]);
  results.push(["codex_wait", await call(client, "codex_wait", { task_ids: [id] }) as Result]);
  results.push(["codex_list", await call(client, "codex_list", {}) as Result]);
  for (const [name, result] of results) {
    assert.equal(result.isError, undefined, `${name}: ${textOf(result)}`);
    assert.ok(resultChars(result) <= max, `${name}: ${resultChars(result)} > ${max}`);
  }
  // A page still fills most of the room: the limit is kept by measuring, not by a wide margin.
  assert.ok(resultChars(results[0]![1]) > max * 0.8, String(resultChars(results[0]![1])));
});
