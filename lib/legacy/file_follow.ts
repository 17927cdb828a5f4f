/**
 * Follows a file that another process is still writing, as a Web stream of bytes (like `tail -f`),
 * until told the writer has finished; then reads to the end and closes.
 *
 * @example
 * ```ts
 * const follower = followFile("/tmp/task/events.jsonl");
 * // ... when the writer has exited:
 * follower.finish();
 * for await (const chunk of follower.readable) console.log(chunk.length);
 * ```
 * @module
 */

/** A followed file. */
export interface FileFollower {
  /** The bytes of the file, from the start, as they are written. */
  readable: ReadableStream<Uint8Array>;
  /** Says the writer is done: the stream reads what is left and closes. */
  finish(): void;
}

/** Options for {@link followFile}. */
export interface FollowOptions {
  /** How long to wait at the end of the file before looking again, in ms (default 50). */
  pollMs?: number;
  /** Stops following: the stream closes as soon as it sees the signal. */
  signal?: AbortSignal;
}

/** Follows `path` from its start; a file that does not exist yet is waited for. */
export function followFile(path: string, options: FollowOptions = {}): FileFollower {
  const pollMs = options.pollMs ?? 50;
  let finished = false;
  let wake: (() => void) | undefined;
  let file: Deno.FsFile | undefined;
  const buffer = new Uint8Array(64 * 1024);

  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (true) {
        if (options.signal?.aborted) {
          file?.close();
          controller.close();
          return;
        }
        // Sample the flag before reading, so a finish() during the read still gets one more read.
        const wasFinished = finished;
        if (!file) {
          try {
            file = await Deno.open(path, { read: true });
          } catch (error) {
            if (!(error instanceof Deno.errors.NotFound)) throw error;
            if (wasFinished) {
              controller.close();
              return;
            }
            await pause();
            continue;
          }
        }
        const n = await file.read(buffer);
        if (n !== null && n > 0) {
          controller.enqueue(buffer.slice(0, n));
          return;
        }
        if (wasFinished) {
          file.close();
          controller.close();
          return;
        }
        await pause();
      }
    },
    cancel() {
      file?.close();
    },
  });
  options.signal?.addEventListener("abort", () => wake?.(), { once: true });
  return {
    readable,
    finish() {
      finished = true;
      wake?.();
    },
  };
}
