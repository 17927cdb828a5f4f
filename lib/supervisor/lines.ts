/**
 * Splits a byte stream into lines (without the `\n`; a trailing `\r` is kept).
 *
 * @example
 * ```ts
 * const split = new LineSplitter();
 * split.push(new TextEncoder().encode("a\nb")); // ["a"]
 * split.push(new TextEncoder().encode("\n")); // ["b"]
 * ```
 * @module
 */

/** Collects bytes and hands out whole lines. */
export class LineSplitter {
  #decoder = new TextDecoder();
  #pending = "";

  /** Adds bytes; returns the lines they completed. */
  push(chunk: Uint8Array): string[] {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    const parts = this.#pending.split("\n");
    this.#pending = parts.pop()!;
    return parts;
  }

  /** What is left after the last `\n`. */
  rest(): string {
    return this.#pending;
  }
}
