import assert from "node:assert/strict";
import type { ThreadItem } from "./events.ts";
import {
  applyItem,
  describeItem,
  FILES_CHANGED_CAP,
  IN_FLIGHT_CAP,
  initialRunState,
  type ItemPhase,
  OUTPUT_TAIL_CHARS,
  type RunState,
} from "./run_state.ts";

/** Applies each item event; returns the final state and the step messages. */
function fold(events: Array<[ItemPhase, ThreadItem]>, from: RunState = initialRunState()) {
  let state = from;
  const steps: string[] = [];
  for (const [phase, item] of events) {
    const step = describeItem(state, phase, item);
    if (step !== null) steps.push(step);
    state = applyItem(state, phase, item);
  }
  return { state, steps };
}

const command = (id: string, extra: Partial<ThreadItem & { type: "commandExecution" }> = {}) => ({
  type: "commandExecution" as const,
  id,
  command: "/bin/bash -lc ls",
  status: "inProgress",
  aggregatedOutput: null,
  exitCode: null,
  ...extra,
});

Deno.test("run_state: tool items are counted once: started and completed share an id", () => {
  const { state, steps } = fold([
    ["started", command("c1")],
    ["started", command("c1")],
    ["completed", command("c1", { status: "completed", exitCode: 0 })],
    // Completed without ever being started: counted on completion.
    ["completed", command("c2", { status: "failed", exitCode: 1 })],
    ["completed", command("c3", { status: "declined" })],
    ["started", command("c4", { command: "/bin/bash -lc 'sleep 9'" })],
  ]);
  assert.equal(state.toolCalls.commands, 4);
  assert.equal(state.toolCalls.total, 4);
  assert.deepEqual(state.inFlightToolIds, ["c4"]);
  assert.deepEqual(state.lastTool, {
    kind: "command",
    summary: "sleep 9",
    status: "in_progress",
    exitCode: null,
    itemId: "c4",
  });
  assert.deepEqual(steps, [
    "Running: ls",
    "Command finished (exit 0): ls",
    "Command failed (exit 1): ls",
    "Command declined: ls",
    "Running: sleep 9",
  ]);
});

Deno.test("run_state: MCP tool calls, web searches and file changes are counted", () => {
  const mcp = {
    type: "mcpToolCall" as const,
    id: "m1",
    server: "fs",
    tool: "read_file",
    arguments: { path: "/a.ts", pad: "p".repeat(500) },
    status: "inProgress",
  };
  const search = { type: "webSearch" as const, id: "w1", query: "deno streams" };
  const patch = {
    type: "fileChange" as const,
    id: "f1",
    changes: ["a.ts", "b.ts"].map((path) => ({ path, kind: { type: "update" }, diff: "" })),
    status: "completed",
  };
  const started = fold([["started", mcp]]).state;
  assert.equal(started.lastTool?.status, "in_progress");
  assert.ok(started.lastTool?.summary.startsWith('fs.read_file({"path":"/a.ts","pad":"ppp'));
  assert.ok(started.lastTool?.summary.endsWith("…)"));
  const { state, steps } = fold([
    ["completed", { ...mcp, status: "failed", error: { message: "no such file" } }],
    ["started", search],
    ["completed", search],
    ["completed", patch],
  ], started);
  assert.deepEqual(state.toolCalls, {
    total: 3,
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
    "Tool call failed: fs.read_file: no such file",
    "Searching: deno streams",
    "Searched: deno streams",
    "Edited 2 files: a.ts, b.ts",
  ]);
});

