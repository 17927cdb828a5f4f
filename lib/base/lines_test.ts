import assert from "node:assert/strict";
import { LineSplitter, LineTooLongError } from "./lines.ts";

Deno.test("lines split across chunks and multi-byte characters come out whole", () => {
  const split = new LineSplitter();
  const bytes = new TextEncoder().encode("a\nbé\nc");
  assert.deepEqual(split.push(bytes.subarray(0, 4)), ["a"]);
  assert.deepEqual(split.push(bytes.subarray(4)), ["bé"]);
  assert.equal(split.rest(), "c");
  assert.deepEqual(split.push(new TextEncoder().encode("d\r\n\n")), ["cd\r", ""]);
  assert.equal(split.rest(), "");
});

Deno.test("a reader's reused buffer does not change a pending line", () => {
  const split = new LineSplitter();
  const buffer = new TextEncoder().encode("abc");
  split.push(buffer);
  buffer.set(new TextEncoder().encode("xyz"));
  assert.deepEqual(split.push(new TextEncoder().encode("\n")), ["abc"]);
});

Deno.test("a line over the limit throws, finished or not; the limit may change", () => {
  const split = new LineSplitter(4);
  assert.deepEqual(split.push(new TextEncoder().encode("1234\n12")), ["1234"]);
  assert.throws(() => split.push(new TextEncoder().encode("345")), LineTooLongError);
  const finished = new LineSplitter(4);
  assert.throws(() => finished.push(new TextEncoder().encode("12345\n")), /more than 4 bytes/);
  const raised = new LineSplitter(4);
  raised.limit = 10;
  assert.deepEqual(raised.push(new TextEncoder().encode("1234567890\n")), ["1234567890"]);
});

Deno.test("50 MB without a newline in 64 KB chunks is read in linear time", () => {
  // The splitter that re-split its whole pending text on every chunk took minutes here (and
  // hundreds of MB); this one scans each byte once. Measured, not asserted: timing is no verdict.
  const split = new LineSplitter();
  const chunk = new Uint8Array(64 * 1024).fill(0x78);
  const begin = performance.now();
  for (let i = 0; i < 800; i++) split.push(chunk);
  const line = split.push(new TextEncoder().encode("\n"));
  console.log(`50 MB line split in ${(performance.now() - begin).toFixed(0)} ms`);
  assert.equal(line[0]!.length, 800 * 64 * 1024);
});
