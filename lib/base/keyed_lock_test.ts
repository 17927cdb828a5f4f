import assert from "node:assert/strict";
import { KeyedLock } from "./keyed_lock.ts";

/** A promise and its resolver, to hold an operation open. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => open = resolve);
  return { open, opened };
}

Deno.test("KeyedLock: operations on one key run one after another, in order", async () => {
  const locks = new KeyedLock();
  const seen: string[] = [];
  const first = gate();
  const a = locks.run("k", async () => {
    seen.push("a starts");
    await first.opened;
    seen.push("a ends");
  });
  const b = locks.run("k", () => (seen.push("b runs"), Promise.resolve()));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, ["a starts"]);
  first.open();
  await Promise.all([a, b]);
  assert.deepEqual(seen, ["a starts", "a ends", "b runs"]);
});

Deno.test("KeyedLock: a failed operation releases its key; other keys never wait", async () => {
  const locks = new KeyedLock();
  const held = gate();
  const slow = locks.run("x", () => held.opened);
  assert.equal(await locks.run("y", () => Promise.resolve("y ran")), "y ran");
  await assert.rejects(locks.run("z", () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await locks.run("z", () => Promise.resolve("z again")), "z again");
  held.open();
  await slow;
});

Deno.test("KeyedLock.hold: holds every key; crossing key lists do not deadlock", async () => {
  const locks = new KeyedLock();
  const runAll = async (keys: string[], fn: () => Promise<void>) => {
    using _held = await locks.hold(keys);
    await fn();
  };
  const seen: string[] = [];
  const held = gate();
  const both = runAll(["b", "a", "a"], async () => {
    seen.push("both");
    await held.opened;
  });
  const other = runAll(["a", "b"], () => (seen.push("other"), Promise.resolve()));
  const onB = locks.run("b", () => (seen.push("b"), Promise.resolve()));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, ["both"]);
  held.open();
  await Promise.all([both, other, onB]);
  assert.deepEqual(seen, ["both", "other", "b"]);
});

Deno.test("KeyedLock.hold: the keys stay held until the block ends", async () => {
  const locks = new KeyedLock();
  const seen: string[] = [];
  const after = (async () => {
    using _held = await locks.hold(["k"]);
    seen.push("held");
    await new Promise((resolve) => setTimeout(resolve, 0));
    seen.push("block ends");
  })();
  const next = locks.run("k", () => (seen.push("next"), Promise.resolve()));
  await Promise.all([after, next]);
  assert.deepEqual(seen, ["held", "block ends", "next"]);
});
