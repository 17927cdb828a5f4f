/**
 * Stopping a turn (provisional: the codex-layer branch brings the measured version).
 *
 * @module
 */

import type { AppServer } from "./app_server.ts";

/** Interrupts the turn and kills the commands it left running. */
export async function stopTurn(server: AppServer, threadId: string, turnId: string): Promise<void> {
  await server.request("turn/interrupt", { threadId, turnId }).catch(() => {});
  await server.request("thread/backgroundTerminals/clean", { threadId }).catch(() => {});
}
