import assert from "node:assert/strict";
import type { RunState } from "./run_state.ts";
import { type AppServerEvent, parseEvent } from "./events.ts";
import {
  applyEvent,
  describeStep,
  describeTurnError,
  diffStatOf,
  initialTurnState,
  LIVE_OUTPUT_CHARS,
  type TurnState,
} from "./turn_state.ts";

const fixtures = new URL("../../tests/fixtures/", import.meta.url).pathname;

/** The recorded notifications of one real app-server turn (tests/support/record_app_server.ts). */
function recorded(name: string): AppServerEvent[] {
  return Deno.readTextFileSync(`${fixtures}app-server-${name}.jsonl`).split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => parseEvent(JSON.parse(line)));
}

function reduce(events: AppServerEvent[], from = initialTurnState()) {
  let state = from;
  const steps: string[] = [];
  for (const event of events) {
    const next = applyEvent(state, event);
    const step = describeStep(state, next, event);
    if (step !== null) steps.push(step);
    state = next;
  }
  return { state, steps };
}

function event(method: string, params: unknown): AppServerEvent {
  return parseEvent({ method, params });
}

Deno.test("TurnState is a RunState, so today's views read it", () => {
  const state: RunState = initialTurnState();
  assert.equal(state.turn, "idle");
});

Deno.test("turn_state: a recorded message turn (reasoning, message, usage)", () => {
  const events = recorded("message");
  assert.deepEqual(events.filter((e) => e.kind !== "event").map((e) => e.method), []);
  const { state, steps } = reduce(events);
  assert.equal(state.turnStatus, "completed");
  assert.equal(state.turn, "completed");
  assert.match(state.threadId ?? "", /^[0-9a-f-]{36}$/);
  assert.match(state.turnId ?? "", /^[0-9a-f-]{36}$/);
  assert.equal(state.finalMessage, "MOCK-DONE say hello REASON=greeting");
  assert.equal(state.live.message, "MOCK-DONE say hello REASON=greeting");
  assert.equal(state.reasoning, "**Thinking** about greeting");
  assert.deepEqual(state.usage, {
    inputTokens: 10,
    cachedInputTokens: 0,
    outputTokens: 5,
    reasoningOutputTokens: 0,
  });
  assert.deepEqual(state.usageTotal, state.usage);
  assert.equal(state.unknownEvents, 0);
  assert.equal(state.malformedLines, 0);
  const metadata = "Model metadata for `mock-model` not found. Defaulting to fallback metadata; " +
    "this can degrade performance and cause issues.";
  assert.deepEqual(state.warnings, [metadata]);
  assert.deepEqual(steps, [
    `Warning: ${metadata}`,
    "Thinking: Thinking about greeting",
    "Message: MOCK-DONE say hello REASON=greeting",
    "Turn completed (10 input, 5 output tokens)",
  ]);
});

Deno.test("turn_state: a recorded command turn; usage counts both model requests of the turn", () => {
  const { state, steps } = reduce(recorded("command"));
  assert.equal(state.toolCalls.commands, 1);
  assert.equal(state.toolCalls.total, 1);
  assert.deepEqual(state.inFlightToolIds, []);
  assert.equal(state.lastTool?.kind, "command");
  // The command as written, without the login shell Codex wraps it in.
  assert.equal(state.lastTool?.summary, "echo hello-out");
  assert.equal(state.lastTool?.status, "completed");
  assert.equal(state.lastTool?.exitCode, 0);
  assert.match(state.live.commandOutput, /hello-out/);
  // Two model requests of 10 + 5 tokens: `last` is the second alone, the turn is both.
  assert.equal(state.usageLast?.inputTokens, 10);
  assert.equal(state.usage?.inputTokens, 20);
  assert.equal(state.usage?.outputTokens, 10);
  assert.deepEqual(steps.slice(1, 3), [
    "Running: echo hello-out",
    "Command finished (exit 0): echo hello-out",
  ]);
  assert.equal(steps.at(-1), "Turn completed (20 input, 10 output tokens)");
});

Deno.test("turn_state: a second turn on the thread counts its own usage, the total the thread's", () => {
  const first = reduce(recorded("message")).state;
  const second = reduce(
    recorded("message").map((e) => {
      if (e.kind === "event" && e.method === "thread/tokenUsage/updated") {
        const usage = e.params.tokenUsage;
        const double = (n: number) => n * 2;
        return event("thread/tokenUsage/updated", {
          ...e.params,
          tokenUsage: {
            ...usage,
            total: {
              ...usage.total,
              inputTokens: double(usage.total.inputTokens),
              outputTokens: double(usage.total.outputTokens),
            },
          },
        });
      }
      return e;
    }),
    first,
  ).state;
  assert.equal(second.usage?.inputTokens, 10);
  assert.equal(second.usageTotal?.inputTokens, 20);
});

