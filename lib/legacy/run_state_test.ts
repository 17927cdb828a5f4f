import assert from "node:assert/strict";
import { type ParsedLine, parseEventLine } from "./codex_events.ts";
import {
  applyEvent,
  describeStep,
  displayCommand,
  FILES_CHANGED_CAP,
  IN_FLIGHT_CAP,
  initialRunState,
  LAST_UNKNOWN_MAX_CHARS,
  OUTPUT_TAIL_CHARS,
  type RunState,
  WARNING_MAX_CHARS,
  WARNINGS_CAP,
} from "./run_state.ts";
// Text imports (resolved relative to this file) need no --allow-read.
import commandFails from "../../tests/fixtures/jsonl-command-fails.jsonl" with { type: "text" };
import command from "../../tests/fixtures/jsonl-command.jsonl" with { type: "text" };
import message from "../../tests/fixtures/jsonl-message.jsonl" with { type: "text" };
import turnFailed from "../../tests/fixtures/jsonl-turn-failed.jsonl" with { type: "text" };

const METADATA_WARNING =
  "Model metadata for `mock-model` not found. Defaulting to fallback metadata; this can degrade " +
  "performance and cause issues.";

function parse(line: string): ParsedLine {
  const parsed = parseEventLine(line);
  assert.ok(parsed !== null, `blank line: ${JSON.stringify(line)}`);
  return parsed;
}

/** Applies every non-blank line; returns the final state and the step messages. */
function run(
  text: string,
  from: RunState = initialRunState(),
): { state: RunState; steps: string[] } {
  let state = from;
  const steps: string[] = [];
  for (const line of text.split("\n")) {
    const parsed = parseEventLine(line);
    if (parsed === null) continue;
    const next = applyEvent(state, parsed);
    const step = describeStep(state, next, parsed);
    if (step !== null) steps.push(step);
    state = next;
  }
  return { state, steps };
}

function lines(...events: unknown[]): string {
  return events.map((event) => JSON.stringify(event)).join("\n");
}

function item(phase: "started" | "updated" | "completed", body: Record<string, unknown>) {
  return { type: `item.${phase}`, item: body };
}

Deno.test("initialRunState", () => {
  assert.deepEqual(initialRunState(), {
    threadId: null,
    turn: "idle",
    finalMessage: null,
    output: "",
    reasoning: null,
    toolCalls: { total: 0, commands: 0, fileChanges: 0, mcpToolCalls: 0, webSearches: 0 },
    lastTool: null,
    filesChanged: [],
    todoList: [],
    usage: null,
    failure: null,
    warnings: [],
    unknownEvents: 0,
    malformedLines: 0,
    lastUnknown: null,
    events: 0,
    inFlightToolIds: [],
  });
  assert.notEqual(initialRunState().warnings, initialRunState().warnings);
});

Deno.test("fixture jsonl-message: thread id, final message, usage, non-fatal error item", () => {
  const { state, steps } = run(message);
  assert.equal(state.threadId, "01a21213-4a68-7340-a4f5-39fbb808e78f");
  assert.equal(state.turn, "completed");
  assert.equal(state.finalMessage, "MOCK-DONE hello");
  assert.equal(state.output, "MOCK-DONE hello");
  assert.deepEqual(state.usage, {
    inputTokens: 10,
    cachedInputTokens: 0,
    outputTokens: 5,
    reasoningOutputTokens: 0,
  });
  assert.equal(state.failure, null);
  assert.deepEqual(state.warnings, [METADATA_WARNING]);
  assert.equal(state.events, 5);
  assert.equal(state.unknownEvents, 0);
  assert.equal(state.malformedLines, 0);
  assert.deepEqual(state.toolCalls.total, 0);
  assert.deepEqual(steps, [
    `Warning: ${METADATA_WARNING}`,
    "Message: MOCK-DONE hello",
    "Turn completed (10 input, 5 output tokens)",
  ]);
});

