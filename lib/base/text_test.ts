import assert from "node:assert/strict";
import { displayCommand, excerpt, jsonOf, oneLine, tail, truncate } from "./text.ts";

Deno.test("truncate and tail never split a surrogate pair", () => {
  assert.equal(truncate("abcdef", 4), "abc…");
  assert.equal(truncate("abc", 4), "abc");
  assert.equal(truncate("ab😀cd", 4), "ab…");
  assert.equal(tail("abcdef", 2), "ef");
  assert.equal(tail("ab😀cd", 3), "cd");
});

Deno.test("oneLine and excerpt put text on one line, cut", () => {
  assert.equal(oneLine(" a\n\tb  c "), "a b c");
  assert.equal(excerpt("x ".repeat(1000), 10), "x x x x x…");
  assert.equal(excerpt("one\n  two", 80), "one two");
});

Deno.test("jsonOf shows what JSON cannot", () => {
  assert.equal(jsonOf({ a: 1 }), '{"a":1}');
  assert.equal(jsonOf(undefined), "undefined");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(jsonOf(cyclic), "[object Object]");
});

Deno.test("displayCommand removes the shell wrapper Codex adds", () => {
  assert.equal(displayCommand("/bin/bash -lc 'ls -la'"), "ls -la");
  assert.equal(
    displayCommand("/bin/bash -lc 'sleep 1.5; echo watched'"),
    "sleep 1.5; echo watched",
  );
  assert.equal(displayCommand('bash -lc "echo \\"x\\""'), 'echo "x"');
  assert.equal(displayCommand("/bin/zsh -lc 'echo '\"'\"'q'\"'\"''"), "echo 'q'");
  assert.equal(displayCommand("/bin/zsh -lc 'echo it'\\''s'"), "echo it's");
  assert.equal(displayCommand("bash -c 'ls'"), "ls");
  assert.equal(displayCommand("/bin/sh -c ls"), "ls");
  // Not exactly one shell word after -lc: kept as is.
  assert.equal(displayCommand("/bin/bash -lc 'a' 'b'"), "/bin/bash -lc 'a' 'b'");
  assert.equal(displayCommand("/bin/bash -lc 'a' && rm x"), "/bin/bash -lc 'a' && rm x");
  assert.equal(displayCommand("/bin/bash -lc 'unterminated"), "/bin/bash -lc 'unterminated");
  assert.equal(displayCommand("ls -la"), "ls -la");
  assert.equal(displayCommand("python3 -c 'print(1)'"), "python3 -c 'print(1)'");
});