Deno.test("turn_state: a recorded patch turn (approval, file change, diff stat)", () => {
  const { state, steps } = reduce(recorded("patch"));
  assert.equal(state.toolCalls.fileChanges, 1);
  assert.equal(state.filesChanged.length, 1);
  assert.match(state.filesChanged[0]!, /\/notes\.txt$/);
  assert.deepEqual(state.live.diffStat, { files: 1, insertions: 1, deletions: 0 });
  assert.equal(state.waitingOnApproval, false);
  assert.ok(steps.includes("Waiting for approval"));
  assert.ok(steps.some((s) => /^Edited 1 file: .*notes\.txt$/.test(s)), steps.join("\n"));
});

Deno.test("turn_state: a recorded declined command", () => {
  const { state, steps } = reduce(recorded("declined"));
  assert.equal(state.lastTool?.status, "declined");
  assert.equal(state.turnStatus, "completed");
  assert.ok(steps.includes("Command declined: echo never-runs"), steps.join("\n"));
});

Deno.test("turn_state: a recorded failed turn", () => {
  const { state, steps } = reduce(recorded("failed"));
  assert.equal(state.turnStatus, "failed");
  assert.equal(state.turn, "failed");
  assert.match(state.failure ?? "", /mock model refused: FAIL directive/);
  assert.match(steps.at(-1)!, /^Turn failed: .*FAIL directive/);
});

Deno.test("turn_state: a recorded steer: the final message quotes both prompts", () => {
  const { state } = reduce(recorded("steer"));
  assert.equal(state.finalMessage, "MOCK-DONE wait HOLD=1500 | and also this");
});

Deno.test("turn_state: deltas build the live message and output; item/completed wins", () => {
  const ids = { threadId: "t", turnId: "u" };
  const command = {
    type: "commandExecution",
    id: "c1",
    command: "/bin/bash -lc 'make'",
    status: "inProgress",
    aggregatedOutput: null,
    exitCode: null,
  };
  const { state } = reduce([
    event("turn/started", { threadId: "t", turn: { id: "u", status: "inProgress", error: null } }),
    event("item/started", { ...ids, item: { type: "agentMessage", id: "m1", text: "" } }),
    event("item/agentMessage/delta", { ...ids, itemId: "m1", delta: "Hel" }),
    event("item/agentMessage/delta", { ...ids, itemId: "m1", delta: "lo" }),
  ]);
  assert.equal(state.live.message, "Hello");
  assert.equal(state.finalMessage, null);
  const running = reduce([
    event("item/started", { ...ids, item: command }),
    event("item/commandExecution/outputDelta", { ...ids, itemId: "c1", delta: "x".repeat(9000) }),
    event("item/commandExecution/outputDelta", { ...ids, itemId: "c1", delta: "END" }),
  ], state).state;
  assert.equal(running.live.commandOutput.length, LIVE_OUTPUT_CHARS);
  assert.ok(running.live.commandOutput.endsWith("END"));
  const done = reduce([
    event("item/completed", {
      ...ids,
      item: { ...command, status: "completed", aggregatedOutput: "all of it\n", exitCode: 0 },
    }),
  ], running).state;
  assert.equal(done.live.commandOutput, "all of it\n");
});

Deno.test("turn_state: plan updates, waiting, interrupts, other threads and unknown events", () => {
  const ids = { threadId: "t", turnId: "u" };
  const { state, steps } = reduce([
    event("thread/started", { thread: { id: "t" } }),
    event("turn/started", { threadId: "t", turn: { id: "u", status: "inProgress", error: null } }),
    event("turn/plan/updated", {
      ...ids,
      explanation: null,
      plan: [{ step: "read", status: "completed" }, { step: "write", status: "inProgress" }],
    }),
    event("thread/status/changed", {
      threadId: "t",
      status: { type: "active", activeFlags: ["waitingOnApproval"] },
    }),
    event("turn/plan/updated", {
      ...ids,
      plan: [{ step: "x", status: "pending" }],
      threadId: "other",
    }),
    event("something/new", { threadId: "t" }),
    event("turn/diff/updated", { ...ids, diff: 42 }),
    event("turn/completed", {
      threadId: "t",
      turn: { id: "u", status: "interrupted", error: null },
    }),
  ]);
  assert.deepEqual(state.live.plan, [
    { step: "read", status: "completed" },
    { step: "write", status: "inProgress" },
  ]);
  assert.deepEqual(state.todoList, [
    { text: "read", completed: true },
    { text: "write", completed: false },
  ]);
  assert.equal(state.unknownEvents, 1);
  assert.equal(state.malformedLines, 1);
  assert.match(state.lastUnknown ?? "", /^turn\/diff\/updated: diff:/);
  assert.equal(state.turnStatus, "interrupted");
  assert.equal(state.turn, "failed");
  assert.equal(state.failure, "Turn interrupted");
  assert.equal(state.waitingOnApproval, false);
  assert.deepEqual(steps, ["Plan: 1/2 done", "Waiting for approval", "Turn interrupted"]);
});

