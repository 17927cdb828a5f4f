import assert from "node:assert/strict";
import { unwrapShell } from "./shell_command.ts";

Deno.test("unwrapShell shows the command inside Codex's login shell", () => {
  assert.equal(unwrapShell("/bin/bash -lc 'sleep 1.5; echo watched'"), "sleep 1.5; echo watched");
  assert.equal(unwrapShell("/bin/zsh -lc 'echo it'\\''s'"), "echo it's");
  assert.equal(unwrapShell("bash -c 'ls'"), "ls");
  assert.equal(unwrapShell("ls -la"), "ls -la");
  assert.equal(unwrapShell("/bin/bash -lc 'a' && rm x"), "/bin/bash -lc 'a' && rm x");
});
