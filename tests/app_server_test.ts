/**
 * End-to-end tests of the app-server layer (`lib/codex/`) with the real `codex app-server` (the
 * pinned 0.169.0 on PATH) against the fake Responses API.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startAppServerWorld as startWorld } from "./support/app_server_world.ts";
import { processesMatching } from "./support/harness.ts";

Deno.test("app-server: a turn completes with its message and usage", async () => {
  await using world = await startWorld();
  assert.equal(world.server.info.version, "0.169.0");
  assert.equal(world.server.info.codexHome, world.codexHome);
  const threadId = await world.thread();
  const turnId = await world.turn(threadId, "say hello");
  const turn = await world.completed(turnId);
  assert.equal(turn.status, "completed");
  const messages = world.items(turnId).flatMap((i) => i.type === "agentMessage" ? [i.text] : []);
  assert.deepEqual(messages, ["MOCK-DONE say hello"]);
  const usage = world.events.findLast((e) =>
    e.kind === "event" && e.method === "thread/tokenUsage/updated"
  );
  assert.ok(usage?.kind === "event" && usage.method === "thread/tokenUsage/updated");
  assert.equal(usage.params.tokenUsage.last.inputTokens, 10);
  assert.equal(usage.params.tokenUsage.last.outputTokens, 5);
});

Deno.test("app-server: closing the client leaves no app-server process", async () => {
  await using world = await startWorld();
  const pid = world.server.pid;
  await world.turn(await world.thread(), "hi");
  await world.server.close();
  const exit = await world.server.exited;
  assert.equal(exit.signal, null);
  const alive = processesMatching("app-server").filter((p) => p.pid === pid);
  assert.deepEqual(alive, []);
  await assert.rejects(world.server.request("thread/start", {}), /is gone|closing/);
});

Deno.test("app-server: a server request without a handler gets an error reply", async () => {
  await using world = await startWorld();
  const threadId = await world.thread({ approvalPolicy: "untrusted" });
  const turnId = await world.turn(threadId, "RUN=echo no-handler-here");
  const turn = await world.completed(turnId);
  // The server took the error reply as a refusal: the command did not run.
  const command = world.items(turnId).find((i) => i.type === "commandExecution");
  assert.ok(command?.type === "commandExecution");
  assert.notEqual(command.status, "completed");
  assert.ok(["completed", "interrupted", "failed"].includes(turn.status));
});
