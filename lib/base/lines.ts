/**
 * Splits a byte stream into lines (without the `\n`; a trailing `\r` is kept), in time linear in
 * the bytes: each chunk is scanned once for `\n`, and the bytes of an unfinished line are kept as
 * they came and joined once, when its `\n` comes. An optional limit bounds the length of a line
 * (and so what an unfinished one may hold).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const split = new LineSplitter(4096);
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * assert.deepEqual(split.push(bytes("a\nb")), ["a"]);
 * assert.deepEqual(split.push(bytes("\n")), ["b"]);
 * assert.throws(() => split.push(new Uint8Array(5000)), LineTooLongError);
 * ```
 * @module
 */

import { Buffer } from "node:buffer";

/** The byte `\n`. */
const NEWLINE = 10;

/** A line longer than the splitter's limit. */
export class LineTooLongError extends Error {
  /** @param limit The limit, in bytes. */
  constructor(readonly limit: number) {
    super(`Cannot read a line of more than ${limit} bytes`);
    this.name = "LineTooLongError";
  }
}

/** Collects bytes and hands out whole lines. */
export class LineSplitter {
  #decoder = new TextDecoder();
  /** The bytes of the unfinished line, copied (a reader may reuse its buffer). */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  /**
   * @param limit The longest line, in bytes without its `\n` (default Infinity: no limit); may be
   * changed later.
   */
  constructor(public limit = Infinity) {}

  /**
   * Adds bytes; returns the lines they completed.
   * @throws {LineTooLongError} When a line, finished or not, is longer than {@link limit}.
   */
  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      lines.push(this.#take(chunk.subarray(start, end)));
      start = end + 1;
    }
    if (start < chunk.length) {
      this.#check(this.#pendingBytes + chunk.length - start);
      this.#pending.push(chunk.slice(start));
      this.#pendingBytes += chunk.length - start;
    }
    return lines;
  }

  /** What is left after the last `\n`. */
  rest(): string {
    return this.#decoder.decode(Buffer.concat(this.#pending));
  }

  /** The pending bytes and `last` as one line; the pending bytes are cleared. */
  #take(last: Uint8Array): string {
    this.#check(this.#pendingBytes + last.length);
    const bytes = this.#pending.length === 0 ? last : Buffer.concat([...this.#pending, last]);
    this.#pending = [];
    this.#pendingBytes = 0;
    return this.#decoder.decode(bytes);
  }

  #check(bytes: number): void {
    if (bytes > this.limit) throw new LineTooLongError(this.limit);
  }
}
