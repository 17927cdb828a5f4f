import assert from "node:assert/strict";
import { LineSplitter } from "./lines.ts";

Deno.test("lines split across chunks and multi-byte characters come out whole", () => {
  const split = new LineSplitter();
  const bytes = new TextEncoder().encode("a\nbé\nc");
  assert.deepEqual(split.push(bytes.subarray(0, 4)), ["a"]);
  assert.deepEqual(split.push(bytes.subarray(4)), ["bé"]);
  assert.equal(split.rest(), "c");
});
