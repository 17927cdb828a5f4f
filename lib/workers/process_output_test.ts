import assert from "node:assert/strict";
import { ProcessOutput } from "./process_output.ts";

const bytes = (value: string) => new TextEncoder().encode(value);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("ProcessOutput orders chunks by seq, splits streams, counts pty as stdout", () => {
  const output = new ProcessOutput();
  output.chunk(3, "stdout", bytes("b"));
  output.chunk(1, "stdout", bytes("a"));
  output.chunk(2, "stderr", bytes("e"));
  output.chunk(4, "pty", bytes("c"));
  output.chunk(1, "stdout", bytes("dup"));
  output.exited(5, 2);
  assert.equal(output.isClosed, false);
  output.closed(6);
  assert.equal(output.isClosed, true);
  assert.equal(output.firstGap(), null);
  assert.equal(text(output.bytes("stdout")), "abc");
  assert.equal(text(output.bytes("stderr")), "e");
  assert.equal(output.exitCode, 2);
});

Deno.test("ProcessOutput.firstGap names the first event missed before the close", () => {
  const output = new ProcessOutput();
  output.chunk(1, "stdout", bytes("a"));
  output.chunk(3, "stdout", bytes("c"));
  output.exited(4, 0);
  output.closed(5);
  assert.equal(output.firstGap(), 2);
  output.chunk(2, "stdout", bytes("b"));
  assert.equal(output.firstGap(), null);
  assert.equal(text(output.bytes("stdout")), "abc");
});
