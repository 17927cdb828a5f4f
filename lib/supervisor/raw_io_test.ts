import assert from "node:assert/strict";
import { chunks, orderedWriter } from "./raw_io.ts";

Deno.test("an ordered writer writes everything in order, across short writes", async () => {
  const out: number[] = [];
  const write = orderedWriter({
    write: async (p) => {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      out.push(p[0]!);
      return 1;
    },
  });
  await Promise.all([write(new Uint8Array([1, 2, 3])), write(new Uint8Array([4]))]);
  assert.deepEqual(out, [1, 2, 3, 4]);
});

Deno.test("chunks ends at the reader's end", async () => {
  const parts = [new Uint8Array([1, 2]), new Uint8Array([3])];
  const reader = {
    read: (p: Uint8Array) => {
      const next = parts.shift();
      if (!next) return Promise.resolve(null);
      p.set(next);
      return Promise.resolve(next.length);
    },
  };
  const seen: number[] = [];
  for await (const chunk of chunks(reader)) seen.push(...chunk);
  assert.deepEqual(seen, [1, 2, 3]);
});
