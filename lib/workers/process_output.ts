/**
 * The output of one process on an exec-server, put together from its numbered events.
 *
 * The exec-server numbers every event of a process with one sequence: output chunks, then
 * `process/exited`, then `process/closed` (output may still come between the last two). The
 * notifications carry everything; `process/read` keeps only about the last MiB, so it only fills
 * gaps. {@link ProcessOutput.firstGap} names the first event not seen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const output = new ProcessOutput();
 * output.chunk(1, "stdout", new TextEncoder().encode("hi\n"));
 * output.exited(2, 0);
 * output.closed(3);
 * assert.equal(output.firstGap(), null); // all seen
 * assert.equal(new TextDecoder().decode(output.bytes("stdout")), "hi\n");
 * ```
 * @module
 */

/** A stream of a process: `pty` counts as stdout. */
export type OutputStream = "stdout" | "stderr" | "pty";

/** The events of one process, by sequence number. */
export class ProcessOutput {
  #chunks = new Map<number, { stream: OutputStream; data: Uint8Array }>();
  #seen = new Set<number>();
  #exitCode: number | null = null;
  #closedSeq: number | null = null;

  /** An output chunk (a repeated `seq` is ignored). */
  chunk(seq: number, stream: OutputStream, data: Uint8Array): void {
    if (this.#seen.has(seq)) return;
    this.#seen.add(seq);
    this.#chunks.set(seq, { stream, data });
  }

  /** The process exited with `code`. */
  exited(seq: number, code: number | null): void {
    this.#seen.add(seq);
    this.#exitCode = code;
  }

  /** All its output is in: the last event. */
  closed(seq: number): void {
    this.#seen.add(seq);
    this.#closedSeq = seq;
  }

  /** Whether `process/closed` was seen. */
  get isClosed(): boolean {
    return this.#closedSeq !== null;
  }

  /** The exit code, when known. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** The lowest sequence number before the close that was not seen, or null. */
  firstGap(): number | null {
    const last = this.#closedSeq ?? 0;
    for (let seq = 1; seq < last; seq++) if (!this.#seen.has(seq)) return seq;
    return null;
  }

  /** The bytes of one stream, in order (`stdout` includes `pty`). */
  bytes(stream: "stdout" | "stderr"): Uint8Array {
    const parts = [...this.#chunks.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, chunk]) => chunk)
      .filter((chunk) => (chunk.stream === "stderr") === (stream === "stderr"))
      .map((chunk) => chunk.data);
    const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}
