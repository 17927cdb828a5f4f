import assert from "node:assert/strict";
import { delay, withTimeout } from "./delay.ts";

Deno.test("withTimeout gives the work's value, or timeout when it is late", async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 1_000), 7);
  assert.equal(await withTimeout(new Promise(() => {}), 5), "timeout");
  await delay(1);
});

Deno.test("withTimeout passes on a rejection and leaves no timer running", async () => {
  await assert.rejects(withTimeout(Promise.reject(new Error("boom")), 60_000), /boom/);
});
