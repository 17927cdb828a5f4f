import assert from "node:assert/strict";
import { detailLines } from "./view_detail.ts";
import { plainText } from "./view_text.ts";
import { task } from "../../tests/support/top_view_fixture.ts";

Deno.test("detailLines: every section, cut to the height; the message keeps its end", () => {
  const full = task("ffffffffffff", {
    phase: "failed",
    done: true,
    cwd: "/repo",
    prompt: "p ".repeat(200),
    failure: "model refused",
    last_tool: {
      kind: "command",
      summary: "make",
      status: "failed",
      exitCode: 2,
    },
    live: { message: "", commandOutput: "a\nb\nc\nd\ne\nf", plan: [], diffStat: null },
    todo_list: [
      { text: "one", completed: true },
      { text: "two", completed: false },
    ],
    worktree: {
      branch: "codex-swarm/ffffffffffff",
      files: [{ path: "a.ts", insertions: 5, deletions: 2 }, {
        path: "b.ts",
        insertions: 1,
        deletions: 0,
      }],
      insertions: 6,
      deletions: 2,
    },
    output: Array.from({ length: 40 }, (_, i) => `message line ${i}`).join("\n"),
    approval: { kind: "file_change", files: ["a.ts"], diff: "@@ -1 +1 @@\n-old\n+new" },
  });
  const lines = detailLines(full, 80, 40);
  const text = plainText(lines);
  assert.ok(lines.length <= 40);
  for (
    const part of [
      "Task ffffffffffff failed in /repo",
      "Waiting for approval (file_change)",
      "  files: a.ts",
      "  -old",
      "  +new",
      "Prompt",
      "Failure\n  model refused",
      "Last command\n  $ make (exit 2)",
      "  │ f",
      "Plan 1/2\n  [x] one\n  [ ] two",
      "Files changed: 2, +6 -2\n  a.ts +5 -2\n  b.ts +1 -0",
      "Result",
      "message line 39",
    ]
  ) assert.ok(text.includes(part), `missing ${JSON.stringify(part)} in\n${text}`);
  assert.ok(!text.includes("message line 0\n"), "the message's start was kept instead of its end");
  const minus = lines.find((l) => plainText([l]) === "  -old")!;
  assert.equal(minus[0]!.style?.color, "red");
  assert.equal(detailLines(full, 80, 5).length, 5);
});

Deno.test("detailLines: a task's text reaches the terminal without its control sequences", () => {
  const hostile = "\x1b]0;pwned\x07\x1b[2Jdone";
  const lines = detailLines(
    task("eeeeeeeeeeee", {
      prompt: hostile,
      output: hostile,
      live: { message: "", commandOutput: hostile, plan: [], diffStat: null },
    }),
    80,
    40,
  );
  const text = lines.flatMap((line) => line.map((s) => s.text)).join("\n");
  assert.match(text, /done/);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
});
