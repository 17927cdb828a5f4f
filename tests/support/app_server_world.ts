/**
 * One test's world for the app-server layer: the fake Responses API, a CODEX_HOME for it, a
 * project directory and a real `codex app-server` (the `codex` on PATH) started by
 * {@link AppServer.start}, with every notification recorded. Disposing stops them all.
 *
 * @example Not run: it starts the real `codex app-server` (the tests that use it run it).
 * ```ts ignore
 * await using world = await startAppServerWorld();
 * const turnId = await world.turn(await world.thread(), "say hi");
 * const turn = await world.completed(turnId);
 * ```
 * @module
 */

import assert from "node:assert/strict";
import { Logger } from "../../lib/base/log.ts";
import { AppServer } from "../../lib/codex/app_server.ts";
import type { AppServerEvent, KnownEvent, ThreadItem, Turn } from "../../lib/codex/events.ts";
import type { ThreadStartParams } from "../../lib/codex/protocol/generated/index.ts";
import { type FakeResponses, startFakeResponses, writeCodexHome } from "./fake_responses.ts";
import { eventually, testHome } from "./harness.ts";

/** How long any one real Codex turn in a test may take. */
export const TURN_LIMIT_MS = 60_000;

/** See the module doc. */
export interface AppServerWorld extends AsyncDisposable {
  fake: FakeResponses;
  codexHome: string;
  /** The HOME Codex and its commands get: empty, not the machine's. */
  home: string;
  /** The project directory threads start in. */
  cwd: string;
  server: AppServer;
  /** Every notification, parsed, oldest first. */
  events: AppServerEvent[];
  /** Every message the server sent, raw, oldest first. */
  raw: unknown[];
  /** Starts a thread in {@link cwd}; returns its id. */
  thread(params?: ThreadStartParams): Promise<string>;
  /** Starts a turn with `prompt`; returns its id. */
  turn(threadId: string, prompt: string): Promise<string>;
  /** Waits (at most {@link TURN_LIMIT_MS}) for the turn's `turn/completed`; returns its turn. */
  completed(turnId: string): Promise<Turn>;
  /** The items completed in a turn so far. */
  items(turnId: string): ThreadItem[];
}

/** Starts a world; `log` gets the client's log lines (default: warnings and worse to stderr). */
export async function startAppServerWorld(log?: Logger): Promise<AppServerWorld> {
  const fake = startFakeResponses();
  const codexHome = await writeCodexHome(fake.url);
  const cwd = await Deno.makeTempDir({ prefix: "app-server-test-" });
  const base = await Deno.makeTempDir({ prefix: "app-server-home-" });
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    // A HOME of its own, as the other worlds have: Codex runs commands in login shells, and the
    // machine's profile may stall the unsandboxed ones (a stale pyenv rehash lock held every
    // danger-full-access and escalated command for 60 s, failing three tests here).
    HOME: await testHome(base),
    CODEX_HOME: codexHome,
    MOCK_API_KEY: "test-key",
  };
  let server: AppServer;
  try {
    server = await AppServer.start({
      bin: "codex",
      env,
      log: log ?? new Logger({ level: "warning", file: null }),
    });
  } catch (error) {
    await fake[Symbol.asyncDispose]();
    await Deno.remove(base, { recursive: true }).catch(() => {});
    throw error;
  }
  const events: AppServerEvent[] = [];
  const raw: unknown[] = [];
  server.onEvent((event) => events.push(event));
  server.onMessage((message) => raw.push(message));
  const completedTurn = (turnId: string) =>
    events.find((e): e is Extract<KnownEvent, { method: "turn/completed" }> =>
      e.kind === "event" && e.method === "turn/completed" && e.params.turn.id === turnId
    );
  return {
    fake,
    codexHome,
    home: env.HOME!,
    cwd,
    server,
    events,
    raw,
    async thread(params: ThreadStartParams = {}) {
      const result = await server.request("thread/start", { cwd, ...params });
      return result.thread.id;
    },
    async turn(threadId: string, prompt: string) {
      const result = await server.request("turn/start", {
        threadId,
        input: [{ type: "text", text: prompt, text_elements: [] }],
      });
      return result.turn.id;
    },
    async completed(turnId: string) {
      const done = await eventually(() => completedTurn(turnId) !== undefined, TURN_LIMIT_MS);
      assert.ok(done, `turn ${turnId} did not complete within ${TURN_LIMIT_MS} ms`);
      return completedTurn(turnId)!.params.turn;
    },
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
      await Deno.remove(base, { recursive: true }).catch(() => {});
      await Deno.remove(codexHome, { recursive: true }).catch(() => {});
    },
  };
}
