/**
 * Asks Codex whether it has a thread, by id: `thread/list {includedThreadIds: [id]}`, which Codex
 * answers from its indexed metadata since 0.171. Codex 0.169 and 0.170 ignore the field (they list
 * every thread), so for them the answer is null and the caller looks on disk instead.
 *
 * @example Not run: it needs a running `codex app-server` (`server`).
 * ```ts ignore
 * const known = await codexKnowsThread(server, "01a23379-8b64-73e0-b586-c4440ada693c");
 * // true, false, or null (this Codex cannot say)
 * ```
 * @module
 */

import type { AppServer } from "./app_server.ts";
import { hasIncludedThreadIds } from "./codex_versions.ts";
import type { ThreadListParams, ThreadSourceKind } from "./protocol/generated/index.ts";

/**
 * Every source a thread can have: `thread/list` shows interactive sources only unless told, and a
 * task's thread may come from `codex exec`, the app-server or a sub-agent.
 */
export const ALL_SOURCE_KINDS: ThreadSourceKind[] = [
  "cli",
  "vscode",
  "exec",
  "appServer",
  "subAgent",
  "subAgentReview",
  "subAgentCompact",
  "subAgentThreadSpawn",
  "subAgentOther",
  "unknown",
];

/** `thread/list`'s params as Codex 0.171 takes them (the pinned types predate the field). */
type IncludedThreadListParams = ThreadListParams & { includedThreadIds?: string[] | null };

/**
 * Whether the Codex behind `server` has thread `threadId` (archived or not), or null when its
 * version cannot filter `thread/list` by id.
 */
export async function codexKnowsThread(
  server: Pick<AppServer, "request" | "info">,
  threadId: string,
): Promise<boolean | null> {
  if (!hasIncludedThreadIds(server.info.version)) return null;
  for (const archived of [false, true]) {
    const params: IncludedThreadListParams = {
      includedThreadIds: [threadId],
      sourceKinds: ALL_SOURCE_KINDS,
      archived,
      limit: 1,
    };
    const { data } = await server.request("thread/list", params);
    if (data.some((thread) => thread.id === threadId)) return true;
  }
  return false;
}