Deno.test("turn_state: applyEvent is pure", () => {
  const before: TurnState = initialTurnState();
  const frozen = JSON.stringify(before);
  reduce(recorded("command"), before);
  assert.equal(JSON.stringify(before), frozen);
});

Deno.test("diffStatOf counts files and lines, not headers", () => {
  const diff = [
    "diff --git a/a b/a",
    "--- a/a",
    "+++ b/a",
    "@@ -1,2 +1,2 @@",
    "-old",
    "+new",
    "+more",
    "diff --git a/b b/b",
    "new file mode 100644",
    "--- /dev/null",
    "+++ b/b",
    "@@ -0,0 +1 @@",
    "+x",
  ].join("\n");
  assert.deepEqual(diffStatOf(diff), { files: 2, insertions: 3, deletions: 1 });
});

Deno.test("describeTurnError names the kind and HTTP status Codex's message leaves out", () => {
  assert.equal(
    describeTurnError({ message: "high demand", codexErrorInfo: "internalServerError" }),
    "high demand (internalServerError: the model API answered a server error, HTTP 5xx)",
  );
  assert.equal(
    describeTurnError({
      message: "busy",
      codexErrorInfo: { responseTooManyFailedAttempts: { httpStatusCode: 503 } },
    }),
    "busy (responseTooManyFailedAttempts, HTTP 503)",
  );
  assert.equal(
    describeTurnError({
      message: "last status: 429",
      codexErrorInfo: { x: { httpStatusCode: 429 } },
    }),
    "last status: 429 (x)",
  );
  assert.equal(describeTurnError({ message: "boom", codexErrorInfo: "other" }), "boom");
  assert.equal(describeTurnError({ message: "boom" }), "boom");
});

Deno.test("turn_state: a recorded review: its sub-turn ends with the review's root turn", () => {
  const { state } = reduce(recorded("review"));
  assert.equal(state.turnStatus, "completed");
  assert.equal(state.turnId, "01a23426-558c-7100-8e4d-3747c1494120");
  assert.equal(state.subTurnId, "01a23426-55fa-7e10-8e10-b76a576307ac");
  assert.match(
    state.finalMessage ?? "",
    /^MOCK-REVIEW of 2 file\(s\): 2 finding\(s\)\.\n\nFull review/,
  );
});

Deno.test("turn_state: a worker environment's disconnect is a step, not an unknown event", () => {
  const before = { ...initialTurnState(), threadId: "t1" };
  const lost = event("thread/environment/disconnected", { threadId: "t1", environmentId: "gpu" });
  const after = applyEvent(before, lost);
  assert.equal(after.unknownEvents, 0);
  assert.equal(describeStep(before, after, lost), "Worker environment gpu disconnected");
});

Deno.test("applyEvent: a notification added to EVENT_PARAMS fails the type check until turn_state folds or names it", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const copy = await Deno.makeTempDir({ prefix: "turn-state-exhaustive-" });
  try {
    for (const file of ["deno.json", "deno.lock"]) {
      await Deno.copyFile(`${root}${file}`, `${copy}/${file}`);
    }
    await new Deno.Command("cp", { args: ["-R", `${root}lib`, `${copy}/lib`] }).output();
    const events = `${copy}/lib/codex/events.ts`;
    const text = await Deno.readTextFile(events);
    const added = text.replace(
      "export const EVENT_PARAMS = {",
      'export const EVENT_PARAMS = {\n  "thread/newlyKnown": z.looseObject({}),',
    );
    assert.notEqual(added, text);
    await Deno.writeTextFile(events, added);
    const check = (path: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["check", "--quiet", path],
        cwd: copy,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const out = await check("lib/codex/turn_state.ts");
    const said = new TextDecoder().decode(out.stderr);
    assert.notEqual(out.code, 0, "turn_state.ts type-checks with an unfolded notification");
    assert.match(said, /TS2366[^]*turn_state\.ts/);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});
