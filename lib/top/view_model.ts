/**
 * The view model of `codex-swarm top`, pure: the state (tasks, selection, filter, detail,
 * confirmation, status line), what a key does to it, and the screen it shows as lines of styled
 * segments that fit the terminal. The ink UI (`app.tsx`) only draws these lines and runs the
 * effects keys ask for; `--once` prints them as plain text.
 *
 * This module lays out the screen (header, task table, status line); the state and its keys are
 * `view_state.ts`, the detail pane `view_detail.ts`, and the text helpers `view_text.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { screen } from "./view_model.ts";
 * import { initialState, pressKey, withTasks } from "./view_state.ts";
 * import { plainText } from "./view_text.ts";
 * import { readTaskList } from "./task_info.ts";
 *
 * let state = withTasks(initialState(), readTaskList({ tasks: [{ task_id: "a1", phase: "running" }] }), 0);
 * state = pressKey(state, "c").state; // asks to confirm
 * assert.deepEqual(pressKey(state, "y").effect, { kind: "cancel", taskId: "a1" });
 * assert.match(plainText(screen(state, { columns: 80, rows: 24 }, 0)), /Cancel task a1\?/);
 * ```
 * @module
 */

import type { TaskInfo } from "./task_info.ts";
import { detailLines } from "./view_detail.ts";
import { phaseCounts, selectedTask, type TopState, visibleTasks } from "./view_state.ts";
import {
  branchLabel,
  elapsedAt,
  fit,
  fitLine,
  formatElapsed,
  formatTokens,
  type Line,
  phaseColour,
  seg,
  type Style,
} from "./view_text.ts";

/** The terminal's size in character cells. */
export interface Size {
  columns: number;
  rows: number;
}

/** The widest a branch column gets. */
const BRANCH_MAX = 40;
/** The least room the last step keeps before branches are shortened or cut. */
const STEP_MIN = 19;
/** The room the last step should keep for branches to be shown in full. */
const STEP_ROOMY = 50;

/** A task's branch as the table shows it, with `@worker` when it runs on a worker. */
function whereLabel(task: TaskInfo, short: boolean): string {
  const where = task.worker !== null && task.worker !== "local" ? ` @${task.worker}` : "";
  return branchLabel(task.branch, short) + where;
}

/** The column widths of the task table at `columns`. */
function columnsFor(tasks: readonly TaskInfo[], columns: number) {
  const id = Math.max(2, ...tasks.map((t) => Math.min(t.id.length, 16)));
  const phase = Math.max(5, ...tasks.map((t) => t.phase.length));
  const elapsed = 6;
  const tokens = 6;
  const fixed = 2 + id + 1 + phase + 1 + elapsed + 1 + tokens + 1;
  const longest = (short: boolean) =>
    Math.max(0, ...tasks.map((t) => t.branch === null ? 0 : whereLabel(t, short).length));
  const full = Math.min(longest(false), BRANCH_MAX);
  const shortBranches = columns - fixed - full - 1 < STEP_ROOMY;
  const wanted = shortBranches ? longest(true) : full;
  const branch = wanted === 0
    ? 0
    : Math.max(6, Math.min(wanted, BRANCH_MAX, columns - fixed - STEP_MIN - 1));
  const step = Math.max(0, columns - fixed - (branch === 0 ? 0 : branch + 1));
  return { id, phase, elapsed, tokens, branch, shortBranches, step };
}

function headerLines(state: TopState, columns: number): Line[] {
  const tasks = state.tasks;
  const queued = tasks.filter((t) => t.phase === "queued").length;
  const active = tasks.filter((t) => !t.done && t.phase !== "queued").length;
  const parts = [
    `${tasks.length} task${tasks.length === 1 ? "" : "s"}`,
    `slots ${active}${state.cap === null ? "" : `/${state.cap}`}`,
    `queue ${queued}`,
    `filter ${state.filter ?? "all"}`,
  ];
  const first: Line = [seg("codex-swarm top", { bold: true }), seg(` · ${parts.join(" · ")}`)];
  if (state.problem !== null) first.push(seg(` · ${state.problem}`, { color: "red" }));
  const counts = phaseCounts(tasks);
  const second: Line = counts.flatMap(([phase, n], i) => [
    ...(i === 0 ? [] : [seg("  ")]),
    seg(`${phase} ${n}`, { color: phaseColour(phase) }),
  ]);
  if (second.length === 0) second.push(seg("no tasks", { dim: true }));
  return [fitLine(first, columns), fitLine(second, columns)];
}

