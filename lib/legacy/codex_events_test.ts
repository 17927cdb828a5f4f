import assert from "node:assert/strict";
import {
  type CodexEvent,
  type CodexItem,
  KNOWN_EVENT_TYPES,
  parseEventLine,
} from "./codex_events.ts";

// Text imports (resolved relative to this file) need no --allow-read.
import commandFails from "../../tests/fixtures/jsonl-command-fails.jsonl" with { type: "text" };
import command from "../../tests/fixtures/jsonl-command.jsonl" with { type: "text" };
import message from "../../tests/fixtures/jsonl-message.jsonl" with { type: "text" };
import turnFailed from "../../tests/fixtures/jsonl-turn-failed.jsonl" with { type: "text" };

const FIXTURES: Record<string, string> = { commandFails, command, message, turnFailed };

function fixtureLines(name: string): string[] {
  return (FIXTURES[name] ?? "").split("\n").filter((line) => line.trim() !== "");
}

function eventOf(line: string): CodexEvent {
  const parsed = parseEventLine(line);
  assert.ok(parsed !== null && parsed.kind === "event", `not an event: ${JSON.stringify(parsed)}`);
  return parsed.event;
}

function itemOf(line: string): CodexItem {
  const event = eventOf(line);
  assert.ok(
    event.type === "item.started" || event.type === "item.updated" ||
      event.type === "item.completed",
    `not an item event: ${event.type}`,
  );
  return event.item;
}

Deno.test("every line of the recorded fixtures is a known event with a known item", () => {
  for (const name of Object.keys(FIXTURES)) {
    const lines = fixtureLines(name);
    assert.ok(lines.length >= 5, name);
    for (const line of lines) {
      const event = eventOf(line);
      if (event.type === "item.started" || event.type === "item.completed") {
        assert.notEqual(event.item.type, "unknown-item", line);
      }
    }
  }
});

Deno.test("thread.started, turn.started and turn.completed with the 0.169 usage fields", () => {
  const started = eventOf('{"type":"thread.started","thread_id":"01a211f5-33d5"}');
  assert.deepEqual(started, { type: "thread.started", thread_id: "01a211f5-33d5" });
  assert.deepEqual(eventOf('{"type":"turn.started"}'), { type: "turn.started" });
  const completed = eventOf(
    '{"type":"turn.completed","usage":{"input_tokens":20,"cached_input_tokens":3,' +
      '"cache_write_input_tokens":1,"output_tokens":10,"reasoning_output_tokens":4}}',
  );
  assert.ok(completed.type === "turn.completed");
  assert.equal(completed.usage.input_tokens, 20);
  assert.equal(completed.usage.cached_input_tokens, 3);
  assert.equal(completed.usage.output_tokens, 10);
  assert.equal(completed.usage.reasoning_output_tokens, 4);
  assert.equal(completed.usage.cache_write_input_tokens, 1);
});

Deno.test("older usage without reasoning_output_tokens still parses", () => {
  const event = eventOf(
    '{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":2}}',
  );
  assert.ok(event.type === "turn.completed");
  assert.equal(event.usage.reasoning_output_tokens, undefined);
});

Deno.test("extra fields are kept, on events and on items", () => {
  const event = eventOf('{"type":"thread.started","thread_id":"t","timestamp":"2025-01-01"}');
  assert.equal((event as Record<string, unknown>).timestamp, "2025-01-01");
  const item = itemOf(
    '{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"x","extra":[1]}}',
  );
  assert.deepEqual((item as Record<string, unknown>).extra, [1]);
});

Deno.test("turn.failed and the top-level error event", () => {
  const failed = eventOf(
    '{"type":"turn.failed","error":{"message":"Missing environment variable: `MOCK_API_KEY`."}}',
  );
  assert.ok(failed.type === "turn.failed");
  assert.equal(failed.error.message, "Missing environment variable: `MOCK_API_KEY`.");
  const error = eventOf('{"type":"error","message":"Reconnecting... 1/5"}');
  assert.deepEqual(error, { type: "error", message: "Reconnecting... 1/5" });
});