Deno.test("fixture jsonl-command: one command counted once, reasoning, steps", () => {
  const { state, steps } = run(command);
  assert.equal(state.turn, "completed");
  assert.deepEqual(state.toolCalls, {
    total: 1,
    commands: 1,
    fileChanges: 0,
    mcpToolCalls: 0,
    webSearches: 0,
  });
  assert.deepEqual(state.lastTool, {
    kind: "command",
    summary: "/bin/bash -lc 'echo hi; pwd'",
    status: "completed",
    exitCode: 0,
    itemId: "item_2",
  });
  assert.equal(state.reasoning, "**Thinking** about plan");
  assert.ok(state.finalMessage?.startsWith("MOCK-DONE hello REASON=plan RUN=echo hi; pwd"));
  assert.deepEqual(state.inFlightToolIds, []);
  assert.deepEqual(steps.slice(1), [
    "Thinking: Thinking about plan",
    "Running: echo hi; pwd",
    "Command finished (exit 0): echo hi; pwd",
    "Message: MOCK-DONE hello REASON=plan RUN=echo hi; pwd OUTPUT: Chunk ID: fd07aa Wall time…",
    "Turn completed (20 input, 10 output tokens)",
  ]);
});

Deno.test("fixture jsonl-command-fails: a failed command is not a failed turn", () => {
  const { state, steps } = run(commandFails);
  assert.equal(state.turn, "completed");
  assert.equal(state.failure, null);
  assert.equal(state.toolCalls.commands, 1);
  assert.equal(state.lastTool?.status, "failed");
  assert.equal(state.lastTool?.exitCode, 2);
  assert.ok(steps.includes("Command failed (exit 2): ls /nonexistent"));
});

Deno.test("fixture jsonl-turn-failed: failure from turn.failed; error event is only a warning", () => {
  const { state, steps } = run(turnFailed);
  const message =
    '{"error":{"message":"mock model refused: FAIL directive","type":"invalid_request_error"}}';
  assert.equal(state.turn, "failed");
  assert.equal(state.failure, message);
  assert.equal(state.finalMessage, null);
  assert.equal(state.usage, null);
  assert.deepEqual(state.warnings, [METADATA_WARNING, message]);
  assert.equal(steps.at(-1), `Turn failed: ${message}`);
});

Deno.test("recorded resume: usage is cumulative per thread, taken from the latest turn", () => {
  // codex-jsonl-resume2.txt from /work/shared/codex-jsonl, shortened.
  const { state } = run(lines(
    { type: "thread.started", thread_id: "01a211f5-33d5-7650-96c5-f78d06550fef" },
    { type: "turn.started" },
    {
      type: "turn.completed",
      usage: {
        input_tokens: 50,
        cached_input_tokens: 7,
        cache_write_input_tokens: 0,
        output_tokens: 25,
        reasoning_output_tokens: 3,
      },
    },
  ));
  assert.equal(state.threadId, "01a211f5-33d5-7650-96c5-f78d06550fef");
  assert.deepEqual(state.usage, {
    inputTokens: 50,
    cachedInputTokens: 7,
    outputTokens: 25,
    reasoningOutputTokens: 3,
  });
});

Deno.test("'Reconnecting...' error events are warnings, not failures", () => {
  const { state, steps } = run(lines(
    { type: "thread.started", thread_id: "t" },
    { type: "turn.started" },
    { type: "error", message: "Reconnecting... 1/5" },
    { type: "error", message: "Reconnecting... 2/5" },
  ));
  assert.equal(state.turn, "running");
  assert.equal(state.failure, null);
  assert.deepEqual(state.warnings, ["Reconnecting... 1/5", "Reconnecting... 2/5"]);
  assert.deepEqual(steps, ["Warning: Reconnecting... 1/5", "Warning: Reconnecting... 2/5"]);
  const after = run(
    lines(
      item("completed", { id: "item_1", type: "agent_message", text: "done" }),
      {
        type: "turn.completed",
        usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 },
      },
    ),
    state,
  ).state;
  assert.equal(after.turn, "completed");
  assert.equal(after.failure, null);
  assert.equal(after.finalMessage, "done");
});

