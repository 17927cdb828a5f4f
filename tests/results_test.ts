/**
 * End-to-end: what a calling model gets back. Compact structured results within their budgets,
 * every result bounded (long messages and diffs read in pages), one reply tool, annotations that
 * tell the truth, read-only calls answered concurrently, heartbeat progress, and the caller's
 * sandbox as default and ceiling. Real Codex against the fake Responses API.
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import { startTask } from "./support/tool_calls.ts";
import { makeWorld, startHarness, startServer, textOf } from "./support/harness.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type Result = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
};

/** Characters of structuredContent as JSON: what the model sees. */
function modelChars(result: Result): number {
  return JSON.stringify(result.structuredContent ?? null).length;
}

/** Characters of the whole result: structured content and text. */
function resultChars(result: Result): number {
  return modelChars(result) + textOf(result).length;
}

async function call(client: Client, name: string, args: Record<string, unknown>, options = {}) {
  return await client.callTool({ name, arguments: args }, undefined, {
    timeout: 120_000,
    ...options,
  }) as Result;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd, stdin: "null" }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("compact results within their budgets, with the next step inside", e2e, async (t) => {
  await using h = await startHarness();
  const { client } = h;

  await t.step("codex_async: at most 300 characters, and says how to collect", async () => {
    const result = await call(client, "codex_async", {
      prompt: "budget running RUN=sleep 2.5",
      sandbox: "danger-full-access",
    });
    const id = result.structuredContent!.task_id as string;
    assert.ok(modelChars(result) <= 300, `${modelChars(result)}: ${JSON.stringify(result)}`);
    assert.equal(result.structuredContent!.next, `codex_wait {"task_ids":["${id}"]} to collect`);

    // codex_status of the running task: its last step, at most 600 characters.
    let status: Result | undefined;
    for (let i = 0; i < 200; i++) {
      status = await call(client, "codex_status", { task_ids: [id] });
      const view = (status.structuredContent!.tasks as Array<{ step: string }>)[0]!;
      if (/sleep 2.5/.test(view.step ?? "")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const view = (status!.structuredContent!.tasks as Array<Record<string, unknown>>)[0]!;
    assert.equal(view.phase, "running");
    assert.equal(view.step, "Running: sleep 2.5");
    assert.match(String(view.thread_id), /^[0-9a-f-]{36}$/);
    assert.ok(modelChars(status!) <= 600, `${modelChars(status!)}: ${JSON.stringify(status)}`);
    assert.match(String(status!.structuredContent!.next), /^codex_wait \{"task_ids":\[/);
    await call(client, "codex_wait", { task_ids: [id] });
  });

  await t.step("codex_wait on 3 finished tasks: at most 800 characters", async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await startTask(client, { prompt: `one-line answer ${i}` }));
    }
    const result = await call(client, "codex_wait", { task_ids: ids });
    const sc = result.structuredContent!;
    assert.equal(sc.satisfied, true);
    const tasks = sc.tasks as Array<Record<string, unknown>>;
    assert.deepEqual(
      tasks.map((x) => x.final_message),
      [0, 1, 2].map((i) => `MOCK-DONE one-line answer ${i}`),
    );
    assert.deepEqual(tasks[0]!.usage, { input: 10, output: 5 });
    assert.ok(modelChars(result) <= 800, `${modelChars(result)}: ${JSON.stringify(sc)}`);
    assert.match(textOf(result), /All 3 task\(s\) done/);
  });
});

Deno.test("every result is bounded: long messages and diffs read in pages", e2e, async (t) => {
  await using world = await makeWorld();
  const max = 6000;
  await using h = await startServer(world, { args: ["--max-result-chars", String(max)] });
  const { client } = h;
  const long = `long ${"abcdefghij".repeat(2000)} end`;

  await t.step("codex: the content is cut with a marker that says how to read on", async () => {
    const result = await call(client, "codex", { prompt: long });
    assert.equal(result.isError, undefined, textOf(result));
    assert.ok(resultChars(result) <= max, String(resultChars(result)));
    const content = result.structuredContent!.content as string;
    assert.match(content, /…\[cut at \d+ of 20019 chars; codex_status \{"task_ids":\[/);
  });

  await t.step("codex_status reads the whole final message on with offset", async () => {
    const id = await startTask(client, { prompt: long });
    await call(client, "codex_wait", { task_ids: [id] });
    const compact = await call(client, "codex_status", { task_ids: [id] });
    assert.ok(resultChars(compact) <= max, String(resultChars(compact)));
    let offset: number | null = 0;
    let text = "";
    let pages = 0;
    while (offset !== null) {
      const result = await call(client, "codex_status", { task_ids: [id], offset });
      assert.ok(resultChars(result) <= max, String(resultChars(result)));
      const p = (result.structuredContent!.tasks as Array<
        { final_message: string; next_offset: number | null }
      >)[0]!;
      text += p.final_message;
      offset = p.next_offset;
      pages++;
    }
    assert.equal(text, `MOCK-DONE ${long}`);
    assert.ok(pages >= 4, `${pages} pages`);
    const full = await call(client, "codex_status", { task_ids: [id], detail: "full" });
    assert.ok(resultChars(full) <= max, String(resultChars(full)));
  });

  await t.step("codex_wait and codex_list over many tasks stay within the limit", async () => {
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(await startTask(client, { prompt: `${i} ${long}` }));
    const result = await call(client, "codex_wait", { task_ids: ids });
    assert.ok(resultChars(result) <= max, String(resultChars(result)));
    const sc = result.structuredContent!;
    const shown = (sc.tasks as unknown[]).length;
    const omitted = (sc.omitted_task_ids as string[] | undefined) ?? [];
    assert.equal(shown + omitted.length, 12);
    const list = await call(client, "codex_list", {});
    assert.ok(resultChars(list) <= max, String(resultChars(list)));
    const resource = await client.readResource({ uri: "codex-swarm://tasks" });
    const text = (resource.contents[0] as { text: string }).text;
    assert.ok(text.length <= max, String(text.length));
  });

  await t.step("codex_diff: the file list first, then the patch in pages", async () => {
    const repo = await Deno.realPath(await Deno.makeTempDir({ prefix: "diff-repo-" }));
    await git(repo, "init", "-q", "-b", "main");
    await Deno.writeTextFile(`${repo}/a.txt`, "a\n");
    await git(repo, "add", "-A");
    await git(repo, "-c", "user.email=t@e", "-c", "user.name=T", "commit", "-q", "-m", "init");
    const id = await startTask(client, {
      prompt: "big RUN=seq 1 4000 > big.txt && echo b > small.txt",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    });
    const waited = await call(client, "codex_wait", { task_ids: [id] });
    const view = (waited.structuredContent!.tasks as Array<Record<string, unknown>>)[0]!;
    assert.equal(view.diff_stat, "2 file(s), +4001 -0");
    assert.match(String(waited.structuredContent!.next), /codex_diff \{"task_id":/);
    let offset: number | null = 0;
    let patch = "";
    let first: Record<string, unknown> | undefined;
    while (offset !== null) {
      const result = await call(client, "codex_diff", { task_id: id, offset });
      assert.equal(result.isError, undefined, textOf(result));
      assert.ok(resultChars(result) <= max, String(resultChars(result)));
      first ??= result.structuredContent;
      patch += result.structuredContent!.patch as string;
      offset = result.structuredContent!.next_offset as number | null;
    }
    assert.deepEqual((first!.files as Array<{ path: string }>).map((f) => f.path), [
      "big.txt",
      "small.txt",
    ]);
    const expected = await git(repo, "diff", "main", String(view.branch));
    assert.equal(patch.trimEnd(), expected);
    const small = await call(client, "codex_diff", { task_id: id, max_chars: 200 });
    assert.ok((small.structuredContent!.patch as string).length <= 200);
    // The old action answers the same way.
    const old = await call(client, "codex_worktree", { task_id: id, action: "diff" });
    assert.equal(old.structuredContent!.next_offset, first!.next_offset);
  });
});

Deno.test("tool surface: one reply tool, truthful annotations", e2e, async (t) => {
  await using world = await makeWorld();
  await t.step("codex_reply only with --reply-alias", async () => {
    await using h = await startServer(world, { args: ["--reply-alias"] });
    const names = (await h.client.listTools()).tools.map((x) => x.name);
    assert.ok(names.includes("codex_reply") && names.includes("codex-reply"));
  });
  await using h = await startServer(world);
  const { tools } = await h.client.listTools();
  const hints = Object.fromEntries(tools.map((x) => [x.name, x.annotations ?? {}]));
  await t.step("read-only tools say so; the rest say they can destroy", () => {
    assert.deepEqual(Object.keys(hints).sort(), [
      "codex",
      "codex-reply",
      "codex_approve",
      "codex_async",
      "codex_cancel",
      "codex_diff",
      "codex_fork",
      "codex_list",
      "codex_merge",
      "codex_review",
      "codex_status",
      "codex_steer",
      "codex_wait",
      "codex_worktree",
    ]);
    // A review reads the code and edits nothing (Codex runs its reviewer read-only).
    for (const name of ["codex_status", "codex_wait", "codex_list", "codex_diff", "codex_review"]) {
      assert.equal(hints[name]!.readOnlyHint, true, name);
    }
    const destructive = [
      "codex",
      "codex-reply",
      "codex_async",
      "codex_fork",
      "codex_cancel",
      "codex_worktree",
      "codex_approve",
      // A merge may fast-forward the target and, with cleanup, discard worktrees and branches.
      "codex_merge",
    ];
    for (const name of destructive) {
      assert.equal(hints[name]!.readOnlyHint, false, name);
      assert.equal(hints[name]!.destructiveHint, true, name);
    }
    // Steering adds to a turn; it destroys nothing.
    assert.equal(hints.codex_steer!.readOnlyHint, false);
    assert.equal(hints.codex_steer!.destructiveHint, false);
    assert.equal(hints.codex_cancel!.idempotentHint, true);
    assert.equal(hints.codex_async!.idempotentHint, false);
    assert.equal(hints.codex_review!.destructiveHint, false);
    assert.equal(hints.codex_review!.openWorldHint, true);
  });

  await t.step("read-only calls are answered concurrently", async () => {
    const id = await startTask(h.client, { prompt: "slow for concurrency SLEEP=4000" });
    const order: string[] = [];
    const waits = [1, 2].map((n) =>
      call(h.client, "codex_wait", { task_ids: [id] }).then((r) => {
        order.push(`wait${n}`);
        return r;
      })
    );
    const status = await call(h.client, "codex_status", { task_ids: [id] });
    order.push("status");
    const list = await call(h.client, "codex_list", {});
    order.push("list");
    const [a, b] = await Promise.all(waits);
    // Both waits were still pending when status and list were answered.
    assert.deepEqual(order.slice(0, 2), ["status", "list"], order.join());
    assert.equal((status.structuredContent!.tasks as unknown[]).length, 1);
    assert.equal(list.isError, undefined);
    assert.equal(a!.structuredContent!.satisfied, true);
    assert.equal(b!.structuredContent!.satisfied, true);
  });
});

Deno.test("heartbeat progress on blocking calls while nothing happens", e2e, async () => {
  await using world = await makeWorld();
  await using h = await startServer(world, { env: { CODEX_SWARM_HEARTBEAT_MS: "200" } });
  const messages: string[] = [];
  const result = await call(h.client, "codex", { prompt: "quiet SLEEP=2000" }, {
    onprogress: (p: { message?: string }) => messages.push(p.message ?? ""),
  });
  assert.equal(result.isError, undefined, textOf(result));
  const beats = messages.filter((m) => /\(\d+ s\)$/.test(m));
  assert.ok(beats.length >= 3, JSON.stringify(messages));
  assert.match(beats[0]!, /^(Waiting for the model|Starting Codex)/);

  const id = await startTask(h.client, { prompt: "quiet wait SLEEP=2000" });
  const waitMessages: string[] = [];
  await call(h.client, "codex_wait", { task_ids: [id] }, {
    onprogress: (p: { message?: string }) => waitMessages.push(p.message ?? ""),
  });
  const waitBeats = waitMessages.filter((m) => m.startsWith(`0/1 done; ${id}: `));
  assert.ok(waitBeats.length >= 3, JSON.stringify(waitMessages));
});

Deno.test("a call from Codex: the caller's sandbox is default and ceiling", e2e, async () => {
  await using h = await startHarness();
  const meta = {
    "x-codex-turn-metadata": { sandbox_mode: "workspace-write", thread_id: "outer-thread-1" },
  };
  const started = await h.client.callTool({
    name: "codex_async",
    arguments: { prompt: "from codex" },
    _meta: meta,
  }) as Result;
  assert.equal(started.isError, undefined, textOf(started));
  const id = started.structuredContent!.task_id as string;
  await call(h.client, "codex_wait", { task_ids: [id] });
  const full = await call(h.client, "codex_status", { task_ids: [id], detail: "full" });
  const view = (full.structuredContent!.tasks as Array<Record<string, unknown>>)[0]!;
  assert.equal(view.parent_thread_id, "outer-thread-1");
  assert.equal(view.caller_sandbox, "workspace-write");
  assert.equal(view.sandbox, "workspace-write");

  const refused = await h.client.callTool({
    name: "codex",
    arguments: { prompt: "escalate", sandbox: "danger-full-access" },
    _meta: meta,
  }) as Result;
  assert.equal(refused.isError, true);
  assert.match(
    textOf(refused),
    /sandbox "danger-full-access" as the calling Codex session \(thread outer-thread-1\) runs in sandbox "workspace-write"/,
  );
  const stricter = await h.client.callTool({
    name: "codex",
    arguments: { prompt: "stricter", sandbox: "read-only" },
    _meta: meta,
  }) as Result;
  assert.equal(stricter.isError, undefined, textOf(stricter));
});
