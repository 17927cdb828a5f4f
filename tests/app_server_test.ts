/**
 * End-to-end tests of the app-server layer (`lib/codex/`) with the real `codex app-server` (the
 * pinned 0.169.0 on PATH) against the fake Responses API.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Logger } from "../lib/log.ts";
import { AppServer } from "../lib/codex/app_server.ts";
import type { AppServerEvent, KnownEvent, ServerRequest } from "../lib/codex/events.ts";
import { startFakeResponses, writeCodexHome } from "./support/fake_responses.ts";
import { eventually, processesMatching } from "./support/harness.ts";

/** How long any one real Codex turn in these tests may take. */
const TURN_LIMIT_MS = 60_000;

/** A fake API, a CODEX_HOME, a project directory and a started app-server, disposed together. */
async function startWorld() {
  const fake = startFakeResponses();
  const codexHome = await writeCodexHome(fake.url);
  const cwd = await Deno.makeTempDir({ prefix: "app-server-test-" });
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? cwd,
    CODEX_HOME: codexHome,
    MOCK_API_KEY: "test-key",
  };
  const log = new Logger({ level: "warning", file: null });
  const server = await AppServer.start({ bin: "codex", env, log });
  const events: AppServerEvent[] = [];
  server.onEvent((event) => events.push(event));
  return {
    fake,
    codexHome,
    cwd,
    server,
    events,
    /** Starts a thread in `cwd`; returns its id. */
    async thread(params: Record<string, unknown> = {}): Promise<string> {
      const result = await server.request("thread/start", { cwd, ...params }) as {
        thread: { id: string };
      };
      return result.thread.id;
    },
    /** Starts a turn with `prompt`; returns its id. */
    async turn(threadId: string, prompt: string): Promise<string> {
      const result = await server.request("turn/start", {
        threadId,
        input: [{ type: "text", text: prompt, text_elements: [] }],
      }) as { turn: { id: string } };
      return result.turn.id;
    },
    /** Waits (at most {@link TURN_LIMIT_MS}) for the turn's `turn/completed`. */
    async completed(turnId: string) {
      const found = () =>
        events.find((e): e is Extract<KnownEvent, { method: "turn/completed" }> =>
          e.kind === "event" && e.method === "turn/completed" && e.params.turn.id === turnId
        );
      assert.ok(await eventually(() => found() !== undefined, TURN_LIMIT_MS), "turn completed");
      return found()!.params.turn;
    },
    /** The completed items of a turn. */
    items(turnId: string) {
      return events.flatMap((e) =>
        e.kind === "event" && e.method === "item/completed" && e.params.turnId === turnId
          ? [e.params.item]
          : []
      );
    },
    async [Symbol.asyncDispose]() {
      await server.close();
      await fake[Symbol.asyncDispose]();
      await Deno.remove(cwd, { recursive: true }).catch(() => {});
      await Deno.remove(codexHome, { recursive: true }).catch(() => {});
    },
  };
}

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

export type { ServerRequest };
