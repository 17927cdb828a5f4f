/**
 * End-to-end tests of the app-server layer (`lib/codex/`) with the real `codex app-server` (the
 * Codex under test on PATH: the pinned one, or the newest tested) against the fake Responses API.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ServerRequest } from "../lib/codex/events.ts";
import { stopTurn } from "../lib/codex/stop_turn.ts";
import { hasIncludedThreadIds } from "../lib/codex/codex_versions.ts";
import { codexKnowsThread } from "../lib/codex/thread_lookup.ts";
import { startAppServerWorld as startWorld } from "./support/app_server_world.ts";
import { codexUnderTest } from "./support/codex_versions.ts";
import { eventually, processesMatching } from "./support/harness.ts";

Deno.test("app-server: a turn completes with its message and usage", async () => {
  await using world = await startWorld();
  assert.equal(world.server.info.version, codexUnderTest().version);
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

/** Answers every server request with `decision`, recording the requests. */
function answerAll(world: Awaited<ReturnType<typeof startWorld>>, decision: string) {
  const requests: ServerRequest[] = [];
  world.server.setRequestHandler((request) => {
    requests.push(request);
    return Promise.resolve({ decision });
  });
  return requests;
}

/** A number no other process has in its command line, for `sleep <marker>`. */
function sleepMarker(): string {
  return `300.${crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000}`;
}

/**
 * Waits until `sleep <marker>` itself runs: the login shell has read its profile and exec'd the
 * command. Killing a login shell in its profile can leave a stale lock behind (pyenv's rehash
 * lock, for one), which slows every later login shell of the machine.
 */
function sleepRuns(marker: string): Promise<boolean> {
  return eventually(() =>
    processesMatching(`sleep ${marker}`).some((p) => p.cmdline === `sleep ${marker}`)
  );
}

Deno.test("app-server: untrusted asks before a command; accept runs it", async () => {
  await using world = await startWorld();
  const requests = answerAll(world, "accept");
  const threadId = await world.thread({ approvalPolicy: "untrusted" });
  const turnId = await world.turn(threadId, "RUN=echo accepted-out");
  const turn = await world.completed(turnId);
  assert.equal(turn.status, "completed");
  assert.equal(requests.length, 1);
  const request = requests[0]!;
  assert.ok(
    request.kind === "request" && request.method === "item/commandExecution/requestApproval",
  );
  assert.equal(request.params.threadId, threadId);
  assert.equal(request.params.turnId, turnId);
  assert.equal(request.params.command, "/bin/bash -lc 'echo accepted-out'");
  assert.equal(request.params.cwd, world.cwd);
  assert.ok(request.params.availableDecisions?.includes("accept"));
  const command = world.items(turnId).find((i) => i.type === "commandExecution");
  assert.ok(command?.type === "commandExecution");
  assert.equal(command.id, request.params.itemId);
  assert.equal(command.status, "completed");
  assert.match(command.aggregatedOutput ?? "", /accepted-out/);
  // The server says when the request is settled.
  assert.ok(world.events.some((e) =>
    e.kind === "event" && e.method === "serverRequest/resolved" &&
    e.params.requestId === request.id
  ));
});

Deno.test("app-server: decline lets the turn finish with the command declined", async () => {
  await using world = await startWorld();
  const requests = answerAll(world, "decline");
  const threadId = await world.thread({ approvalPolicy: "untrusted" });
  const turnId = await world.turn(threadId, "RUN=echo declined-out");
  const turn = await world.completed(turnId);
  assert.equal(turn.status, "completed");
  assert.equal(requests.length, 1);
  const command = world.items(turnId).find((i) => i.type === "commandExecution");
  assert.ok(command?.type === "commandExecution");
  assert.equal(command.status, "declined");
  const message = world.items(turnId).findLast((i) => i.type === "agentMessage");
  assert.ok(message?.type === "agentMessage");
  assert.match(message.text, /rejected by user/);
});

Deno.test("app-server: cancel ends the turn interrupted", async () => {
  await using world = await startWorld();
  answerAll(world, "cancel");
  const threadId = await world.thread({ approvalPolicy: "untrusted" });
  const turnId = await world.turn(threadId, "RUN=echo cancelled-out");
  const turn = await world.completed(turnId);
  assert.equal(turn.status, "interrupted");
  const outputs = world.items(turnId).flatMap((i) =>
    i.type === "commandExecution" ? [i.aggregatedOutput ?? ""] : []
  );
  assert.ok(!outputs.some((o) => o.includes("cancelled-out")));
});

