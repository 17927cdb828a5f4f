import assert from "node:assert/strict";
import {
  afterTaskEnd,
  BACKOFF_FIRST_MS,
  BACKOFF_MAX_MS,
  isRateLimited,
  NO_BACKOFF,
  startAllowedAt,
} from "./backoff.ts";

const rateLimited = {
  phase: "failed" as const,
  failure: "unexpected status 429 Too Many Requests",
};

Deno.test("a 429 holds back starts, doubling up to the maximum", () => {
  let backoff = NO_BACKOFF;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    backoff = afterTaskEnd(backoff, rateLimited, 1000);
    delays.push(backoff.until! - 1000);
  }
  assert.deepEqual(delays, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  assert.equal(delays[0], BACKOFF_FIRST_MS);
  assert.equal(delays.at(-1), BACKOFF_MAX_MS);
  assert.equal(startAllowedAt(backoff, 1000 + 59_999), false);
  assert.equal(startAllowedAt(backoff, 1000 + 60_000), true);
});

Deno.test("a completed task resets the back-off; other failures leave it", () => {
  const held = afterTaskEnd(NO_BACKOFF, rateLimited, 0);
  assert.deepEqual(afterTaskEnd(held, { phase: "failed", failure: "status 500" }, 5), held);
  assert.deepEqual(afterTaskEnd(held, { phase: "cancelled", failure: "429" }, 5), held);
  assert.deepEqual(afterTaskEnd(held, { phase: "completed", failure: null }, 5), NO_BACKOFF);
  assert.equal(startAllowedAt(NO_BACKOFF, 0), true);
});

Deno.test("rate limits are told from other failures", () => {
  assert.equal(isRateLimited("exceeded retry limit, last status: 429 Too Many Requests"), true);
  assert.equal(isRateLimited("Rate limit reached"), true);
  assert.equal(isRateLimited("unexpected status 500"), false);
  assert.equal(isRateLimited(null), false);
});