Deno.test("warnings keep the latest 20, each at most 500 characters", () => {
  const events = [];
  for (let i = 0; i < 50; i++) events.push({ type: "error", message: `Reconnecting... ${i}/50` });
  events.push(item("completed", { id: "e", type: "error", message: "x".repeat(10_000) }));
  const { state } = run(lines(...events));
  assert.equal(state.warnings.length, WARNINGS_CAP);
  assert.equal(state.warnings[0], "Reconnecting... 31/50");
  assert.equal(state.warnings.at(-1)?.length, WARNING_MAX_CHARS);
  assert.ok(state.warnings.at(-1)?.endsWith("…"));
  assert.equal(state.failure, null);
});

Deno.test("a new turn clears the failure of the previous one", () => {
  const { state } = run(lines(
    { type: "turn.started" },
    { type: "turn.failed", error: { message: "boom" } },
    { type: "turn.started" },
  ));
  assert.equal(state.turn, "running");
  assert.equal(state.failure, null);
});

Deno.test("unknown event types and unknown item types are kept and counted", () => {
  const { state, steps } = run(lines(
    { type: "session.compacted", tokens: 5 },
    item("completed", { id: "item_7", type: "image_view", path: "/a.png" }),
    { type: "turn.started" },
  ));
  assert.equal(state.unknownEvents, 2);
  assert.equal(state.malformedLines, 0);
  assert.equal(state.events, 3);
  assert.deepEqual(JSON.parse(state.lastUnknown ?? ""), {
    type: "item.completed",
    item: { id: "item_7", type: "image_view", path: "/a.png" },
  });
  assert.equal(state.turn, "running");
  assert.deepEqual(steps, []);
  const big = run(lines({ type: "future", blob: "y".repeat(100_000) })).state;
  assert.equal(big.lastUnknown?.length, LAST_UNKNOWN_MAX_CHARS);
});

Deno.test("malformed lines are counted and the latest one kept, truncated", () => {
  const { state } = run(
    [
      "Reading prompt from stdin...",
      '{"type":"turn.started"',
      '{"type":"turn.failed"}',
      "z".repeat(10_000),
      '{"type":"turn.started"}',
    ].join("\n"),
  );
  assert.equal(state.malformedLines, 4);
  assert.equal(state.unknownEvents, 0);
  assert.equal(state.events, 5);
  assert.equal(state.lastUnknown, "z".repeat(LAST_UNKNOWN_MAX_CHARS - 1) + "…");
  assert.equal(state.turn, "running");
  assert.equal(state.failure, null);
});

Deno.test("output keeps a bounded tail of 10 MB of messages; finalMessage is the latest", () => {
  let state = initialRunState();
  const chunk = "é".repeat(9_999) + "\n";
  for (let i = 0; i < 1_000; i++) {
    const text = `#${i} ${chunk}`;
    state = applyEvent(
      state,
      parse(JSON.stringify(item("completed", { id: `m${i}`, type: "agent_message", text }))),
    );
    assert.ok(state.output.length <= OUTPUT_TAIL_CHARS);
  }
  assert.equal(state.output.length, OUTPUT_TAIL_CHARS);
  assert.equal(state.finalMessage, `#999 ${chunk}`);
  assert.ok(state.output.endsWith(`\n\n#999 ${chunk}`));
  assert.equal(state.events, 1_000);
});

Deno.test("output: messages joined with a blank line; one huge message is cut to its tail", () => {
  const { state } = run(lines(
    item("completed", { id: "a", type: "agent_message", text: "one" }),
    item("completed", { id: "b", type: "agent_message", text: "two" }),
  ));
  assert.equal(state.output, "one\n\ntwo");
  const huge = "😀".repeat(OUTPUT_TAIL_CHARS); // 2 UTF-16 units each
  const after = run(lines(item("completed", { id: "c", type: "agent_message", text: huge })), state)
    .state;
  assert.equal(after.output.length, OUTPUT_TAIL_CHARS);
  assert.equal(after.output, huge.slice(-OUTPUT_TAIL_CHARS));
  assert.equal(after.finalMessage, huge);
});

