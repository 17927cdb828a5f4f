import assert from "node:assert/strict";
import { failureLine } from "./codex_stderr.ts";

Deno.test("with RUST_BACKTRACE=1 the cause is Codex's Error: line, not a frame", () => {
  const stderr = [
    "Error: unexpected status 401 Unauthorized: bad key",
    "",
    "Stack backtrace:",
    "   0: anyhow::error::<impl anyhow::Error>::msg",
    "             at /rustc/abc/library/core/src/ops/function.rs:250:5",
    "   1: std::rt::lang_start",
    "",
  ].join("\n");
  assert.equal(failureLine(stderr), "Error: unexpected status 401 Unauthorized: bad key");
});

Deno.test("without an Error: line the last line that is not a frame", () => {
  assert.equal(
    failureLine("warming up\nthread 'main' panicked at x\n   0: frame\n"),
    "thread 'main' panicked at x",
  );
  assert.equal(failureLine(""), "");
  assert.equal(failureLine("only line"), "only line");
});
