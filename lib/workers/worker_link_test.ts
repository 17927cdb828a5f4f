import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import { parseWorkerUrl } from "./worker_config.ts";
import { WorkerLink } from "./worker_link.ts";

Deno.test("a down worker's retries leave nothing waiting on the link's close", async () => {
  // A wait per retry that subscribed to one long-lived promise would hold on to a reaction per
  // retry for as long as the worker stays down: count the subscriptions of every promise.
  const subscriptions = new WeakMap<Promise<unknown>, number>();
  let most = 0;
  const then = Promise.prototype.then;
  Promise.prototype.then = function (this: Promise<unknown>, ...args) {
    const count = (subscriptions.get(this) ?? 0) + 1;
    subscriptions.set(this, count);
    most = Math.max(most, count);
    return then.apply(this, args) as never;
  };
  let opens = 0;
  const enough = Promise.withResolvers<void>();
  const transport = {
    open: () => {
      if (++opens === 20) enough.resolve();
      return Promise.reject(new Error("the worker is away"));
    },
    close: () => Promise.resolve(),
  };
  const link = new WorkerLink(
    {
      name: "w",
      address: parseWorkerUrl("ws://127.0.0.1:1", "w"),
      tokenFile: null,
      cap: 1,
      codexBin: "codex",
    },
    transport,
    {
      log: new Logger({ level: "error", file: null, stderr: () => {} }),
      codexVersion: () => Promise.resolve(null),
      retry: { firstMs: 1, maxMs: 1 },
    },
    () => {},
  );
  try {
    await enough.promise;
    assert.equal(link.status().state, "down");
  } finally {
    Promise.prototype.then = then;
    await link.close();
  }
  assert.ok(most < 5, `a promise was subscribed to ${most} times`);
});
