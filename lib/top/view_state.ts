/**
 * The state of `codex-swarm top` and what a key does to it, pure: the tasks read, the selection
 * and filter, the detail pane, a cancel waiting to be confirmed, and the status line. A key gives
 * the next state and, for cancel, approvals and quit, the effect the UI runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialState, pressKey, withTasks } from "./view_state.ts";
 * import { readTaskList } from "./task_info.ts";
 *
 * let state = withTasks(initialState(), readTaskList({ tasks: [{ task_id: "a1", phase: "running" }] }), 0);
 * state = pressKey(state, "c").state; // asks to confirm
 * assert.deepEqual(pressKey(state, "y").effect, { kind: "cancel", taskId: "a1" });
 * ```
 * @module
 */

import { oneLine } from "../base/text.ts";
import { PHASE_COLOUR } from "./view_text.ts";
import type { Decision, TaskInfo } from "./task_info.ts";

/** A message in the status line. */
export interface Status {
  text: string;
  error: boolean;
}

/** Everything `top` shows. */
export interface TopState {
  /** Newest first, as the server lists them. */
  tasks: TaskInfo[];
  /** When `tasks` were read (ms since the epoch): live tasks' elapsed time counts on from there. */
  fetchedAt: number;
  /** The fuller view of the selected task (`codex-swarm://tasks/{id}`), when read. */
  detail: TaskInfo | null;
  /** The server's task cap, when known. */
  cap: number | null;
  selectedId: string | null;
  /** Only tasks in this phase are listed; null lists all. */
  filter: string | null;
  showDetail: boolean;
  /** The task a cancel waits to be confirmed for. */
  confirmCancel: string | null;
  status: Status | null;
  /** Set when the server cannot be read: shown in the header. */
  problem: string | null;
}

/** What a key asks the UI to do beyond changing the state. */
export type Effect =
  | { kind: "cancel"; taskId: string }
  | { kind: "approve"; taskId: string; decision: Decision }
  | { kind: "quit" };

/** A key: a named one or the character typed. */
export type KeyPress = "up" | "down" | "home" | "end" | "enter" | "escape" | string;

/** The order phases are counted and filtered in (that of their colours); others follow, sorted. */
export const PHASE_ORDER: readonly string[] = Object.keys(PHASE_COLOUR);

/** The state before the first read. */
export function initialState(): TopState {
  return {
    tasks: [],
    fetchedAt: 0,
    detail: null,
    cap: null,
    selectedId: null,
    filter: null,
    showDetail: false,
    confirmCancel: null,
    status: null,
    problem: null,
  };
}

/** The tasks the filter lets through, in list order. */
export function visibleTasks(state: TopState): TaskInfo[] {
  return state.filter === null ? state.tasks : state.tasks.filter((t) => t.phase === state.filter);
}

/** The selected task, if it is listed. */
export function selectedTask(state: TopState): TaskInfo | null {
  const task = visibleTasks(state).find((t) => t.id === state.selectedId) ?? null;
  if (task && state.detail?.id === task.id) return state.detail;
  return task;
}

/** Keeps the selection on a listed task: the same one when it still is, else the first. */
function reselect(state: TopState): TopState {
  const visible = visibleTasks(state);
  if (visible.some((t) => t.id === state.selectedId)) return state;
  return { ...state, selectedId: visible[0]?.id ?? null };
}

/** The state with a fresh task list, read at `now`. */
export function withTasks(state: TopState, tasks: TaskInfo[], now: number): TopState {
  const detail = state.detail && tasks.some((t) => t.id === state.detail?.id) ? state.detail : null;
  return reselect({ ...state, tasks, fetchedAt: now, detail, problem: null });
}

/** The state with a fresh view of one task (ignored unless it is the selected one). */
export function withDetail(state: TopState, detail: TaskInfo | null): TopState {
  if (detail !== null && detail.id !== state.selectedId) return state;
  return { ...state, detail };
}

/** The state with the server's cap. */
export function withCap(state: TopState, cap: number | null): TopState {
  return { ...state, cap };
}

/** The state with a message in the status line (replacing the key help until the next key). */
export function withStatus(state: TopState, text: string, error = false): TopState {
  return { ...state, status: { text: oneLine(text), error } };
}