function tableHeader(widths: ReturnType<typeof columnsFor>): Line {
  const cells = [
    fit("ID", widths.id, true),
    fit("PHASE", widths.phase, true),
    "TIME".padStart(widths.elapsed),
    "TOKENS".padStart(widths.tokens),
    ...(widths.branch > 0 ? [fit("BRANCH", widths.branch, true)] : []),
    "LAST STEP",
  ];
  return [seg(`  ${cells.join(" ")}`, { bold: true })];
}

function taskRow(
  task: TaskInfo,
  selected: boolean,
  widths: ReturnType<typeof columnsFor>,
  elapsed: number | null,
): Line {
  const mark = selected ? "> " : "  ";
  const style: Style | undefined = selected ? { inverse: true } : undefined;
  const withStyle = (extra?: Style): Style | undefined =>
    style === undefined ? extra : { ...extra, ...style };
  const stepStyle = task.approval ? { color: "yellow" as const } : undefined;
  return [
    seg(mark + fit(task.id, widths.id, true) + " ", withStyle({ bold: true })),
    seg(fit(task.phase, widths.phase, true), withStyle({ color: phaseColour(task.phase) })),
    seg(
      " " + formatElapsed(elapsed).padStart(widths.elapsed) + " " +
        formatTokens(task.tokens).padStart(widths.tokens) + " " +
        (widths.branch > 0
          ? fit(whereLabel(task, widths.shortBranches), widths.branch, true) + " "
          : ""),
      style,
    ),
    seg(fit(task.lastStep, widths.step), withStyle(stepStyle)),
  ];
}

/** Which slice of `count` rows to show in `height` lines so `index` is visible. */
function windowOf(count: number, height: number, index: number): [number, number] {
  if (count <= height) return [0, count];
  const start = Math.min(Math.max(0, index - Math.floor(height / 2)), count - height);
  return [start, start + height];
}

const HELP = "↑↓/jk select · enter detail · a/d accept/decline · c cancel · f filter · q quit";

function statusLine(state: TopState, columns: number): Line {
  const confirm = `Cancel task ${state.confirmCancel}? y: cancel it · any other key: keep it`;
  const line = state.confirmCancel !== null
    ? seg(confirm, { color: "yellow", bold: true })
    : state.status !== null
    ? seg(state.status.text, state.status.error ? { color: "red" } : undefined)
    : seg(HELP, { dim: true });
  return fitLine([line], columns);
}

/** The task table: its header, then one row per listed task (a window of `height` rows). */
function tableLines(state: TopState, columns: number, height: number, now: number): Line[] {
  const visible = visibleTasks(state);
  const widths = columnsFor(visible, columns);
  if (visible.length === 0) {
    const empty = state.tasks.length === 0
      ? "No tasks yet: start some from your MCP client (codex_async)."
      : `No ${state.filter} tasks (f: next filter).`;
    return [tableHeader(widths), fitLine([seg(`  ${empty}`, { dim: true })], columns)];
  }
  const index = visible.findIndex((t) => t.id === state.selectedId);
  const [from, to] = windowOf(visible.length, Math.max(1, height), Math.max(0, index));
  return [
    fitLine(tableHeader(widths), columns),
    ...visible.slice(from, to).map((t) =>
      fitLine(
        taskRow(t, t.id === state.selectedId, widths, elapsedAt(t, state.fetchedAt, now)),
        columns,
      )
    ),
  ];
}

/**
 * The whole screen at `size`: the header (counts per phase, the cap, the queue), the task table,
 * the detail pane of the selected task when open, and the status line. At most `size.rows`
 * lines, none longer than `size.columns`.
 */
export function screen(state: TopState, size: Size, now: number): Line[] {
  const columns = Math.max(20, size.columns);
  const rows = Math.max(6, size.rows);
  const header = headerLines(state, columns);
  const body = rows - header.length - 1;
  const task = selectedTask(state);
  let lines: Line[];
  if (state.showDetail && task !== null) {
    const count = visibleTasks(state).length;
    const tableRows = Math.min(count, Math.max(3, Math.floor(body / 4)));
    const table = tableLines(state, columns, tableRows, now);
    const rule: Line = [seg("─".repeat(columns), { dim: true })];
    lines = [...table, rule, ...detailLines(task, columns, body - table.length - 1)];
  } else {
    lines = tableLines(state, columns, body - 1, now);
  }
  const padding = Array.from({ length: Math.max(0, body - lines.length) }, (): Line => []);
  return [...header, ...lines.slice(0, body), ...padding, statusLine(state, columns)];
}

/** The header and every row, for `--once`: as many lines as there are tasks, no status line. */
export function snapshot(state: TopState, columns: number, now: number): Line[] {
  const width = Math.max(20, columns);
  const unselected = { ...state, selectedId: null };
  return [...headerLines(state, width), ...tableLines(unselected, width, state.tasks.length, now)];
}
