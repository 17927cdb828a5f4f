/**
 * Reading the cause of a failure out of Codex's stderr. Codex prints `Error: <cause>` before it
 * exits; with `RUST_BACKTRACE=1` a backtrace follows, whose last line is a frame, not the cause.
 *
 * @example
 * ```ts
 * import { failureLine } from "./codex_stderr.ts";
 *
 * failureLine("Error: unexpected status 401\n\nStack backtrace:\n   0: std::rt::lang_start\n");
 * // "Error: unexpected status 401"
 * ```
 * @module
 */

/** The longest line returned, in characters. */
const MAX_LINE = 500;

/** Whether a line belongs to a Rust backtrace or panic report rather than the message. */
function isBacktraceLine(line: string): boolean {
  return /^(\d+:\s|at\s|Stack backtrace:|stack backtrace:|note: run with `RUST_BACKTRACE|note: Some details are omitted)/
    .test(line);
}

/**
 * The line of Codex's stderr that says why it failed: the last `Error:` line when there is one,
 * else the last line that is not part of a backtrace; "" when stderr is empty.
 */
export function failureLine(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const error = lines.findLast((l) => /^Error:/.test(l)) ??
    lines.findLast((l) => !isBacktraceLine(l)) ?? lines.at(-1) ?? "";
  return error.length > MAX_LINE ? error.slice(0, MAX_LINE) : error;
}