/** The state with a problem reading the server, or none. */
export function withProblem(state: TopState, problem: string | null): TopState {
  return { ...state, problem: problem === null ? null : oneLine(problem) };
}

/** The phases present in `tasks`, in {@link PHASE_ORDER}. */
export function phasesOf(tasks: readonly TaskInfo[]): string[] {
  const present = [...new Set(tasks.map((t) => t.phase))];
  const rank = (p: string) => {
    const i = PHASE_ORDER.indexOf(p);
    return i === -1 ? PHASE_ORDER.length : i;
  };
  return present.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** How many tasks are in each phase present, in {@link PHASE_ORDER}. */
export function phaseCounts(tasks: readonly TaskInfo[]): Array<[string, number]> {
  return phasesOf(tasks).map((p) => [p, tasks.filter((t) => t.phase === p).length]);
}

function moveSelection(state: TopState, to: (index: number, count: number) => number): TopState {
  const visible = visibleTasks(state);
  if (visible.length === 0) return state;
  const index = visible.findIndex((t) => t.id === state.selectedId);
  const next = Math.max(0, Math.min(visible.length - 1, to(index, visible.length)));
  const id = visible[next]!.id;
  return { ...state, selectedId: id, detail: state.detail?.id === id ? state.detail : null };
}

function nextFilter(state: TopState): TopState {
  const phases = phasesOf(state.tasks);
  const at = state.filter === null ? -1 : phases.indexOf(state.filter);
  const filter = at + 1 < phases.length ? phases[at + 1]! : null;
  return reselect({ ...state, filter });
}

/** What a key did: the next state, and the effect the UI runs (or null). */
type KeyResult = { state: TopState; effect: Effect | null };

/** A key that only changes the state. */
function only(state: TopState): KeyResult {
  return { state, effect: null };
}

function approve(state: TopState, decision: Decision): KeyResult {
  const task = selectedTask(state);
  if (task === null) return only(withStatus(state, "No task selected"));
  if (task.approval === null) {
    return only(withStatus(state, `Task ${task.id} has no pending approval`, true));
  }
  const verb = decision === "decline" ? "Declining" : "Accepting";
  return {
    state: withStatus(state, `${verb} for ${task.id}…`),
    effect: { kind: "approve", taskId: task.id, decision },
  };
}

/**
 * What a key does: the next state and, for cancel, approvals and quit, the effect to run.
 *
 * Keys: up/down or k/j select, home/end (g/G) jump, enter toggles the detail, escape closes it,
 * `a` accepts and `d` declines the selected task's pending approval, `c` asks to cancel it (`y`
 * confirms, any other key keeps it), `f` cycles the phase filter, `q` quits.
 */
export function pressKey(state: TopState, key: KeyPress): KeyResult {
  const cleared = { ...state, status: null };
  if (state.confirmCancel !== null) {
    const id = state.confirmCancel;
    const next = { ...cleared, confirmCancel: null };
    if (key !== "y" && key !== "Y") return only(withStatus(next, `Task ${id} not cancelled`));
    return { state: withStatus(next, `Cancelling ${id}…`), effect: { kind: "cancel", taskId: id } };
  }
  switch (key) {
    case "up":
    case "k":
      return only(moveSelection(cleared, (i) => i - 1));
    case "down":
    case "j":
      return only(moveSelection(cleared, (i) => (i === -1 ? 0 : i + 1)));
    case "home":
    case "g":
      return only(moveSelection(cleared, () => 0));
    case "end":
    case "G":
      return only(moveSelection(cleared, (_, n) => n - 1));
    case "enter":
      return only({ ...cleared, showDetail: !state.showDetail });
    case "escape":
      return only({ ...cleared, showDetail: false });
    case "f":
      return only(nextFilter(cleared));
    case "a":
      return approve(cleared, "accept");
    case "d":
      return approve(cleared, "decline");
    case "c": {
      const task = selectedTask(state);
      if (task === null) return only(withStatus(cleared, "No task selected"));
      if (!task.done) return only({ ...cleared, confirmCancel: task.id });
      return only(withStatus(cleared, `Task ${task.id} has already finished (${task.phase})`));
    }
    case "q":
      return { state: cleared, effect: { kind: "quit" } };
    default:
      return only(cleared);
  }
}
