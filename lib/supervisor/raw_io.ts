/**
 * Reading and writing through Deno's plain `read`/`write` calls rather than Web Streams: a
 * process's first use of `readable`/`writable` loads the streams code, which costs a front-end
 * some 20 to 40 ms of its start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // The front-end relays Deno.stdin to the supervisor this way: `chunks(Deno.stdin)`.
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "one line\n");
 * const out: string[] = [];
 * const write = orderedWriter({ write: (p) => Promise.resolve(out.push(new TextDecoder().decode(p)) && p.length) });
 * using input = await Deno.open(file);
 * for await (const chunk of chunks(input)) await write(chunk);
 * assert.deepEqual(out, ["one line\n"]);
 * await Deno.remove(file);
 * ```
 * @module
 */

/**
 * The chunks `reader` (something with Deno's `read`) gives until its end (each valid until the
 * next is asked for).
 */
export async function* chunks(
  reader: Pick<Deno.FsFile, "read">,
  size = 64 * 1024,
): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(size);
  while (true) {
    const n = await reader.read(buffer);
    if (n === null) return;
    yield buffer.subarray(0, n);
  }
}

/**
 * A function that writes all of each byte array it gets, in the order it got them, to `writer`
 * (something with Deno's `write`, which may write less than it is given).
 */
export function orderedWriter(
  writer: Pick<Deno.FsFile, "write">,
): (bytes: Uint8Array) => Promise<void> {
  let last = Promise.resolve();
  return (bytes) => {
    const next = last.then(async () => {
      let done = 0;
      while (done < bytes.length) done += await writer.write(bytes.subarray(done));
    });
    last = next.catch(() => {});
    return next;
  };
}
