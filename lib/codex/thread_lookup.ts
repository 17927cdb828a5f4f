/**
 * Asks Codex whether it has a thread, by id: `thread/list {includedThreadIds: [id]}`, which Codex
 * answers from its indexed metadata since 0.171. Codex 0.169 and 0.170 ignore the field (they list
 * every thread), so for them the answer is null and the caller looks on disk instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AppServer } from "./app_server.ts";
 *
 * // The engine passes a running app-server; these stand-ins answer `thread/list` with no thread.
 * const server = (version: string) =>
 *   ({ info: { version }, request: () => Promise.resolve({ data: [] }) }) as unknown as Pick<
 *     AppServer,
 *     "request" | "info"
 *   >;
 * const id = "01a23379-8b64-73e0-b586-c4440ada693c";
 * assert.equal(await codexKnowsThread(server("0.171.0"), id), false);
 * assert.equal(await codexKnowsThread(server("0.169.0"), id), null); // this Codex cannot say
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
