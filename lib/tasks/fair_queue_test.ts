import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { FairQueue } from "./fair_queue.ts";

Deno.test("FairQueue serves sessions in turn, each in FIFO order", () => {
  const queue = new FairQueue();
  for (let i = 0; i < 4; i++) queue.push("busy", `b${i}`);
  queue.push("quiet", "q0");
  queue.push("quiet", "q1");
  const order = [];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) order.push(id);
  assertEquals(order, ["b0", "q0", "b1", "q1", "b2", "b3"]);
});

Deno.test("FairQueue removes a waiting task and forgets empty lanes", () => {
  const queue = new FairQueue();
  queue.push("a", "1");
  queue.push("b", "2");
  assertEquals(queue.remove("1"), true);
  assertEquals(queue.remove("1"), false);
  assertEquals(queue.shift(), "2");
  assertEquals(queue.shift(), undefined);
});

Deno.test("FairQueue.shift skips what cannot start without losing its place or turn", () => {
  const queue = new FairQueue();
  queue.push("a", "a-pinned");
  queue.push("a", "a-free");
  queue.push("b", "b-pinned");
  queue.push("b", "b-free");
  const startable = (id: string) => !id.endsWith("pinned");
  assertEquals(queue.shift(startable), "a-free");
  assertEquals(queue.shift(startable), "b-free");
  assertEquals(queue.shift(startable), undefined);
  // The skipped tasks kept their order: the oldest first, sessions in turn.
  assertEquals(queue.shift(), "a-pinned");
  assertEquals(queue.shift(), "b-pinned");
});
