/**
 * Load (issue 10): 64 tasks submitted at once with the cap at 8, from two clients (32 each), with
 * 1,000 `codex_status` and 100 `codex_wait` calls interleaved across both: every result delivered
 * to its client, none stuck, none run twice, and the supervisor's memory back near its idle level.
 * The figures are printed (`load:` lines) for docs/security.md.
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import { makeWorld, startServer, textOf } from "./support/harness.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const TASKS_PER_CLIENT = 32;
const STATUS_CALLS = 1000;
const WAIT_CALLS = 100;

type Compact = { task_id: string; phase: string; final_message?: string; failure?: string };

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 180_000 });
  assert.equal(result.isError, undefined, `${name}: ${textOf(result)}`);
  return result.structuredContent as Record<string, unknown>;
}

/** The resident set size of `pid`, in kB. */
function rssKb(pid: number): number {
  const out = new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)], stdout: "piped" })
    .outputSync();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

function pick<T>(items: T[], n: number, seed: number): T[] {
  return Array.from(
    { length: Math.min(n, items.length) },
    (_, i) => items[(seed * 7 + i * 13) % items.length]!,
  );
}

Deno.test("64 tasks from two clients under 1,100 interleaved calls", e2e, async () => {
  await using world = await makeWorld();
  const args = ["--max-parallel", "8"];
  await using a = await startServer(world, { args });
  await using b = await startServer(world, { args });
  const clients = [a.client, b.client];
  const supervisor = world.supervisorInfo()!.pid;
  await call(a.client, "codex_list", {});
  const idleKb = rssKb(supervisor);
  // Two rounds: memory that a round leaves behind would show as growth in the second.
  for (const round of [1, 2]) {
    const started = Date.now();

    const ids: string[][] = [[], []];
    const submit = clients.map((client, c) =>
      Promise.all(
        Array.from({ length: TASKS_PER_CLIENT }, async (_, i) => {
          const { task_id } = await call(client, "codex_async", {
            prompt: `load r${round} ${c}-${i}`,
          });
          ids[c]!.push(task_id as string);
          return task_id as string;
        }),
      )
    );
    let statusCalls = 0;
    let waitCalls = 0;
    let peakKb = 0;
    /** Four callers at a time, alternating clients; status 10 to 1 against wait. */
    const callers = Array.from({ length: 4 }, async (_, lane) => {
      for (let n = lane; n < STATUS_CALLS + WAIT_CALLS; n += 4) {
        const c = n % 2;
        const known = ids[c]!;
        const subset = known.length > 0 ? { task_ids: pick(known, 8, n) } : {};
        if (n % 11 === 10) {
          await call(clients[c]!, "codex_wait", { ...subset, timeout: 0.2, mode: "any" });
          waitCalls++;
        } else {
          await call(clients[c]!, "codex_status", subset);
          statusCalls++;
        }
        if (n % 50 === 0) peakKb = Math.max(peakKb, rssKb(supervisor));
      }
    });
    const [own0, own1] = await Promise.all(submit);
    await Promise.all(callers);
    assert.equal(statusCalls, STATUS_CALLS);
    assert.equal(waitCalls, WAIT_CALLS);

    // Every result reaches the client that started the task.
    for (const [c, own] of [own0!, own1!].entries()) {
      let tasks: Compact[] = [];
      for (let round = 0; round < 10; round++) {
        await call(clients[c]!, "codex_wait", { task_ids: own, timeout: 60 });
        tasks = (await call(clients[c]!, "codex_status", { task_ids: own })).tasks as Compact[];
        if (tasks.every((t) => t.phase !== "queued" && t.phase !== "running")) break;
      }
      assert.equal(tasks.length, TASKS_PER_CLIENT);
      for (const task of tasks) {
        assert.equal(task.phase, "completed", `${task.task_id}: ${task.failure}`);
      }
      const messages = tasks.map((t) =>
        new RegExp(`MOCK-DONE load r${round} (\\d+-\\d+)`).exec(t.final_message ?? "")?.[1]
      );
      assert.deepEqual(
        messages.sort(),
        Array.from({ length: TASKS_PER_CLIENT }, (_, i) => `${c}-${i}`).sort(),
        "a task's result went to the wrong client or is missing",
      );
    }
    const elapsedS = (Date.now() - started) / 1000;
    // None stuck, none run twice: one model request per prompt.
    const unfinished = await call(a.client, "codex_list", {
      phases: ["queued", "starting", "running", "waiting_approval"],
    });
    assert.equal(unfinished.total, 0);
    const perPrompt = new Map<string, number>();
    for (const request of world.fake.requests) {
      perPrompt.set(request.prompt, (perPrompt.get(request.prompt) ?? 0) + 1);
    }
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < TASKS_PER_CLIENT; i++) {
        assert.equal(
          perPrompt.get(`load r${round} ${c}-${i}`),
          1,
          `load r${round} ${c}-${i} ran more than once`,
        );
      }
    }
    await new Promise((r) => setTimeout(r, 3000));
    const afterKb = rssKb(supervisor);
    console.log(
      `load round ${round}: ${2 * TASKS_PER_CLIENT} tasks, ${statusCalls} codex_status + ` +
        `${waitCalls} codex_wait calls, ${elapsedS.toFixed(1)} s; supervisor RSS idle ` +
        `${idleKb} kB, peak sampled ${peakKb} kB, after ${afterKb} kB`,
    );
    // Memory back near idle once the tasks are over (and a second round adds no more).
    assert.ok(
      afterKb < 2 * idleKb + 50 * 1024,
      `the supervisor's RSS stayed at ${afterKb} kB (idle ${idleKb} kB)`,
    );
  }
});