Deno.test("output never starts with half a surrogate pair", () => {
  const { state } = run(lines(
    item("completed", {
      id: "a",
      type: "agent_message",
      text: "x" + "😀".repeat(OUTPUT_TAIL_CHARS),
    }),
  ));
  assert.equal(state.output.length, OUTPUT_TAIL_CHARS);
  assert.equal(state.output.codePointAt(0), 0x1f600);
  const odd = run(lines(item("completed", {
    id: "b",
    type: "agent_message",
    text: "x" + "😀".repeat(OUTPUT_TAIL_CHARS / 2) + "y",
  }))).state;
  assert.ok(odd.output.length <= OUTPUT_TAIL_CHARS);
  assert.equal(odd.output.codePointAt(0), 0x1f600);
});

Deno.test("tool items are counted once: started, updated and completed share an id", () => {
  const cmd = {
    id: "item_1",
    type: "command_execution",
    command: "ls",
    aggregated_output: "",
    exit_code: null,
    status: "in_progress",
  };
  const { state, steps } = run(lines(
    item("started", cmd),
    item("updated", { ...cmd, aggregated_output: "a\n" }),
    item("started", cmd),
    item("completed", { ...cmd, aggregated_output: "a\n", exit_code: 0, status: "completed" }),
    // Completed without ever being started: counted on completion.
    item("completed", { ...cmd, id: "item_2", exit_code: 1, status: "failed" }),
    item("started", { ...cmd, id: "item_3", command: "sleep 9" }),
  ));
  assert.equal(state.toolCalls.commands, 3);
  assert.equal(state.toolCalls.total, 3);
  assert.deepEqual(state.inFlightToolIds, ["item_3"]);
  assert.deepEqual(state.lastTool, {
    kind: "command",
    summary: "sleep 9",
    status: "in_progress",
    exitCode: null,
    itemId: "item_3",
  });
  assert.deepEqual(steps, [
    "Running: ls",
    "Command finished (exit 0): ls",
    "Command failed (exit 1): ls",
    "Running: sleep 9",
  ]);
});

Deno.test("MCP tool calls, web searches, file changes and collab calls are counted", () => {
  const mcp = {
    id: "m1",
    type: "mcp_tool_call",
    server: "fs",
    tool: "read_file",
    arguments: { path: "/a.ts", pad: "p".repeat(500) },
    status: "in_progress",
  };
  const { state, steps } = run(lines(
    item("started", mcp),
    item("completed", { ...mcp, status: "failed", error: { message: "no such file" } }),
    item("started", { id: "w1", type: "web_search", query: "deno streams" }),
    item("completed", { id: "w1", type: "web_search", query: "deno streams" }),
    item("completed", {
      id: "f1",
      type: "file_change",
      changes: [{ path: "a.ts", kind: "update" }, { path: "b.ts", kind: "add" }],
      status: "completed",
    }),
    item("started", {
      id: "c1",
      type: "collab_tool_call",
      tool: "spawn_agent",
      status: "in_progress",
    }),
  ));
  assert.deepEqual(state.toolCalls, {
    total: 4,
    commands: 0,
    fileChanges: 1,
    mcpToolCalls: 1,
    webSearches: 1,
  });
  assert.deepEqual(state.filesChanged, ["a.ts", "b.ts"]);
  assert.deepEqual(state.lastTool, {
    kind: "file_change",
    summary: "a.ts, b.ts",
    status: "completed",
    itemId: "f1",
  });
  assert.deepEqual(steps, [
    "Calling tool: fs.read_file",
    "Tool call failed: fs.read_file: no such file",
    "Searching: deno streams",
    "Searched: deno streams",
    "Edited 2 files: a.ts, b.ts",
  ]);
  const mcpState = run(lines(item("started", mcp))).state;
  assert.equal(mcpState.lastTool?.kind, "mcp_tool_call");
  assert.equal(mcpState.lastTool?.status, "in_progress");
  assert.ok(mcpState.lastTool?.summary.startsWith('fs.read_file({"path":"/a.ts","pad":"ppp'));
  assert.ok(mcpState.lastTool?.summary.endsWith("…)"));
  assert.ok((mcpState.lastTool?.summary.length ?? 0) < 140);
  const webState = run(lines(item("started", { id: "w", type: "web_search", query: "q" }))).state;
  assert.deepEqual(webState.lastTool, {
    kind: "web_search",
    summary: "q",
    status: "in_progress",
    itemId: "w",
  });
});

