/**
 * Sends `notifications/progress` for a request whose client asked for it (gave a progress token).
 *
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

/** How long an answer waits after the last progress notification (see {@link settleProgress}). */
export const PROGRESS_SETTLE_MS = 15;

/**
 * Returns a function that reports one more step (a no-op when there is no token). It settles once
 * the notification is sent: pass it to {@link settleProgress} before answering.
 */
export function progressReporter(extra: ProgressContext): (message: string) => Promise<void> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return () => Promise.resolve();
  let progress = 0;
  return (message) => {
    progress += 1;
    return extra.sendNotification({
      method: "notifications/progress",
      params: { progressToken: token, progress, message },
    }).catch(() => {});
  };
}

/**
 * Waits until `lastSent` is sent, then a moment more, so the last step reaches the client before
 * the answer. The SDK's client handles a notification a microtask after reading it but the answer
 * at once, and drops progress whose request has already been answered: a notification read in the
 * same chunk as the answer would be lost.
 */
export async function settleProgress(lastSent: Promise<void> | null): Promise<void> {
  if (lastSent === null) return;
  await lastSent;
  await delay(PROGRESS_SETTLE_MS);
}

/**
 * Sends `message()` through `report` every `ms` until the returned function is called: a blocking
 * call tells its client it is alive even while its task takes no step (clients abort calls that
 * stay silent). Without a progress token `report` is a no-op and so is this.
 */
export function heartbeat(
  report: (message: string) => Promise<void>,
  ms: number,
  message: () => string,
): () => void {
  const timer = setInterval(() => report(message()), ms);
  return () => clearInterval(timer);
}