Deno.test("run_state: filesChanged is unique, first-seen, only applied patches, capped", () => {
  const change = (id: string, paths: string[], status: string): [ItemPhase, ThreadItem] => [
    "completed",
    {
      type: "fileChange",
      id,
      changes: paths.map((path) => ({ path, kind: { type: "update" }, diff: "" })),
      status,
    },
  ];
  const { state, steps } = fold([
    ["started", { ...change("f0", ["pending.ts"], "inProgress")[1] }],
    change("f0", ["src/b.ts"], "completed"),
    change("f1", ["src/a.ts", "src/b.ts"], "completed"),
    change("f2", ["rejected.ts"], "declined"),
    change("f3", ["src/b.ts", "src/c.ts"], "completed"),
  ]);
  assert.deepEqual(state.filesChanged, ["src/b.ts", "src/a.ts", "src/c.ts"]);
  assert.equal(state.toolCalls.fileChanges, 4);
  assert.deepEqual(steps, [
    "Edited 1 file: src/b.ts",
    "Edited 2 files: src/a.ts, src/b.ts",
    "File change declined: rejected.ts",
    "Edited 2 files: src/b.ts, src/c.ts",
  ]);
  const many = Array.from({ length: FILES_CHANGED_CAP + 100 }, (_, i) => `f${i}.ts`);
  const capped = fold([change("big", many, "completed")]).state;
  assert.equal(capped.filesChanged.length, FILES_CHANGED_CAP);
  assert.equal(capped.filesChanged.at(-1), `f${FILES_CHANGED_CAP - 1}.ts`);
});

Deno.test("run_state: messages count when completed, keep a bounded tail; prompts are not told", () => {
  const message = (id: string, text: string): ThreadItem => ({ type: "agentMessage", id, text });
  const { state, steps } = fold([
    ["started", { type: "userMessage", id: "u", content: [{ type: "text", text: "hi" }] }],
    ["started", message("a", "")],
    ["completed", message("a", "first")],
    ["completed", message("b", "x".repeat(OUTPUT_TAIL_CHARS))],
    ["completed", message("c", "last")],
  ]);
  assert.equal(state.finalMessage, "last");
  assert.equal(state.output.length, OUTPUT_TAIL_CHARS);
  assert.ok(state.output.endsWith("x\n\nlast"));
  assert.deepEqual(steps.map((s) => s.slice(0, 14)), [
    "Message: first",
    "Message: xxxxx",
    "Message: last",
  ]);
});

Deno.test("run_state: reasoning, plans and items of unknown types", () => {
  const { state, steps } = fold([
    ["started", { type: "reasoning", id: "r", summary: [], content: ["raw"] }],
    ["completed", { type: "reasoning", id: "r", summary: ["**Why**", "because"] }],
    ["completed", { type: "plan", id: "p", text: "1. do" }],
    ["completed", { type: "other", itemType: "contextCompaction", id: "x", raw: { n: 1 } }],
  ]);
  assert.equal(state.reasoning, "**Why**\n\nbecause");
  assert.equal(state.unknownEvents, 1);
  assert.equal(state.lastUnknown, '{"method":"item/completed","item":{"n":1}}');
  assert.deepEqual(steps, ["Thinking: Why because"]);
});

Deno.test("run_state: in-flight ids stay bounded however many tools never complete", () => {
  const events: Array<[ItemPhase, ThreadItem]> = [];
  for (let i = 0; i < IN_FLIGHT_CAP * 3; i++) {
    events.push(["started", { type: "webSearch", id: `w${i}`, query: `q${i}` }]);
  }
  const { state } = fold(events);
  assert.equal(state.inFlightToolIds.length, IN_FLIGHT_CAP);
  assert.equal(state.inFlightToolIds.at(-1), `w${IN_FLIGHT_CAP * 3 - 1}`);
  assert.equal(state.toolCalls.webSearches, IN_FLIGHT_CAP * 3);
});

Deno.test("run_state: applyItem does not change the state it is given; steps fit one line", () => {
  const before = initialRunState();
  const frozen = JSON.stringify(before);
  const long = command("c", { command: `echo ${"y".repeat(999)}\nnext` });
  const { steps } = fold([["started", long]], before);
  assert.equal(JSON.stringify(before), frozen);
  assert.equal(steps[0]!.length, 200);
  assert.ok(!steps[0]!.includes("\n"));
});
