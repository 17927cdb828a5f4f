/**
 * End-to-end: the `codex` and `codex-reply` tools, run by the real Codex CLI against the fake
 * Responses API, driven through the MCP SDK's client over stdio.
 */

import assert from "node:assert/strict";
import { eventually, processesMatching, startHarness, textOf } from "./support/harness.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type RunResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: { threadId: string; content: string; taskId?: string };
};

Deno.test("codex and codex-reply, end to end", e2e, async (t) => {
  await using h = await startHarness({ args: ["--skip-git-repo-check"] });
  const { client, world } = h;
  const call = async (name: string, args: Record<string, unknown>, options = {}) =>
    await client.callTool({ name, arguments: args }, undefined, options) as RunResult;

  await t.step("tools/list has the official tools with their parameters", async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    for (const name of ["codex", "codex-reply", "codex_async", "codex_wait", "codex_diff"]) {
      assert.ok(byName.has(name), `missing tool ${name}`);
    }
    // One reply tool: Codex as a client would show two identical ones renamed with hashes.
    assert.equal(byName.has("codex_reply"), false);
    const props = Object.keys(byName.get("codex")!.inputSchema.properties ?? {});
    for (
      const p of [
        "prompt",
        "model",
        "profile",
        "cwd",
        "approval-policy",
        "sandbox",
        "config",
        "base-instructions",
        "developer-instructions",
        "compact-prompt",
      ]
    ) assert.ok(props.includes(p), `codex lacks ${p}`);
    assert.deepEqual(byName.get("codex")!.inputSchema.required, ["prompt"]);
    const out = Object.keys(byName.get("codex")!.outputSchema?.properties ?? {});
    assert.ok(out.includes("threadId") && out.includes("content"));
    const reply = Object.keys(byName.get("codex-reply")!.inputSchema.properties ?? {});
    assert.ok(reply.includes("threadId") && reply.includes("conversationId"));
  });

  let threadId = "";
  await t.step(
    "codex returns the final message and the thread id; model reaches the API",
    async () => {
      const result = await call("codex", { prompt: "hello there", model: "mock-model-b" });
      assert.equal(result.isError, undefined, textOf(result));
      assert.equal(result.structuredContent?.content, "MOCK-DONE hello there");
      assert.match(result.structuredContent?.threadId ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(textOf(result), "MOCK-DONE hello there");
      threadId = result.structuredContent!.threadId;
      assert.equal(world.fake.requests.at(-1)?.model, "mock-model-b");
    },
  );

  await t.step("codex-reply continues the same thread", async () => {
    const before = world.fake.requests.length;
    const result = await call("codex-reply", { threadId, prompt: "and then" });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(result.structuredContent?.threadId, threadId);
    assert.equal(result.structuredContent?.content, "MOCK-DONE and then");
    const seen = JSON.stringify(world.fake.requests[before]?.body.input);
    assert.ok(seen.includes("hello there"), "the reply's request should carry the first turn");
  });

  await t.step("the deprecated conversationId works too", async () => {
    const result = await call("codex-reply", { conversationId: threadId, prompt: "third" });
    assert.equal(result.structuredContent?.threadId, threadId);
  });

  await t.step("cwd, sandbox and a prompt starting with '-' reach Codex", async () => {
    const dir = await Deno.makeTempDir({ prefix: "cwd-test-" });
    const real = await Deno.realPath(dir);
    const result = await call("codex", {
      prompt: "-dash RUN=pwd",
      cwd: dir,
      sandbox: "danger-full-access",
    });
    assert.equal(result.isError, undefined, textOf(result));
    assert.ok(result.structuredContent!.content.startsWith("MOCK-DONE -dash"));
    assert.ok(result.structuredContent!.content.includes(real), result.structuredContent!.content);
    await Deno.remove(dir, { recursive: true });
  });

  await t.step("instructions and config overrides reach the API request", async () => {
    const result = await call("codex", {
      prompt: "with instructions",
      "base-instructions": "BASE-INSTRUCTIONS-XYZ",
      "developer-instructions": "DEV-INSTRUCTIONS-XYZ",
      config: { model_reasoning_effort: "high" },
    });
    assert.equal(result.isError, undefined, textOf(result));
    const body = JSON.stringify(world.fake.requests.at(-1)?.body);
    assert.ok(body.includes("BASE-INSTRUCTIONS-XYZ"), "base instructions missing");
    assert.ok(body.includes("DEV-INSTRUCTIONS-XYZ"), "developer instructions missing");
    assert.ok(body.includes('"effort":"high"'), "reasoning effort missing");
  });

  await t.step("a failing turn gives isError with the cause", async () => {
    const result = await call("codex", { prompt: "please FAIL" });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /mock model refused: FAIL directive/);
  });

  await t.step("progress notifications arrive for each step", async () => {
    const messages: string[] = [];
    const result = await call("codex", { prompt: "progress RUN=echo progress-marker" }, {
      onprogress: (p: { message?: string }) => messages.push(p.message ?? ""),
    });
    assert.equal(result.isError, undefined, textOf(result));
    assert.ok(messages.some((m) => /echo progress-marker/.test(m)), messages.join(" | "));
    assert.ok(messages.some((m) => /completed/i.test(m)), messages.join(" | "));
  });

  await t.step("a cancelled request kills Codex and the command it runs", async () => {
    const marker = "sleep 37.125";
    const controller = new AbortController();
    const pending = call("codex", {
      prompt: `long RUN=${marker}`,
      sandbox: "danger-full-access",
    }, { signal: controller.signal }).catch((error) => error);
    assert.ok(
      await eventually(() => processesMatching(marker).some((p) => p.cmdline.startsWith("sleep"))),
      "the command never started",
    );
    controller.abort("test cancels");
    await pending;
    assert.ok(
      await eventually(() => processesMatching(marker).length === 0, 10_000),
      `left behind: ${JSON.stringify(processesMatching(marker))}`,
    );
  });

  await t.step(
    "bad input gets a clear error naming the field; the server keeps serving",
    async () => {
      const wrongType = await call("codex", { prompt: 5 });
      assert.equal(wrongType.isError, true);
      assert.match(textOf(wrongType), /prompt/);
      const badEnum = await call("codex", { prompt: "x", sandbox: "sometimes" });
      assert.equal(badEnum.isError, true);
      assert.match(textOf(badEnum), /sandbox/);
      const missingCwd = await call("codex", { prompt: "x", cwd: "/nonexistent/codex-swarm" });
      assert.equal(missingCwd.isError, true);
      assert.match(textOf(missingCwd), /cwd "\/nonexistent\/codex-swarm" as it does not exist/);
      const noThread = await call("codex-reply", { prompt: "x" });
      assert.equal(noThread.isError, true);
      assert.match(textOf(noThread), /threadId/);
      const ok = await call("codex", { prompt: "still serving" });
      assert.equal(ok.structuredContent?.content, "MOCK-DONE still serving");
    },
  );
});

