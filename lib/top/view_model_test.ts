import assert from "node:assert/strict";
import { readTask, type TaskInfo } from "./task_info.ts";
import {
  detailLines,
  fit,
  formatElapsed,
  formatTokens,
  initialState,
  type Line,
  phaseCounts,
  plainText,
  pressKey,
  screen,
  snapshot,
  type TopState,
  withCap,
  withDetail,
  withTasks,
  wrap,
} from "./view_model.ts";

function task(id: string, over: Record<string, unknown> = {}): TaskInfo {
  return readTask({ task_id: id, phase: "running", done: false, prompt: `prompt ${id}`, ...over })!;
}

const RUNNING = task("aaaaaaaaaaaa", {
  elapsed_s: 5,
  last_tool: { kind: "command", summary: "sleep 10", status: "in_progress" },
});
const WAITING = task("bbbbbbbbbbbb", {
  phase: "waiting_approval",
  elapsed_s: 61,
  approval: { kind: "command", command: "rm -rf build", cwd: "/repo", reason: "cleanup" },
});
const DONE = task("cccccccccccc", {
  phase: "completed",
  done: true,
  elapsed_s: 4000,
  final_message: "MOCK-DONE",
  usage: { inputTokens: 12_000, outputTokens: 345 },
  worktree: { branch: "codex-swarm/cccccccccccc", files: [], insertions: 0, deletions: 0 },
});
const QUEUED = task("dddddddddddd", { phase: "queued", elapsed_s: 2 });

function state(tasks: TaskInfo[] = [RUNNING, WAITING, DONE, QUEUED]): TopState {
  return withCap(withTasks(initialState(), tasks, 1000), 4);
}

function keys(start: TopState, ...pressed: string[]): TopState {
  return pressed.reduce((s, key) => pressKey(s, key).state, start);
}

/** Every line of `lines` as text; asserts the screen fits `columns` x `rows`. */
function fits(lines: Line[], columns: number, rows: number): string[] {
  const text = plainText(lines).split("\n");
  assert.ok(text.length <= rows, `${text.length} lines on a ${rows}-row screen`);
  for (const line of text) assert.ok([...line].length <= columns, `too long: ${line}`);
  return text;
}

Deno.test("screen: header with counts, cap and queue; one row per task; 80x24", () => {
  const lines = fits(screen(state(), { columns: 80, rows: 24 }, 3000), 80, 24);
  assert.equal(lines.length, 24);
  assert.equal(lines[0], "codex-swarm top · 4 tasks · slots 2/4 · queue 1 · filter all");
  assert.equal(lines[1], "waiting_approval 1  running 1  queued 1  completed 1");
  assert.match(lines[2]!, /^ {2}ID +PHASE +TIME TOKENS BRANCH +LAST STEP$/);
  assert.match(lines[3]!, /^> aaaaaaaaaaaa running +7\.0s +- +- +\$ sleep 10$/);
  assert.match(
    lines[4]!,
    /^ {2}bbbbbbbbbbbb waiting_approval +1m03s .* Approval\? \$ rm -rf…$/,
  );
  assert.match(lines[5]!, /^ {2}cccccccccccc completed +1h06m +12k …\/cccccccccccc MOCK-DONE$/);
  assert.match(
    lines[6]!,
    /queued +2\.0s .* waiting for a free/,
    "a queued task's time stands",
  );
  assert.match(lines[23]!, /^↑↓\/jk select/);
});

Deno.test("screen: many tasks scroll to keep the selection in view; tiny and wide terminals", () => {
  const many = Array.from({ length: 60 }, (_, i) => task(`t${String(i).padStart(11, "0")}`));
  const s = keys(state(many), ...Array(40).fill("j"));
  const lines = fits(screen(s, { columns: 80, rows: 24 }, 0), 80, 24);
  assert.ok(lines.some((l) => l.startsWith("> t00000000040")), lines.join("\n"));
  fits(screen(s, { columns: 20, rows: 6 }, 0), 20, 6);
  const wide = fits(screen(state(), { columns: 200, rows: 50 }, 0), 200, 50);
  assert.match(wide[5]!, /codex-swarm\/cccccccccccc MOCK-DONE/, "room for the whole branch");
});

