import assert from "node:assert/strict";
import { phaseCounts, pressKey, withTasks } from "./view_state.ts";
import { screen } from "./view_model.ts";
import { plainText } from "./view_text.ts";
import {
  DONE,
  keys,
  QUEUED,
  RUNNING,
  state,
  task,
  WAITING,
} from "../../tests/support/top_view_fixture.ts";

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

Deno.test("phaseCounts: the phases present, in PHASE_ORDER, then the others", () => {
  assert.deepEqual(phaseCounts([DONE, RUNNING, DONE, task("u", { phase: "zany" })]), [
    ["running", 1],
    ["completed", 2],
    ["zany", 1],
  ]);
});