Deno.test(
  "a missing Codex binary is a clear error on the call; the server keeps serving",
  e2e,
  async () => {
    await using h = await startHarness({ args: ["--codex-bin", "/nonexistent/bin/codex"] });
    const result = await h.client.callTool({ name: "codex", arguments: { prompt: "hi" } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /Cannot start Codex as it was not found/);
    assert.match(textOf(result), /\/nonexistent\/bin\/codex/);
    const { tools } = await h.client.listTools();
    assert.ok(tools.length > 0);
  },
);

Deno.test("server -c defaults reach Codex; per-call values override them", e2e, async () => {
  await using h = await startHarness({ args: ["-c", 'model="server-default-model"'] });
  await h.client.callTool({ name: "codex", arguments: { prompt: "one" } });
  assert.equal(h.world.fake.requests.at(-1)?.model, "server-default-model");
  await h.client.callTool({ name: "codex", arguments: { prompt: "two", model: "per-call" } });
  assert.equal(h.world.fake.requests.at(-1)?.model, "per-call");
  await h.client.callTool({
    name: "codex",
    arguments: { prompt: "three", config: { model: "per-call-config" } },
  });
  assert.equal(h.world.fake.requests.at(-1)?.model, "per-call-config");
});

Deno.test("a malformed -c is a startup error naming it", e2e, async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
      "-c",
      "novalue",
    ],
    stdin: "null",
  }).output();
  assert.notEqual(out.code, 0);
  assert.match(new TextDecoder().decode(out.stderr), /novalue/);
});
