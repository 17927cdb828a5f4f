/**
 * Tasks and states for the tests of `codex-swarm top`'s view (lib/top/view_*.ts): four tasks in
 * different phases, a state listing them, keys pressed in turn, and a check that a screen fits.
 *
 * @example
 * ```ts ignore
 * // ignore: a test helper
 * const s = keys(state(), "j", "enter");
 * fits(screen(s, { columns: 80, rows: 24 }, 0), 80, 24);
 * ```
 * @module
 */

import assert from "node:assert/strict";
import { readTask, type TaskInfo } from "../../lib/top/task_info.ts";
import {
  initialState,
  pressKey,
  type TopState,
  withCap,
  withTasks,
} from "../../lib/top/view_state.ts";
import { type Line, plainText } from "../../lib/top/view_text.ts";

export function task(id: string, over: Record<string, unknown> = {}): TaskInfo {
  return readTask({ task_id: id, phase: "running", done: false, prompt: `prompt ${id}`, ...over })!;
}

export const RUNNING = task("aaaaaaaaaaaa", {
  elapsed_s: 5,
  step: "Running: sleep 10",
  last_tool: { kind: "command", summary: "sleep 10", status: "in_progress" },
});
export const WAITING = task("bbbbbbbbbbbb", {
  phase: "waiting_approval",
  elapsed_s: 61,
  approval: { kind: "command", command: "rm -rf build", cwd: "/repo", reason: "cleanup" },
});
export const DONE = task("cccccccccccc", {
  phase: "completed",
  done: true,
  elapsed_s: 4000,
  final_message: "MOCK-DONE",
  usage: { input: 12_000, output: 345 },
  branch: "codex-swarm/cccccccccccc",
});
export const QUEUED = task("dddddddddddd", {
  phase: "queued",
  elapsed_s: 2,
  step: "Queued: waiting for a free slot",
});

export function state(tasks: TaskInfo[] = [RUNNING, WAITING, DONE, QUEUED]): TopState {
  return withCap(withTasks(initialState(), tasks, 1000), 4);
}

export function keys(start: TopState, ...pressed: string[]): TopState {
  return pressed.reduce((s, key) => pressKey(s, key).state, start);
}

/** Every line of `lines` as text; asserts the screen fits `columns` x `rows`. */
export function fits(lines: Line[], columns: number, rows: number): string[] {
  const text = plainText(lines).split("\n");
  assert.ok(text.length <= rows, `${text.length} lines on a ${rows}-row screen`);
  for (const line of text) assert.ok([...line].length <= columns, `too long: ${line}`);
  return text;
}