Deno.test("command_execution in progress (exit_code null) and completed", () => {
  const started = itemOf(
    '{"type":"item.started","item":{"id":"item_2","type":"command_execution",' +
      '"command":"/bin/bash -lc \'echo hi\'","aggregated_output":"","exit_code":null,' +
      '"status":"in_progress"}}',
  );
  assert.ok(started.type === "command_execution");
  assert.equal(started.exit_code, null);
  assert.equal(started.status, "in_progress");
  const done = itemOf(
    '{"type":"item.completed","item":{"id":"item_2","type":"command_execution",' +
      '"command":"/bin/bash -lc \'ls /x\'","aggregated_output":"nope\\n","exit_code":2,' +
      '"status":"failed"}}',
  );
  assert.ok(done.type === "command_execution");
  assert.equal(done.exit_code, 2);
  assert.equal(done.aggregated_output, "nope\n");
  // The TypeScript SDK omits exit_code while running.
  const sdkShape = itemOf(
    '{"type":"item.started","item":{"id":"c","type":"command_execution","command":"ls",' +
      '"aggregated_output":"","status":"in_progress"}}',
  );
  assert.ok(sdkShape.type === "command_execution");
  assert.equal(sdkShape.exit_code, undefined);
});

Deno.test("every other item type of exec_events.rs", () => {
  const cases: Array<[string, string]> = [
    ['{"id":"a","type":"reasoning","text":"**Plan** it"}', "reasoning"],
    ['{"id":"a","type":"plan","text":"1. do"}', "plan"],
    [
      '{"id":"a","type":"file_change","changes":[{"path":"/w/a.ts","kind":"update"},' +
      '{"path":"/w/b.ts","kind":"add","diff":"+x"}],"status":"completed"}',
      "file_change",
    ],
    [
      '{"id":"a","type":"mcp_tool_call","server":"fs","tool":"read","arguments":{"p":1},' +
      '"result":{"content":[{"type":"text","text":"x"}],"structured_content":null},' +
      '"error":null,"status":"completed"}',
      "mcp_tool_call",
    ],
    [
      '{"id":"a","type":"mcp_tool_call","server":"fs","tool":"read","status":"failed",' +
      '"error":{"message":"boom"}}',
      "mcp_tool_call",
    ],
    [
      '{"id":"a","type":"collab_tool_call","tool":"spawn_agent","sender_thread_id":"t",' +
      '"receiver_thread_ids":[],"prompt":null,"agents_states":{},"status":"in_progress"}',
      "collab_tool_call",
    ],
    ['{"id":"a","type":"web_search","query":"deno streams"}', "web_search"],
    [
      '{"id":"a","type":"web_search","query":"q","action":{"type":"search","query":"q"}}',
      "web_search",
    ],
    [
      '{"id":"a","type":"todo_list","items":[{"text":"one","completed":true},' +
      '{"text":"two","completed":false}]}',
      "todo_list",
    ],
    ['{"id":"a","type":"error","message":"Model metadata not found"}', "error"],
  ];
  for (const [item, type] of cases) {
    const parsed = itemOf(`{"type":"item.updated","item":${item}}`);
    assert.equal(parsed.type, type, item);
  }
  const todo = itemOf(
    '{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[' +
      '{"text":"one","completed":true}]}}',
  );
  assert.ok(todo.type === "todo_list");
  assert.deepEqual(todo.items, [{ text: "one", completed: true }]);
});

Deno.test("item.plan.delta and request_user_input are known events", () => {
  const delta = eventOf('{"type":"item.plan.delta","item_id":"i","delta":"more"}');
  assert.equal(delta.type, "item.plan.delta");
  const ask = eventOf(
    '{"type":"request_user_input","id":"turn","call_id":"c","questions":[{"id":"q","header":"H",' +
      '"question":"Which one?","isOther":false,"isSecret":false}]}',
  );
  assert.ok(ask.type === "request_user_input");
  assert.equal(ask.questions[0]?.question, "Which one?");
});

