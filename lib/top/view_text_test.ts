import assert from "node:assert/strict";
import { fit, formatElapsed, formatTokens, wrap } from "./view_text.ts";

Deno.test("formatting helpers", () => {
  assert.equal(formatElapsed(null), "-");
  assert.equal(formatElapsed(5.04), "5.0s");
  assert.equal(formatElapsed(65), "1m05s");
  assert.equal(formatElapsed(7260), "2h01m");
  assert.equal(formatTokens(null), "-");
  assert.equal(formatTokens(999), "999");
  assert.equal(formatTokens(1234), "1.2k");
  assert.equal(formatTokens(45_678), "46k");
  assert.equal(formatTokens(4_500_000), "4.5M");
  assert.equal(fit("abcdef", 4), "abc…");
  assert.equal(fit("ab", 4, true), "ab  ");
  assert.equal(fit("a\x1b[31mb", 10), "a [31mb", "control characters cannot reach the terminal");
  assert.deepEqual(wrap("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
  assert.deepEqual(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
  assert.deepEqual(wrap("a\n\nb", 4), ["a", "", "b"]);
});