Deno.test("filesChanged: unique, first-seen order, only applied patches, capped", () => {
  const change = (id: string, paths: string[], status: string) =>
    item("completed", {
      id,
      type: "file_change",
      changes: paths.map((path) => ({ path, kind: "update" })),
      status,
    });
  const { state, steps } = run(lines(
    item("updated", {
      id: "f0",
      type: "file_change",
      changes: [{ path: "pending.ts", kind: "add" }],
      status: "in_progress",
    }),
    change("f0", ["src/b.ts"], "completed"),
    change("f1", ["src/a.ts", "src/b.ts"], "completed"),
    change("f2", ["rejected.ts"], "failed"),
    change("f3", ["src/b.ts", "src/c.ts"], "completed"),
  ));
  assert.deepEqual(state.filesChanged, ["src/b.ts", "src/a.ts", "src/c.ts"]);
  assert.equal(state.toolCalls.fileChanges, 4);
  assert.deepEqual(steps, [
    "Edited 1 file: src/b.ts",
    "Edited 2 files: src/a.ts, src/b.ts",
    "File change failed: rejected.ts",
    "Edited 2 files: src/b.ts, src/c.ts",
  ]);
  const many = Array.from({ length: FILES_CHANGED_CAP + 100 }, (_, i) => `f${i}.ts`);
  const capped = run(lines(change("big", many, "completed"))).state;
  assert.equal(capped.filesChanged.length, FILES_CHANGED_CAP);
  assert.equal(capped.filesChanged.at(-1), `f${FILES_CHANGED_CAP - 1}.ts`);
});

Deno.test("todo_list: started, item.updated and completed replace the list", () => {
  const todo = (phase: "started" | "updated" | "completed", done: boolean[]) =>
    item(phase, {
      id: "item_5",
      type: "todo_list",
      items: done.map((completed, i) => ({ text: `step ${i + 1}`, completed })),
    });
  const { state, steps } = run(lines(
    todo("started", [false, false, false]),
    todo("updated", [true, false, false]),
    todo("updated", [true, false, false]),
    todo("completed", [true, true, true]),
  ));
  assert.deepEqual(state.todoList, [
    { text: "step 1", completed: true },
    { text: "step 2", completed: true },
    { text: "step 3", completed: true },
  ]);
  assert.deepEqual(steps, ["Plan: 0/3 done", "Plan: 1/3 done", "Plan: 3/3 done"]);
  assert.equal(state.toolCalls.total, 0);
  const middle = run(lines(todo("started", [false, false]), todo("updated", [true, false])));
  assert.deepEqual(middle.state.todoList, [
    { text: "step 1", completed: true },
    { text: "step 2", completed: false },
  ]);
});

Deno.test("agent_message and error items count only when completed; reasoning at any phase", () => {
  const { state } = run(lines(
    item("started", { id: "a", type: "agent_message", text: "partial" }),
    item("updated", { id: "r", type: "reasoning", text: "thinking..." }),
    item("started", { id: "e", type: "error", message: "not yet" }),
  ));
  assert.equal(state.finalMessage, null);
  assert.equal(state.output, "");
  assert.equal(state.reasoning, "thinking...");
  assert.deepEqual(state.warnings, []);
});

Deno.test("request_user_input is a warning", () => {
  const { state, steps } = run(lines({
    type: "request_user_input",
    id: "t",
    call_id: "c",
    questions: [{ id: "q", header: "H", question: "Which database?" }],
  }));
  assert.deepEqual(state.warnings, [
    "Codex asked for input, which exec mode cannot give: Which database?",
  ]);
  assert.deepEqual(steps, ["Codex asked for input, which exec mode cannot give"]);
});

