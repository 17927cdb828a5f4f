/**
 * Sends `notifications/progress` for a blocking call whose client asked for it (gave a progress
 * token): each step, and a heartbeat while nothing happens.
 *
 * @example Not run: it needs the SDK's handler context (`extra`) of a running call.
 * ```ts ignore
 * const progress = callProgress(extra, 10_000, () => "still running");
 * progress.send("Ran: npm test");
 * await progress.settle(); // before answering
 * progress.stop();
 * ```
 * @module
 */
import { delay } from "../../base/delay.ts";

/** The part of the SDK's handler context used here. */
export interface ProgressContext {
  _meta?: { progressToken?: string | number };
  sendNotification: (notification: {
    method: "notifications/progress";
    params: { progressToken: string | number; progress: number; message?: string };
  }) => Promise<void>;
}

/** How long an answer waits after the last progress notification (see {@link callProgress}). */
export const PROGRESS_SETTLE_MS = 15;

/**
 * The progress of a call: steps as they are sent, and `beat()` every `ms` until it settles or
 * stops, so its client knows it is alive even while its task takes no step (clients abort calls
 * that stay silent). Without a progress token it sends nothing.
 *
 * `settle()` stops the heartbeat and waits until the last step is sent, then a moment more, so it
 * reaches the client before the answer: the SDK's client handles a notification a microtask after
 * reading it but the answer at once, and drops progress whose request has already been answered,
 * so a notification read in the same chunk as the answer would be lost. `stop()` only stops it.
 */
export function callProgress(extra: ProgressContext, ms: number, beat: () => string) {
  const token = extra._meta?.progressToken;
  let progress = 0;
  let lastSent: Promise<void> | null = null;
  const send = (message: string) => {
    if (token === undefined) return;
    progress += 1;
    lastSent = extra.sendNotification({
      method: "notifications/progress",
      params: { progressToken: token, progress, message },
    }).catch(() => {});
  };
  const timer = setInterval(() => send(beat()), ms);
  return {
    send,
    async settle() {
      clearInterval(timer);
      if (lastSent === null) return;
      await lastSent;
      await delay(PROGRESS_SETTLE_MS);
    },
    stop: () => clearInterval(timer),
  };
}
