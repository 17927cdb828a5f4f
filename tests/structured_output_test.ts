/**
 * Structured output end to end: `output_schema` reaches the model as a strict JSON schema, the
 * final message comes back parsed as `result`, a message that does not match is an error with
 * the validation error and the raw message, and a schema the model API cannot take is refused
 * before anything starts. The real Codex app-server against the fake Responses API.
 */

import assert from "node:assert/strict";
import { startHarness, textOf } from "./support/harness.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

const schema = {
  type: "object",
  properties: {
    verdict: { type: "string", enum: ["pass", "fail"] },
    notes: { type: "array", items: { type: "string" } },
  },
  required: ["verdict", "notes"],
  additionalProperties: false,
};

Deno.test("output_schema: result parsed, mismatch an error, bad schema refused", e2e, async (t) => {
  await using h = await startHarness();

  await t.step("codex returns the parsed value as result; the model got the schema", async () => {
    const result = await h.client.callTool({
      name: "codex",
      arguments: {
        prompt: 'review it JSON={"verdict":"pass","notes":["ok"]}',
        output_schema: schema,
      },
    });
    assert.equal(result.isError, undefined, textOf(result));
    const structured = result.structuredContent as { result: unknown; content: string };
    assert.deepEqual(structured.result, { verdict: "pass", notes: ["ok"] });
    const format =
      (h.world.fake.requests.at(-1)!.body.text as { format?: { type?: string; schema?: unknown } })
        ?.format;
    assert.equal(format?.type, "json_schema");
    assert.deepEqual((format?.schema as { required?: string[] })?.required, ["verdict", "notes"]);
  });

  await t.step("a final message that does not match is an error naming why", async () => {
    const result = await h.client.callTool({
      name: "codex",
      arguments: { prompt: 'JSON={"verdict":"maybe","notes":[]}', output_schema: schema },
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /does not match output_schema: \/verdict must be equal to one/);
    assert.match(textOf(result), /"verdict":"maybe"/);
  });

  await t.step("codex_async and codex_wait carry the result in the compact view", async () => {
    const started = await h.client.callTool({
      name: "codex_async",
      arguments: { prompt: 'JSON={"verdict":"fail","notes":["x"]}', output_schema: schema },
    });
    const id = (started.structuredContent as { task_id: string }).task_id;
    const waited = await h.client.callTool({ name: "codex_wait", arguments: { task_ids: [id] } });
    const task = (waited.structuredContent as { tasks: Array<{ result?: unknown }> }).tasks[0]!;
    assert.deepEqual(task.result, { verdict: "fail", notes: ["x"] });
  });

  await t.step("a schema the model API cannot take is refused before anything starts", async () => {
    const before = h.world.fake.requests.length;
    const result = await h.client.callTool({
      name: "codex_async",
      arguments: { prompt: "p", output_schema: { ...schema, additionalProperties: true } },
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /output_schema must set "additionalProperties": false/);
    const list = await h.client.callTool({ name: "codex_list", arguments: {} });
    assert.equal((list.structuredContent as { tasks: unknown[] }).tasks.length, 3);
    assert.equal(h.world.fake.requests.length, before);
  });
});