Deno.test("in-flight ids stay bounded however many tools never complete", () => {
  const events = [];
  for (let i = 0; i < IN_FLIGHT_CAP * 3; i++) {
    events.push(item("started", { id: `w${i}`, type: "web_search", query: `q${i}` }));
  }
  const { state } = run(lines(...events));
  assert.equal(state.inFlightToolIds.length, IN_FLIGHT_CAP);
  assert.equal(state.inFlightToolIds.at(-1), `w${IN_FLIGHT_CAP * 3 - 1}`);
  assert.equal(state.toolCalls.webSearches, IN_FLIGHT_CAP * 3);
});

Deno.test("applyEvent does not change the state it is given", () => {
  let state = initialRunState();
  const all = [message, command, commandFails, turnFailed].join("\n").split("\n");
  all.push(
    JSON.stringify(item("completed", {
      id: "f",
      type: "file_change",
      changes: [{ path: "a", kind: "add" }],
      status: "completed",
    })),
    JSON.stringify(item("updated", { id: "t", type: "todo_list", items: [] })),
    "garbage",
    '{"type":"new.thing"}',
  );
  for (const line of all) {
    const parsed = parseEventLine(line);
    if (parsed === null) continue;
    const before = structuredClone(state);
    const frozen = deepFreeze(state);
    state = applyEvent(frozen, parsed);
    assert.deepEqual(frozen, before);
  }
  assert.equal(state.events, all.filter((line) => line.trim() !== "").length);
});

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

Deno.test("the state is plain JSON data", () => {
  const { state } = run(command);
  assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
});

Deno.test("describeStep: null for lines that are not steps", () => {
  const prev = initialRunState();
  for (
    const line of [
      '{"type":"thread.started","thread_id":"t"}',
      '{"type":"turn.started"}',
      '{"type":"item.plan.delta","item_id":"i","delta":"d"}',
      '{"type":"unknown.kind"}',
      "not json",
      '{"type":"item.updated","item":{"id":"a","type":"agent_message","text":"partial"}}',
    ]
  ) {
    const parsed = parse(line);
    assert.equal(describeStep(prev, applyEvent(prev, parsed), parsed), null, line);
  }
});

Deno.test("describeStep: one line, at most 200 characters", () => {
  const prev = initialRunState();
  const parsed = parse(JSON.stringify(item("completed", {
    id: "a",
    type: "agent_message",
    text: "line one\n\n  line two " + "word ".repeat(10_000),
  })));
  const step = describeStep(prev, applyEvent(prev, parsed), parsed);
  assert.ok(step !== null);
  assert.ok(step.startsWith("Message: line one line two word word"));
  assert.ok(!step.includes("\n"));
  assert.ok(step.length <= 200);
  const failed = parse(
    JSON.stringify({ type: "turn.failed", error: { message: "e".repeat(999) } }),
  );
  assert.equal(describeStep(prev, applyEvent(prev, failed), failed)?.length, 200);
});

Deno.test("displayCommand removes the shell wrapper Codex adds", () => {
  assert.equal(displayCommand("/bin/bash -lc 'ls -la'"), "ls -la");
  assert.equal(displayCommand("/bin/bash -lc 'echo hi; pwd'"), "echo hi; pwd");
  assert.equal(displayCommand('bash -lc "echo \\"x\\""'), 'echo "x"');
  assert.equal(displayCommand("/bin/zsh -lc 'echo '\"'\"'q'\"'\"''"), "echo 'q'");
  assert.equal(displayCommand("/bin/bash -lc 'it'\\''s'"), "it's");
  assert.equal(displayCommand("/bin/sh -c ls"), "ls");
  // Not exactly one shell word after -lc: kept as is.
  assert.equal(displayCommand("/bin/bash -lc 'a' 'b'"), "/bin/bash -lc 'a' 'b'");
  assert.equal(displayCommand("/bin/bash -lc 'unterminated"), "/bin/bash -lc 'unterminated");
  assert.equal(displayCommand("ls -la"), "ls -la");
  assert.equal(displayCommand("python3 -c 'print(1)'"), "python3 -c 'print(1)'");
});
