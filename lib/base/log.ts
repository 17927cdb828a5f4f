/**
 * The server's logger: every line goes to stderr (never stdout, which carries MCP), to the log file
 * when one is set, and to the MCP client as `notifications/message` once a sink is attached.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const log = new Logger({ level: "info", file: null, stderr: (line) => lines.push(line) });
 * log.info("task started", { taskId: "abc" });
 * log.debug("not written: below the level");
 * assert.equal(lines.length, 1);
 * assert.match(lines[0]!, /task started/);
 * ```
 * @module
 */

/** Log levels, lowest first (the MCP logging levels this server uses). */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** A log file past this size is moved to `<file>.1` (one generation kept). */
export const LOG_ROTATE_BYTES = 5 * 1024 * 1024;
/** How many lines are written between two looks at the log file's size. */
const ROTATE_CHECK_LINES = 200;

/** Receives log lines for the MCP client. */
export type LogSink = (level: LogLevel, message: string, data: Record<string, unknown>) => void;

/** Options for {@link Logger}. */
export interface LoggerOptions {
  level: LogLevel;
  /** A file to append to, or null. */
  file: string | null;
  /** Where to write besides the file (default: stderr). */
  stderr?: (line: string) => void;
  /** Rotate the file past this size (default {@link LOG_ROTATE_BYTES}). */
  rotateBytes?: number;
}

/** A small leveled logger. */
export class Logger {
  #sinks = new Set<LogSink>();
  #linesSinceCheck = ROTATE_CHECK_LINES;

  constructor(private readonly options: Readonly<LoggerOptions>) {}

  /** Whether `level` is written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.options.level);
  }

  /** Attaches a sink (e.g. MCP logging); returns a function that detaches it. */
  attach(sink: LogSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  log(level: LogLevel, message: string, data: Record<string, unknown> = {}): void {
    this.#write(level, message, data, true);
  }

  /**
   * Logs to stderr and the file only, never to an attached sink: for errors that a client's
   * connection may have caused, so that reporting them cannot fail (and be reported) again.
   */
  local(level: LogLevel, message: string, data: Record<string, unknown> = {}): void {
    this.#write(level, message, data, false);
  }

  #write(level: LogLevel, message: string, data: Record<string, unknown>, sinks: boolean): void {
    if (!this.enabled(level)) return;
    const line = `${new Date().toISOString()} ${level.toUpperCase()} ${message}` +
      (Object.keys(data).length > 0 ? ` ${JSON.stringify(data)}` : "") + "\n";
    try {
      const { stderr } = this.options;
      if (stderr) stderr(line);
      else Deno.stderr.writeSync(new TextEncoder().encode(line));
    } catch {
      // stderr closed: the other outputs still get the line.
    }
    const { file } = this.options;
    if (file) {
      try {
        this.#rotateIfLarge(file);
        Deno.writeTextFileSync(file, line, { append: true, mode: 0o600 });
      } catch {
        // An unwritable log file must not stop the server.
      }
    }
    if (!sinks) return;
    for (const sink of this.#sinks) {
      try {
        sink(level, message, data);
      } catch {
        // A client that went away must not stop the server.
      }
    }
  }

  #rotateIfLarge(file: string): void {
    if (++this.#linesSinceCheck < ROTATE_CHECK_LINES) return;
    this.#linesSinceCheck = 0;
    try {
      const limit = this.options.rotateBytes ?? LOG_ROTATE_BYTES;
      if (Deno.statSync(file).size > limit) Deno.renameSync(file, `${file}.1`);
    } catch {
      // No file yet: nothing to rotate.
    }
  }

  debug(message: string, data?: Record<string, unknown>): void {
    this.log("debug", message, data);
  }
  info(message: string, data?: Record<string, unknown>): void {
    this.log("info", message, data);
  }
  warning(message: string, data?: Record<string, unknown>): void {
    this.log("warning", message, data);
  }
  error(message: string, data?: Record<string, unknown>): void {
    this.log("error", message, data);
  }
}
