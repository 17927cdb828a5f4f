/**
 * Codex's threads on disk: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl`
 * (and `archived_sessions/`). `codex exec resume` with an id it cannot find silently starts a new
 * thread, so a reply checks here first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // The path of the thread's rollout under CODEX_HOME, or null when there is none.
 * const home = await Deno.makeTempDir();
 * assert.equal(findThreadRollout(home, "01a23379-8b64-73e0-b586-c4440ada693c"), null);
 * await Deno.remove(home);
 * ```
 * @module
 */

import { join } from "node:path";
import type { Usage } from "./run_state.ts";

/** A Codex thread id: a UUID. */
export const THREAD_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The files under `dir`, at most `depth` directories down, each directory's entries in descending
 * order of name (under `sessions/`: the newest day first).
 */
function* filesUnder(dir: string, depth = 3): Generator<string> {
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    // No such directory (yet): no files.
  }
  for (const entry of entries.sort((a, b) => b.name.localeCompare(a.name))) {
    const path = join(dir, entry.name);
    if (entry.isFile) yield path;
    else if (entry.isDirectory && depth > 0) yield* filesUnder(path, depth - 1);
  }
}

/**
 * The rollout file of thread `id` under `codexHome`, or null when Codex has no such thread.
 * Searches the newest days first.
 */
export function findThreadRollout(codexHome: string, id: string): string | null {
  const suffix = `-${id.toLowerCase()}.jsonl`;
  for (const root of ["sessions", "archived_sessions"]) {
    for (const path of filesUnder(join(codexHome, root))) {
      if (path.toLowerCase().endsWith(suffix)) return path;
    }
  }
  return null;
}

/** What a rollout says about itself on its first line (`session_meta`). */
interface SessionMeta {
  parent_thread_id?: string;
  /** `{subagent: "review"}` for a review's thread (else `"cli"`, `"exec"`...). */
  source?: { subagent?: unknown };
}

/**
 * The rollouts of the review sub-agents Codex ran for thread `parentId` (Codex 0.169 runs a
 * review on a thread of its own, `source: {subagent: "review"}`, whose rollout names the parent),
 * newest first. Only files changed since `since` (ms) are read, so the search stays short.
 */
export async function findReviewRollouts(
  codexHome: string,
  parentId: string,
  since: number,
): Promise<string[]> {
  const found: Array<{ path: string; mtime: number }> = [];
  for (const path of filesUnder(join(codexHome, "sessions"))) {
    if (!path.endsWith(".jsonl")) continue;
    const mtime = (await Deno.stat(path).catch(() => null))?.mtime?.getTime() ?? 0;
    if (mtime < since) continue;
    const meta: SessionMeta = await firstLine(path)
      .then((line) => (JSON.parse(line) as { payload?: SessionMeta }).payload ?? {})
      .catch(() => ({}));
    if (meta.parent_thread_id === parentId && meta.source?.subagent === "review") {
      found.push({ path, mtime });
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).map((f) => f.path);
}

/** The first line of a file (at most 64 KB of it). */
async function firstLine(path: string): Promise<string> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(65_536);
  const n = await file.read(buffer);
  const text = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  return text.split("\n", 1)[0]!;
}

/** The thread's total token usage from the last `token_count` event of a rollout, or null. */
export async function lastTokenUsage(path: string): Promise<Usage | null> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const line = text.split("\n").findLast((l) => l.includes('"token_count"'));
  if (line === undefined) return null;
  try {
    const total = (JSON.parse(line) as {
      payload?: { info?: { total_token_usage?: Record<string, number> } };
    }).payload?.info?.total_token_usage;
    if (!total) return null;
    return {
      inputTokens: total.input_tokens ?? 0,
      cachedInputTokens: total.cached_input_tokens ?? 0,
      outputTokens: total.output_tokens ?? 0,
      reasoningOutputTokens: total.reasoning_output_tokens ?? 0,
    };
  } catch {
    return null;
  }
}