Deno.test("an item of an unknown type is kept as unknown-item inside its event", () => {
  const item = itemOf(
    '{"type":"item.completed","item":{"id":"item_9","type":"image_view","path":"/a.png"}}',
  );
  assert.deepEqual(item, {
    type: "unknown-item",
    itemType: "image_view",
    id: "item_9",
    raw: { id: "item_9", type: "image_view", path: "/a.png" },
  });
});

Deno.test("an item of a known type whose fields do not fit is kept as unknown-item", () => {
  const item = itemOf('{"type":"item.started","item":{"id":"x","type":"command_execution"}}');
  assert.ok(item.type === "unknown-item");
  assert.equal(item.itemType, "command_execution");
  const noId = itemOf('{"type":"item.started","item":{"type":"agent_message","text":"t"}}');
  assert.ok(noId.type === "unknown-item");
  assert.equal(noId.id, null);
});

Deno.test("an event of an unknown type is reported as unknown with its raw object", () => {
  const parsed = parseEventLine('{"type":"session.compacted","reason":"size"}');
  assert.deepEqual(parsed, {
    kind: "unknown",
    type: "session.compacted",
    raw: { type: "session.compacted", reason: "size" },
  });
});

Deno.test("malformed lines: not JSON, not an object, no type, bad fields", () => {
  const cases = [
    '{"type":"turn.started"',
    "Reading prompt from stdin...",
    "[1,2]",
    "42",
    "null",
    '"text"',
    '{"thread_id":"x"}',
    '{"type":7}',
    '{"type":"turn.failed"}',
    '{"type":"thread.started","thread_id":5}',
    '{"type":"item.completed","item":"text"}',
    '{"type":"item.completed","item":{"id":"x"}}',
    '{"type":"turn.completed"}',
  ];
  for (const line of cases) {
    const parsed = parseEventLine(line);
    assert.ok(parsed !== null && parsed.kind === "malformed", `${line}: ${JSON.stringify(parsed)}`);
    assert.equal(parsed.line, line);
    assert.ok(parsed.error.length > 0);
  }
  const bad = parseEventLine('{"type":"turn.failed"}');
  assert.ok(bad?.kind === "malformed");
  assert.match(bad.error, /^turn\.failed: error: /);
});

Deno.test("blank lines give null; surrounding whitespace and \\r are fine", () => {
  assert.equal(parseEventLine(""), null);
  assert.equal(parseEventLine("   \t\r"), null);
  assert.deepEqual(parseEventLine(' {"type":"turn.started"}\r'), {
    kind: "event",
    event: { type: "turn.started" },
  });
});

Deno.test("parseEventLine never throws, on cut and mangled real lines", () => {
  const lines = Object.keys(FIXTURES).flatMap(fixtureLines);
  for (const line of lines) {
    for (let cut = 0; cut <= line.length; cut++) {
      const parsed = parseEventLine(line.slice(0, cut));
      assert.ok(parsed === null || typeof parsed.kind === "string");
    }
    const mangled = line.replace(/"(text|command|status|thread_id|message)":"/, '"$1":7,"x":"');
    assert.notEqual(parseEventLine(mangled), undefined);
  }
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  assert.equal(parseEventLine(deep)?.kind, "malformed");
});

Deno.test("KNOWN_EVENT_TYPES lists every event type", () => {
  assert.deepEqual([...KNOWN_EVENT_TYPES].sort(), [
    "error",
    "item.completed",
    "item.plan.delta",
    "item.started",
    "item.updated",
    "request_user_input",
    "thread.started",
    "turn.completed",
    "turn.failed",
    "turn.started",
  ]);
});
