/**
 * Web Streams that turn the bytes `codex exec --json` writes into parsed lines.
 *
 * `bytes -> TextDecoderStream -> LineSplitStream -> CodexEventStream`, or all at once with
 * {@link parseJsonlStream}. Invalid UTF-8 becomes U+FFFD (the decoder is not fatal), and a line that
 * is not an event becomes a `malformed` or `unknown` parsed line: the streams never error on
 * content.
 *
 * @example
 * ```ts
 * import { parseJsonlStream } from "./jsonl_stream.ts";
 * import { applyEvent, initialRunState } from "./run_state.ts";
 *
 * // In real use: (await Deno.open("events.jsonl")).readable, or a child process's stdout.
 * const bytes = ReadableStream.from([
 *   new TextEncoder().encode('{"type":"item.completed","item":{"id":"i","type":"agent_'),
 *   new TextEncoder().encode('message","text":"done"}}\n'),
 * ]);
 * let state = initialRunState();
 * for await (const parsed of parseJsonlStream(bytes)) {
 *   state = applyEvent(state, parsed);
 * }
 * console.log(state.finalMessage); // "done"
 * ```
 * @module
 */

import { type ParsedLine, parseEventLine } from "./codex_events.ts";

/**
 * Splits text into lines. A line ends at "\n"; a "\r" right before it is dropped too, also when the
 * two arrive in different chunks. A lone "\r" is not a line ending. Text after the last "\n" is kept
 * across chunks and emitted when the stream ends. Empty lines are emitted as "".
 *
 * @example
 * ```ts
 * import { LineSplitStream } from "./jsonl_stream.ts";
 *
 * const lines = ReadableStream.from(["a\r", "\nb", "c\n", "d"]).pipeThrough(new LineSplitStream());
 * await Array.fromAsync(lines); // ["a", "bc", "d"]
 * ```
 */
export class LineSplitStream extends TransformStream<string, string> {
  /**
   * Creates the stream. A line longer than `maxChars` is not kept whole: its first 200 characters
   * and a note go on instead (not JSON, so it counts as malformed), and memory stays bounded
   * however long a line is.
   */
  constructor(maxChars = MAX_LINE_CHARS) {
    // The text after the last line ending seen so far, as pieces (joined once a line ends, so a
    // long line arriving in many chunks costs linear time).
    let partial: string[] = [];
    let partialChars = 0;
    /** The start of an over-long line being skipped, or null. */
    let skipped: string | null = null;
    const emit = (line: string, controller: TransformStreamDefaultController<string>) => {
      controller.enqueue(line.endsWith("\r") ? line.slice(0, -1) : line);
    };
    const add = (piece: string) => {
      if (skipped !== null) return;
      partial.push(piece);
      partialChars += piece.length;
      if (partialChars > maxChars) {
        skipped = partial.join("").slice(0, 200);
        partial = [];
        partialChars = 0;
      }
    };
    const end = (controller: TransformStreamDefaultController<string>) => {
      if (skipped !== null) {
        emit(`${skipped}… (a line over ${maxChars} characters, not read)`, controller);
      } else {
        emit(partial.join(""), controller);
      }
      partial = [];
      partialChars = 0;
      skipped = null;
    };
    super({
      transform(chunk, controller) {
        let start = 0;
        let at = chunk.indexOf("\n");
        while (at !== -1) {
          add(chunk.slice(start, at));
          end(controller);
          start = at + 1;
          at = chunk.indexOf("\n", start);
        }
        if (start < chunk.length) add(chunk.slice(start));
      },
      flush(controller) {
        if (partial.length > 0 || skipped !== null) end(controller);
      },
    });
  }
}

/** The longest line {@link LineSplitStream} keeps whole, in characters (16 Mi). */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Parses lines of `codex exec --json` output with `parseEventLine`, skipping blank lines.
 *
 * @example
 * ```ts
 * import { CodexEventStream } from "./jsonl_stream.ts";
 *
 * const parsed = ReadableStream.from(['{"type":"turn.started"}', ""])
 *   .pipeThrough(new CodexEventStream());
 * await Array.fromAsync(parsed); // [{ kind: "event", event: { type: "turn.started" } }]
 * ```
 */
export class CodexEventStream extends TransformStream<string, ParsedLine> {
  /** Creates the stream. */
  constructor() {
    super({
      transform(line, controller) {
        const parsed = parseEventLine(line);
        if (parsed !== null) controller.enqueue(parsed);
      },
    });
  }
}

/**
 * The parsed lines of a byte stream of `codex exec --json` output (UTF-8, one JSON event a line).
 *
 * @param bytes E.g. a file's or a child process's `readable`.
 * @returns The parsed lines, blank lines skipped; ends when `bytes` ends.
 */
export function parseJsonlStream(bytes: ReadableStream<Uint8Array>): ReadableStream<ParsedLine> {
  return bytes
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new LineSplitStream())
    .pipeThrough(new CodexEventStream());
}
