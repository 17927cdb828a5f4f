import assert from "node:assert/strict";
import { readCap, readTask, readTaskList } from "./task_info.ts";

/** A task view as lib/mcp/tools/task_view.ts makes it today, with `over` on top. */
function view(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_id: "aaaaaaaaaaaa",
    phase: "running",
    done: false,
    prompt: "do the thing",
    cwd: "/repo",
    elapsed_s: 12.5,
    tool_calls: { total: 0, commands: 0, fileChanges: 0, mcpToolCalls: 0, webSearches: 0 },
    last_tool: null,
    reasoning: null,
    files_changed: [],
    todo_list: [],
    output: "",
    final_message: null,
    usage: null,
    worktree: null,
    failure: null,
    ...over,
  };
}

Deno.test("readTask: the full view of one task (the detail pane)", () => {
  const task = readTask(view({
    last_tool: {
      kind: "command",
      summary: "/bin/bash -lc 'ls -la'",
      status: "in_progress",
      exitCode: null,
      itemId: "i1",
    },
    usage: { inputTokens: 1200, cachedInputTokens: 0, outputTokens: 34, reasoningOutputTokens: 0 },
    todo_list: [{ text: "look", completed: true }, { text: "fix", completed: false }],
    worktree: {
      path: "/wt",
      branch: "codex-swarm/aaaaaaaaaaaa",
      files: [{ path: "a.ts", insertions: 3, deletions: 1 }],
      insertions: 3,
      deletions: 1,
    },
    files_changed: ["a.ts", "b.ts"],
    output: "Looking at the files",
  }))!;
  assert.equal(task.id, "aaaaaaaaaaaa");
  assert.equal(task.done, false);
  assert.deepEqual(task.command, {
    command: "ls -la",
    status: "in_progress",
    exitCode: null,
    output: null,
  });
  assert.deepEqual(task.todo, [{ text: "look", completed: true }, {
    text: "fix",
    completed: false,
  }]);
  assert.deepEqual(task.files, [
    { path: "a.ts", insertions: 3, deletions: 1 },
    { path: "b.ts", insertions: null, deletions: null },
  ]);
  assert.equal(task.insertions, 3);
  assert.equal(task.message, "Looking at the files");
  assert.equal(task.approval, null);
});

Deno.test("readTask: the last step of a row (a compact view), by what is known", () => {
  const step = (over: Record<string, unknown>) =>
    readTask({ task_id: "aaaaaaaaaaaa", phase: "running", elapsed_s: 1, ...over })!.lastStep;
  assert.equal(step({ step: "Running: make\n  -j4" }), "Running: make -j4", "a live task's step");
  assert.equal(step({ step: "Queued: waiting", record_error: "ENOSPC" }), "Queued: waiting");
  assert.equal(
    step({ phase: "completed", final_message: "All\ndone", record_error: "ENOSPC" }),
    "record not saved: ENOSPC",
  );
  assert.equal(step({ phase: "completed", final_message: "All\ndone" }), "All done");
  assert.equal(
    step({ phase: "failed", failure: "boom", final_message: "partial" }),
    "failed: boom",
  );
  assert.equal(step({ phase: "cancelled" }), "");
  assert.equal(
    step({
      phase: "failed",
      done: true,
      failure: '{"error":{"message":"model refused","type":"invalid_request_error"}}',
    }),
    "failed: model refused",
    "an API error's JSON is read for its message",
  );
});

Deno.test("readTask: a pending approval or question, the command's output, new phases", () => {
  const task = readTask(view({
    phase: "waiting_approval",
    approval: {
      kind: "command",
      command: "/bin/bash -lc 'rm -rf build'",
      cwd: "/repo",
      reason: "outside the sandbox",
    },
    last_tool: { kind: "command", summary: "make", status: "in_progress" },
    live: { message: "", commandOutput: "compiling\n", plan: [], diffStat: null },
  }))!;
  assert.equal(task.phase, "waiting_approval");
  assert.equal(task.done, false);
  assert.deepEqual(task.approval, {
    kind: "command",
    message: null,
    command: "rm -rf build",
    cwd: "/repo",
    files: [],
    diff: null,
    reason: "outside the sandbox",
  });
  assert.equal(task.lastStep, "Approval? $ rm -rf build");
  assert.equal(task.command?.output, "compiling\n");

  const patch = readTask(view({
    approval: { kind: "file_change", files: ["a.ts", "b.ts"], diff: "+x\n-y" },
  }))!;
  assert.equal(patch.approval?.kind, "file_change");
  assert.deepEqual(patch.approval?.files, ["a.ts", "b.ts"]);
  assert.equal(patch.lastStep, "Approval? edit a.ts, b.ts");

  const question = readTask(view({
    phase: "waiting_approval",
    approval: { kind: "user_input", message: "The model asks: which branch?" },
  }))!;
  assert.equal(question.approval?.kind, "user_input");
  assert.equal(question.approval?.message, "The model asks: which branch?");
  assert.equal(question.lastStep, "Question: The model asks: which branch?");

  const unknownPhase = readTask({ task_id: "x", phase: "pondering" })!;
  assert.equal(unknownPhase.phase, "pondering");
  assert.equal(unknownPhase.done, false, "an unknown phase without `done` counts as live");
  assert.equal(readTask({ task_id: "y", phase: "interrupted" })!.done, true);
});

Deno.test("readTask, readTaskList, readCap: bad entries are skipped, odd fields neutral", () => {
  assert.equal(readTask(null), null);
  assert.equal(readTask({ phase: "running" }), null, "no id");
  const odd = readTask({ task_id: "z", elapsed_s: "soon", usage: { input: "many" } })!;
  assert.equal(odd.phase, "unknown");
  assert.equal(odd.elapsedS, null);
  assert.equal(odd.tokens, null);
  const row = readTask({
    task_id: "c",
    phase: "completed",
    usage: { input: 10, output: 2 },
    branch: "codex-swarm/c",
  });
  assert.equal(row?.tokens, 12, "a row's usage");
  assert.equal(row?.branch, "codex-swarm/c");
  assert.deepEqual(
    readTaskList({ tasks: [view(), 7, { nope: true }, view({ task_id: "b" })] }).map((t) => t.id),
    ["aaaaaaaaaaaa", "b"],
  );
  assert.deepEqual(readTaskList("garbage"), []);
  assert.equal(readCap({ limits: { max_parallel: 4 } }), 4);
  assert.equal(readCap({}), null);
});