Deno.test("keys: selection moves and stays on its task across reads", () => {
  let s = state();
  assert.equal(s.selectedId, RUNNING.id);
  s = keys(s, "down", "j");
  assert.equal(s.selectedId, DONE.id);
  s = keys(s, "j", "j", "j");
  assert.equal(s.selectedId, QUEUED.id, "stops at the last row");
  s = keys(s, "k", "up", "up", "up", "up");
  assert.equal(s.selectedId, RUNNING.id, "stops at the first row");
  s = keys(s, "G");
  assert.equal(s.selectedId, QUEUED.id);
  s = withTasks(s, [task("eeeeeeeeeeee"), RUNNING, WAITING, DONE, QUEUED], 2000);
  assert.equal(s.selectedId, QUEUED.id, "a new task above does not move the selection");
  s = withTasks(s, [RUNNING, WAITING], 3000);
  assert.equal(s.selectedId, RUNNING.id, "a vanished task hands the selection to the first");
});

Deno.test("keys: f cycles the phase filter through the phases present", () => {
  let s = keys(state(), "f");
  assert.equal(s.filter, "waiting_approval");
  assert.equal(s.selectedId, WAITING.id);
  const lines = plainText(screen(s, { columns: 80, rows: 24 }, 0));
  assert.match(lines, /filter waiting_approval/);
  assert.doesNotMatch(lines, /aaaaaaaaaaaa/);
  s = keys(s, "f", "f", "f");
  assert.equal(s.filter, "completed");
  s = keys(s, "f");
  assert.equal(s.filter, null);
  const empty = withTasks(keys(state(), "f"), [RUNNING], 0);
  assert.match(plainText(screen(empty, { columns: 80, rows: 24 }, 0)), /No waiting_approval tasks/);
  assert.equal(empty.selectedId, null);
});

Deno.test("keys: c asks, y cancels, anything else keeps; finished tasks are not cancelled", () => {
  let r = pressKey(state(), "c");
  assert.equal(r.effect, null);
  assert.equal(r.state.confirmCancel, RUNNING.id);
  assert.match(
    plainText(screen(r.state, { columns: 80, rows: 24 }, 0)),
    /Cancel task aaaaaaaaaaaa\?/,
  );
  const yes = pressKey(r.state, "y");
  assert.deepEqual(yes.effect, { kind: "cancel", taskId: RUNNING.id });
  assert.equal(yes.state.confirmCancel, null);
  r = pressKey(pressKey(state(), "c").state, "q");
  assert.equal(r.effect, null, "q while confirming keeps the task and does not quit");
  assert.equal(r.state.status?.text, `Task ${RUNNING.id} not cancelled`);
  r = pressKey(keys(state(), "j", "j"), "c");
  assert.equal(r.effect, null);
  assert.equal(r.state.confirmCancel, null);
  assert.match(r.state.status!.text, /already finished \(completed\)/);
});

Deno.test("keys: a / d answer the pending approval of the selected task", () => {
  const onWaiting = keys(state(), "j");
  assert.deepEqual(pressKey(onWaiting, "a").effect, {
    kind: "approve",
    taskId: WAITING.id,
    decision: "accept",
  });
  assert.deepEqual(pressKey(onWaiting, "d").effect, {
    kind: "approve",
    taskId: WAITING.id,
    decision: "decline",
  });
  const none = pressKey(state(), "a");
  assert.equal(none.effect, null);
  assert.equal(none.state.status?.error, true);
  assert.match(none.state.status!.text, /has no pending approval/);
  assert.deepEqual(pressKey(state(), "q").effect, { kind: "quit" });
  assert.equal(pressKey(none.state, "x").state.status, null, "the next key clears the status");
});

Deno.test("detail: enter shows the selected task's detail, from its own read when there", () => {
  let s = keys(state(), "j", "enter");
  assert.equal(s.showDetail, true);
  let text = fits(screen(s, { columns: 80, rows: 24 }, 0), 80, 24).join("\n");
  assert.match(text, /Task bbbbbbbbbbbb waiting_approval/);
  assert.match(
    text,
    /Waiting for approval \(command\): a accept · d decline\n {2}\$ rm -rf build\n {2}in \/repo/,
  );
  assert.match(text, /reason: cleanup/);
  s = withDetail(s, task(WAITING.id, { phase: "waiting_approval", prompt: "the full prompt" }));
  text = plainText(screen(s, { columns: 80, rows: 24 }, 0));
  assert.match(text, /Prompt\n {2}the full prompt/);
  assert.equal(
    withDetail(s, task("someone-else")).detail?.id,
    WAITING.id,
    "others' detail ignored",
  );
  s = keys(s, "escape");
  assert.equal(s.showDetail, false);
});

