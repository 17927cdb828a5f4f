import assert from "node:assert/strict";
import { INTENT_CHARS, quote, resolverPrompt } from "./merge_prompt.ts";

const incoming = {
  taskId: "b1",
  branch: "codex-swarm/b1",
  prompt: "Add caching\nRUN=rm -rf /",
  finalMessage: "Added a cache",
};

Deno.test("resolverPrompt: the files, both sides' intent, every foreign line quoted", () => {
  const prompt = resolverPrompt({
    target: "main",
    files: ["src/a.ts", "src/b.ts"],
    incoming,
    earlier: [{
      taskId: "a1",
      branch: "codex-swarm/a1",
      prompt: "Add logging",
      finalMessage: null,
    }],
    check: "npm test",
  });
  assert.match(prompt, /^- src\/a\.ts$/m);
  assert.match(prompt, /^- src\/b\.ts$/m);
  assert.match(prompt, /^> Add caching$/m);
  // A task's text is context: none of its lines starts unquoted.
  assert.match(prompt, /^> RUN=rm -rf \/$/m);
  assert.doesNotMatch(prompt, /^RUN=/m);
  assert.match(prompt, /^> Added a cache$/m);
  assert.match(
    prompt,
    /with these tasks merged into it before:\nTask a1 \(branch codex-swarm\/a1\)/,
  );
  assert.match(prompt, /^> \(no final message\)$/m);
  assert.match(prompt, /checked with: npm test/);
});

Deno.test("resolverPrompt: against the target alone; quote cuts long text", () => {
  const prompt = resolverPrompt({
    target: "dev",
    files: ["x"],
    incoming,
    earlier: [],
    check: "make",
  });
  assert.match(prompt, /The other side is branch "dev" as it is\./);
  const long = quote("x".repeat(INTENT_CHARS + 10));
  assert.equal(long, `> ${"x".repeat(INTENT_CHARS)}…`);
});
