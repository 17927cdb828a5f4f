import assert from "node:assert/strict";
import { fitResult } from "./result_limit.ts";
import { resultChars } from "./codex_diff.ts";

Deno.test("fitResult: a result within the limit is unchanged", () => {
  const result = { content: [{ type: "text", text: "short" }], structuredContent: { a: 1 } };
  assert.equal(fitResult("t", result, 2000), result);
});

Deno.test("fitResult: too long a text is cut and marked, the structured content kept", () => {
  const result = {
    content: [{ type: "text", text: "x\n".repeat(3000) }],
    structuredContent: { a: "y".repeat(500) },
  };
  const fitted = fitResult("t", result, 2000);
  assert.ok(resultChars(fitted) <= 2000, String(resultChars(fitted)));
  assert.deepEqual(fitted.structuredContent, result.structuredContent);
  assert.match(fitted.content[0]!.text!, /…\[cut: the result limit is 2000 characters/);
});

Deno.test("fitResult: too long a structured content is an error that says so", () => {
  const result: {
    content: Array<{ type: string; text?: string }>;
    structuredContent: unknown;
    isError?: boolean;
  } = {
    content: [{ type: "text", text: "x" }],
    structuredContent: { a: "y".repeat(3000) },
  };
  const fitted = fitResult("codex_list", result, 2000);
  assert.equal(fitted.isError, true);
  assert.ok(resultChars(fitted) <= 2000);
  assert.match(
    fitted.content[0]!.text!,
    /^Cannot answer codex_list within the result limit as its result has 3\d{3} characters and --max-result-chars is 2000/,
  );
});