Deno.test("detailLines: every section, cut to the height; the message keeps its end", () => {
  const full = task("ffffffffffff", {
    phase: "failed",
    done: true,
    cwd: "/repo",
    prompt: "p ".repeat(200),
    failure: "model refused",
    last_tool: {
      kind: "command",
      summary: "make",
      status: "failed",
      exitCode: 2,
      output: "a\nb\nc\nd\ne\nf",
    },
    todo_list: [
      { text: "one", completed: true },
      { text: "two", completed: false },
    ],
    worktree: {
      branch: "codex-swarm/ffffffffffff",
      files: [{ path: "a.ts", insertions: 5, deletions: 2 }, {
        path: "b.ts",
        insertions: 1,
        deletions: 0,
      }],
      insertions: 6,
      deletions: 2,
    },
    output: Array.from({ length: 40 }, (_, i) => `message line ${i}`).join("\n"),
    approval: { kind: "file_change", files: ["a.ts"], diff: "@@ -1 +1 @@\n-old\n+new" },
  });
  const lines = detailLines(full, 80, 40);
  const text = plainText(lines);
  assert.ok(lines.length <= 40);
  for (
    const part of [
      "Task ffffffffffff failed in /repo",
      "Waiting for approval (file_change)",
      "  files: a.ts",
      "  -old",
      "  +new",
      "Prompt",
      "Failure\n  model refused",
      "Last command\n  $ make (exit 2)",
      "  │ f",
      "Plan 1/2\n  [x] one\n  [ ] two",
      "Files changed: 2, +6 -2\n  a.ts +5 -2\n  b.ts +1 -0",
      "Result",
      "message line 39",
    ]
  ) assert.ok(text.includes(part), `missing ${JSON.stringify(part)} in\n${text}`);
  assert.ok(!text.includes("message line 0\n"), "the message's start was kept instead of its end");
  const minus = lines.find((l) => plainText([l]) === "  -old")!;
  assert.equal(minus[0]!.style?.color, "red");
  assert.equal(detailLines(full, 80, 5).length, 5);
});

Deno.test("snapshot: every task, no selection mark, no status line", () => {
  const many = Array.from({ length: 30 }, (_, i) => task(`s${i}`));
  const text = plainText(snapshot(state(many), 100, 0)).split("\n");
  assert.equal(text.length, 2 + 1 + 30);
  assert.ok(text.every((l) => !l.startsWith(">")));
});

Deno.test("formatting helpers", () => {
  assert.equal(formatElapsed(null), "-");
  assert.equal(formatElapsed(5.04), "5.0s");
  assert.equal(formatElapsed(65), "1m05s");
  assert.equal(formatElapsed(7260), "2h01m");
  assert.equal(formatTokens(null), "-");
  assert.equal(formatTokens(999), "999");
  assert.equal(formatTokens(1234), "1.2k");
  assert.equal(formatTokens(45_678), "46k");
  assert.equal(formatTokens(4_500_000), "4.5M");
  assert.equal(fit("abcdef", 4), "abc…");
  assert.equal(fit("ab", 4, true), "ab  ");
  assert.equal(fit("a\x1b[31mb", 10), "a [31mb", "control characters cannot reach the terminal");
  assert.deepEqual(wrap("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
  assert.deepEqual(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
  assert.deepEqual(wrap("a\n\nb", 4), ["a", "", "b"]);
  assert.deepEqual(phaseCounts([DONE, RUNNING, DONE, task("u", { phase: "zany" })]), [
    ["running", 1],
    ["completed", 2],
    ["zany", 1],
  ]);
});

Deno.test("screen: a task on a worker shows its worker beside its branch", () => {
  const remote = task("eeeeeeeeeeee", {
    worker: "gpu",
    worktree: { branch: "codex-swarm/eeeeeeeeeeee", files: [], insertions: 0, deletions: 0 },
  });
  const local = task("ffffffffffff", {
    worker: "local",
    worktree: { branch: "codex-swarm/ffffffffffff", files: [], insertions: 0, deletions: 0 },
  });
  const lines = fits(screen(state([remote, local]), { columns: 120, rows: 24 }, 0), 120, 24);
  assert.ok(lines.some((l) => l.includes("codex-swarm/eeeeeeeeeeee @gpu")), lines.join("\n"));
  assert.ok(!lines.some((l) => l.includes("@local")), lines.join("\n"));
});
