import assert from "node:assert/strict";
import plugin, { functionProblemsOf, MAX_FUNCTION_LINES } from "./function_lines.ts";

/** A function of `lines` lines named `name`, as source. */
function functionOf(name: string, lines: number): string {
  return `function ${name}() {\n${"  x();\n".repeat(lines - 2)}}\n`;
}

Deno.test("the plugin reports functions over the limit, with their names; nested ones too", () => {
  const source = [
    functionOf("short", MAX_FUNCTION_LINES),
    functionOf("long", MAX_FUNCTION_LINES + 1),
    `const arrow = () => {\n${"  x();\n".repeat(MAX_FUNCTION_LINES)}};\n`,
    `class C {\n  method() {\n${"    x();\n".repeat(MAX_FUNCTION_LINES)}  }\n}\n`,
  ].join("");
  const found = Deno.lint.runPlugin(plugin, "a.ts", source).map((d) => d.message);
  assert.deepEqual(found, [
    `long has ${MAX_FUNCTION_LINES + 1} lines`,
    `arrow has ${MAX_FUNCTION_LINES + 2} lines`,
    `method has ${MAX_FUNCTION_LINES + 2} lines`,
  ]);
});

Deno.test("functionProblemsOf: lib/'s modules only, not tests or the generated protocol", () => {
  const at = (path: string, line = 3) => ({
    filename: `file:///r/${path}`,
    range: { start: { line } },
    message: "f has 90 lines",
    code: "size/function-lines",
  });
  assert.deepEqual(
    functionProblemsOf([
      at("lib/tasks/a.ts"),
      at("lib/tasks/a_test.ts"),
      at("lib/codex/protocol/generated/x.ts"),
      at("tests/b_test.ts"),
      { ...at("lib/tasks/c.ts"), code: "other" },
    ], "file:///r/"),
    ["lib/tasks/a.ts:3: f has 90 lines (over 80): split it"],
  );
});
