import assert from "node:assert/strict";
import { isTaskId } from "./task_id.ts";

Deno.test("task ids: letters, digits, _ and -, 1 to 64; never a path, an option nor a bad branch", () => {
  for (const id of ["3f9a0c1d2e4b", "g-3f9a0c1d2e4b", "a", "A_b-9", "x".repeat(64)]) {
    assert.ok(isTaskId(id), id);
  }
  for (
    const id of [
      "",
      "x".repeat(65),
      "a.b",
      "..",
      "a.lock",
      "a/b",
      "/abs",
      "a\0b",
      "a b",
      "é",
      "-x",
      "_x",
    ]
  ) {
    assert.ok(!isTaskId(id), JSON.stringify(id));
  }
});
