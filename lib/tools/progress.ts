/**
 * Sends `notifications/progress` for a request whose client asked for it (gave a progress token).
 *
 * @module
 */

/** The part of the SDK's handler context used here. */
export interface ProgressContext {
  _meta?: { progressToken?: string | number };
  sendNotification: (notification: {
    method: "notifications/progress";
    params: { progressToken: string | number; progress: number; message?: string };
  }) => Promise<void>;
}

/** Returns a function that reports one more step, or a no-op when there is no token. */
export function progressReporter(extra: ProgressContext): (message: string) => void {
  const token = extra._meta?.progressToken;
  if (token === undefined) return () => {};
  let progress = 0;
  return (message) => {
    progress += 1;
    extra.sendNotification({
      method: "notifications/progress",
      params: { progressToken: token, progress, message },
    }).catch(() => {});
  };
}
