/**
 * End-to-end: a client that goes away while the server writes to it. The server must stop
 * promptly instead of looping on EPIPE (write fails, the failure is logged, the log line is sent
 * to the client, that write fails, ...).
 */

import assert from "node:assert/strict";
import { SERVER_PERMISSIONS } from "../lib/supervisor/permissions.ts";
import { eventually, initializeLine, makeWorld, startServer, textOf } from "./support/harness.ts";
import type { Client } from "./support/sdk_client.ts";

const ROOT = new URL("../", import.meta.url).pathname;

function frame(message: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message) + "\n");
}

Deno.test(
  "a client gone mid-stream (stdout closed, stdin open) stops the server promptly",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using world = await makeWorld();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...SERVER_PERMISSIONS, `${ROOT}main.ts`],
      env: world.env,
      clearEnv: true,
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderrText = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let stderr = "";
    (async () => {
      for (;;) {
        const { value, done } = await stderrText.read();
        if (done) return;
        stderr = (stderr + value).slice(-20_000);
      }
    })();
    const writer = child.stdin.getWriter();
    const reader = child.stdout.getReader();
    try {
      await writer.write(initializeLine("gone"));
      const first = await reader.read();
      assert.ok(first.value && new TextDecoder().decode(first.value).includes('"id":1'));
      await writer.write(frame({ jsonrpc: "2.0", method: "notifications/initialized" }));
      await writer.write(frame({
        jsonrpc: "2.0",
        id: 2,
        method: "logging/setLevel",
        params: { level: "debug" },
      }));
      await reader.read();
      // The client stops reading: every later write of the server fails with EPIPE.
      await reader.cancel();
      // Ask for work that logs: the log lines go to the client whose stdout is gone.
      for (let i = 0; i < 3; i++) {
        await writer.write(frame({
          jsonrpc: "2.0",
          id: 10 + i,
          method: "tools/call",
          params: { name: "codex_async", arguments: { prompt: `SLEEP=10000 task ${i}` } },
        }));
      }
      const exited = await Promise.race([
        child.status.then((s) => s),
        new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
      ]);
      assert.notEqual(
        exited,
        null,
        `the server kept running; stderr ends:\n${stderr.slice(-2000)}`,
      );
      // It stopped because its client was gone, not in a storm of errors.
      const uncaught = stderr.match(/Uncaught error/g)?.length ?? 0;
      assert.ok(uncaught < 5, `${uncaught} uncaught errors:\n${stderr.slice(-2000)}`);
    } finally {
      await writer.close().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
      // Its tasks keep running detached: stop them.
      for (const line of stderr.split("\n")) {
        const pid = /"pid":(\d+)/.exec(line)?.[1];
        if (pid) {
          try {
            Deno.kill(-Number(pid), "SIGKILL");
          } catch {
            // Already gone.
          }
        }
      }
    }
  },
);

type Listed = { task_id: string; phase: string };

/** The one task of a world, as a second client lists it once it has started. */
async function onlyTask(client: Client): Promise<Listed> {
  let found: Listed | undefined;
  const started = await eventually(async () => {
    const result = await client.callTool({ name: "codex_list", arguments: {} });
    found = (result.structuredContent as { tasks: Listed[] }).tasks[0];
    return found !== undefined && found.phase !== "queued";
  }, 30_000);
  assert.ok(started, "the task should have started");
  return found!;
}

async function waitFor(client: Client, id: string): Promise<Listed & { final_message?: string }> {
  const result = await client.callTool(
    { name: "codex_wait", arguments: { task_ids: [id], timeout: 60 } },
    undefined,
    { timeout: 120_000 },
  );
  assert.equal(result.isError, undefined, textOf(result));
  return (result.structuredContent as { tasks: Array<Listed & { final_message?: string }> })
    .tasks[0]!;
}

Deno.test(
  "a blocking codex call's task goes on when its client goes away; a cancel sent just before " +
    "the client exits stops it",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using world = await makeWorld();
    // The client goes away mid-call: the task completes, and another client reads its result.
    const first = await startServer(world);
    const call = first.client.callTool(
      { name: "codex", arguments: { prompt: "outlive me SLEEP=3000" } },
      undefined,
      { timeout: 120_000 },
    ).catch((error) => error);
    await using watcher = await startServer(world);
    const running = await onlyTask(watcher.client);
    await first.stop();
    assert.ok((await call) instanceof Error, "the call of a closed client ends with an error");
    const done = await waitFor(watcher.client, running.task_id);
    assert.equal(done.phase, "completed");
    assert.equal(done.final_message, "MOCK-DONE outlive me SLEEP=3000");

    // The client cancels its call and exits at once: the cancel is not lost.
    const second = await startServer(world);
    const controller = new AbortController();
    const cancelled = second.client.callTool(
      { name: "codex", arguments: { prompt: "cancel me HOLD=60000" } },
      undefined,
      { timeout: 120_000, signal: controller.signal },
    ).catch((error) => error);
    let target: Listed | undefined;
    const runs = await eventually(async () => {
      const result = await watcher.client.callTool({ name: "codex_list", arguments: {} });
      target = (result.structuredContent as { tasks: Listed[] }).tasks
        .find((t) => t.task_id !== running.task_id && t.phase === "running");
      return target !== undefined;
    }, 30_000);
    assert.ok(runs, "the second task should be running");
    controller.abort("the user pressed Esc");
    await cancelled;
    await second.stop();
    assert.equal((await waitFor(watcher.client, target!.task_id)).phase, "cancelled");
  },
);
