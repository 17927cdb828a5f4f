/**
 * Codex's threads on disk: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl`
 * (and `archived_sessions/`). `codex exec resume` with an id it cannot find silently starts a new
 * thread, so a reply checks here first.
 *
 * @example
 * ```ts
 * import { findThreadRollout } from "./codex_threads.ts";
 *
 * findThreadRollout("/home/me/.codex", "01a23379-8b64-73e0-b586-c4440ada693c"); // path or null
 * ```
 * @module
 */

import { join } from "node:path";

function entries(dir: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(dir)];
  } catch {
    return [];
  }
}

/**
 * The rollout file of thread `id` under `codexHome`, or null when Codex has no such thread.
 * Searches the newest days first.
 */
export function findThreadRollout(codexHome: string, id: string): string | null {
  const suffix = `-${id.toLowerCase()}.jsonl`;
  const search = (dir: string, depth: number): string | null => {
    const found = entries(dir).sort((a, b) => b.name.localeCompare(a.name));
    for (const entry of found) {
      const path = join(dir, entry.name);
      if (entry.isFile && entry.name.toLowerCase().endsWith(suffix)) return path;
      if (entry.isDirectory && depth > 0) {
        const inner = search(path, depth - 1);
        if (inner !== null) return inner;
      }
    }
    return null;
  };
  return search(join(codexHome, "sessions"), 3) ?? search(join(codexHome, "archived_sessions"), 3);
}