Deno.test("app-server: on-request asks for an escalated command with its justification", async () => {
  await using world = await startWorld();
  const requests = answerAll(world, "accept");
  const outside = await Deno.makeTempDir({ prefix: "escalated-" });
  try {
    const threadId = await world.thread({ approvalPolicy: "on-request", sandbox: "read-only" });
    const turnId = await world.turn(threadId, `ESCALATE=touch ${outside}/made`);
    await world.completed(turnId);
    assert.equal(requests.length, 1);
    const request = requests[0]!;
    assert.ok(
      request.kind === "request" && request.method === "item/commandExecution/requestApproval",
    );
    assert.equal(request.params.reason, `MOCK needs touch ${outside}/made outside the sandbox`);
    // Accepted, it ran outside the read-only sandbox.
    assert.ok((await Deno.stat(`${outside}/made`)).isFile);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("app-server: on-request runs a plain command without asking", async () => {
  await using world = await startWorld();
  const requests = answerAll(world, "decline");
  const threadId = await world.thread({ approvalPolicy: "on-request" });
  const turnId = await world.turn(threadId, "RUN=echo quiet-out");
  await world.completed(turnId);
  assert.deepEqual(requests, []);
});

Deno.test("app-server: a patch asks under untrusted, its diff in the item before", async () => {
  await using world = await startWorld();
  const requests = answerAll(world, "accept");
  const threadId = await world.thread({ approvalPolicy: "untrusted" });
  const turnId = await world.turn(threadId, "PATCH=added.txt");
  await world.completed(turnId);
  const request = requests.find((r) => r.method === "item/fileChange/requestApproval");
  assert.ok(request?.kind === "request" && request.method === "item/fileChange/requestApproval");
  const started = world.events.find((e) =>
    e.kind === "event" && e.method === "item/started" && e.params.item.type === "fileChange"
  );
  assert.ok(started?.kind === "event" && started.method === "item/started");
  assert.equal(started.params.item.id, request.params.itemId);
  assert.ok(started.params.item.type === "fileChange");
  assert.deepEqual(started.params.item.changes.map((c) => [c.path, c.kind.type, c.diff]), [
    [`${world.cwd}/added.txt`, "add", "MOCK-PATCH added.txt\n"],
  ]);
  assert.equal(await Deno.readTextFile(`${world.cwd}/added.txt`), "MOCK-PATCH added.txt\n");
});

Deno.test("app-server: a steer reaches a held turn", async () => {
  await using world = await startWorld();
  const threadId = await world.thread();
  const turnId = await world.turn(threadId, "first words HOLD=2000");
  const steered = await world.server.request("turn/steer", {
    threadId,
    expectedTurnId: turnId,
    input: [{ type: "text", text: "steered words", text_elements: [] }],
  });
  assert.equal(steered.turnId, turnId);
  const turn = await world.completed(turnId);
  assert.equal(turn.status, "completed");
  const message = world.items(turnId).findLast((i) => i.type === "agentMessage");
  assert.ok(message?.type === "agentMessage");
  assert.equal(message.text, "MOCK-DONE first words HOLD=2000 | steered words");
});

Deno.test("app-server: an output schema gets the JSON answer", async () => {
  await using world = await startWorld();
  const threadId = await world.thread();
  const result = await world.server.request("turn/start", {
    threadId,
    input: [{ type: "text", text: 'answer JSON={"ok": true}', text_elements: [] }],
    outputSchema: {
      type: "object",
      properties: { ok: { type: "boolean" } },
      required: ["ok"],
      additionalProperties: false,
    },
  });
  await world.completed(result.turn.id);
  const message = world.items(result.turn.id).findLast((i) => i.type === "agentMessage");
  assert.ok(message?.type === "agentMessage");
  assert.equal(message.text, '{"ok": true}');
});

Deno.test("app-server: stopTurn ends a running command's turn and kills the command", async () => {
  await using world = await startWorld();
  const marker = sleepMarker();
  const threadId = await world.thread({ approvalPolicy: "never", sandbox: "workspace-write" });
  const turnId = await world.turn(threadId, `RUN=sleep ${marker}`);
  assert.ok(await sleepRuns(marker));
  await stopTurn(world.server, threadId, turnId);
  assert.deepEqual(processesMatching(`sleep ${marker}`), []);
  assert.equal((await world.completed(turnId)).status, "interrupted");
});

Deno.test("app-server: stopTurn kills a command left as a background terminal", async () => {
  await using world = await startWorld();
  const marker = sleepMarker();
  const threadId = await world.thread({ approvalPolicy: "never", sandbox: "danger-full-access" });
  const turnId = await world.turn(threadId, `YIELD=300 RUN=sleep ${marker}`);
  // The turn ends while the command runs on: interrupt alone cannot reach it.
  assert.equal((await world.completed(turnId)).status, "completed");
  assert.ok(await sleepRuns(marker));
  await stopTurn(world.server, threadId, turnId);
  assert.deepEqual(processesMatching(`sleep ${marker}`), []);
});

Deno.test("app-server: closing the client kills a running command too", async () => {
  await using world = await startWorld();
  const marker = sleepMarker();
  const threadId = await world.thread({ approvalPolicy: "never", sandbox: "danger-full-access" });
  await world.turn(threadId, `YIELD=300 RUN=sleep ${marker}`);
  assert.ok(await sleepRuns(marker));
  await world.server.close();
  assert.ok(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 5_000));
});

Deno.test("app-server: the model's question (plan mode) reaches the handler, the answer the model", async () => {
  await using world = await startWorld();
  const requests: ServerRequest[] = [];
  world.server.setRequestHandler((request) => {
    requests.push(request);
    return Promise.resolve({ answers: { q1: { answers: ["No"] } } });
  });
  const threadId = await world.thread();
  const { turn } = await world.server.request("turn/start", {
    threadId,
    input: [{ type: "text", text: "ASK=Shall I go on?", text_elements: [] }],
    // request_user_input is a tool of plan mode only ("unavailable in Default mode").
    collaborationMode: {
      mode: "plan",
      settings: { model: "mock-model", reasoning_effort: null, developer_instructions: null },
    },
  });
  await world.completed(turn.id);
  assert.equal(requests.length, 1);
  const request = requests[0]!;
  assert.ok(request.kind === "request" && request.method === "item/tool/requestUserInput");
  assert.deepEqual(request.params.questions.map((q) => [q.id, q.question]), [
    ["q1", "Shall I go on?"],
  ]);
  const message = world.items(turn.id).findLast((i) => i.type === "agentMessage");
  assert.ok(message?.type === "agentMessage");
  assert.match(message.text, /OUTPUT: \{"answers":\{"q1":\{"answers":\["No"\]\}\}\}$/);
});

Deno.test("app-server: a thread is looked up by id where Codex can (0.171 on), else null", async () => {
  await using world = await startWorld();
  const threadId = await world.thread();
  await world.completed(await world.turn(threadId, "be remembered"));
  const other = await world.thread();
  await world.completed(await world.turn(other, "another thread"));
  const unknown = "019a0000-0000-7000-8000-000000000000";
  const [known, missing] = [
    await codexKnowsThread(world.server, threadId),
    await codexKnowsThread(world.server, unknown),
  ];
  if (hasIncludedThreadIds(world.server.info.version)) {
    assert.deepEqual([known, missing], [true, false]);
  } else {
    // 0.169 and 0.170 ignore includedThreadIds and list every thread: no answer by id.
    assert.deepEqual([known, missing], [null, null]);
  }
});

Deno.test("app-server: commands get the world's own HOME, so the machine's profile cannot stall them", async () => {
  await using world = await startWorld();
  assert.notEqual(world.home, Deno.env.get("HOME"));
  const threadId = await world.thread({ approvalPolicy: "never", sandbox: "danger-full-access" });
  const turnId = await world.turn(threadId, "RUN=echo home=$HOME");
  await world.completed(turnId);
  const outputs = world.items(turnId).flatMap((i) =>
    i.type === "commandExecution" ? [i.aggregatedOutput ?? ""] : []
  );
  assert.deepEqual(outputs.map((o) => o.trim()), [`home=${world.home}`]);
});
