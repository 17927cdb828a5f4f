import assert from "node:assert/strict";
import { TimeBudget } from "./time_budget.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("TimeBudget expires after its running time, not counting pauses", async () => {
  let expired = 0;
  const budget = new TimeBudget(200, () => expired++);
  budget.run();
  assert.ok(budget.deadline !== null);
  await sleep(100);
  budget.pause();
  assert.equal(budget.deadline, null);
  await sleep(250);
  assert.equal(expired, 0, "paused time must not count");
  budget.run();
  await sleep(250);
  assert.equal(expired, 1);
  budget.stop();
});

Deno.test("TimeBudget without a limit never expires; stop prevents expiry", async () => {
  let expired = 0;
  const none = new TimeBudget(null, () => expired++);
  none.run();
  assert.equal(none.deadline, null);
  const stopped = new TimeBudget(50, () => expired++);
  stopped.run();
  stopped.stop();
  stopped.run();
  await sleep(100);
  assert.equal(expired, 0);
});
