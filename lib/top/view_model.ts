/**
 * The view model of `codex-swarm top`, pure: the state (tasks, selection, filter, detail,
 * confirmation, status line), what a key does to it, and the screen it shows as lines of styled
 * segments that fit the terminal. The ink UI (`app.tsx`) only draws these lines and runs the
 * effects keys ask for; `--once` prints them as plain text.
 *
 * @example
 * ```ts
 * import { initialState, plainText, pressKey, screen, withTasks } from "./view_model.ts";
 * import { readTaskList } from "./task_info.ts";
 *
 * let state = withTasks(initialState(), readTaskList({ tasks: [{ task_id: "a1", phase: "running" }] }), 0);
 * state = pressKey(state, "c").state; // asks to confirm
 * const { effect } = pressKey(state, "y"); // { kind: "cancel", taskId: "a1" }
 * console.log(effect, plainText(screen(state, { columns: 80, rows: 24 }, 0)));
 * ```
 * @module
 */

import { oneLine } from "../base/text.ts";
import type { Decision, TaskInfo } from "./task_info.ts";

/** A colour ink knows by name. */
export type Colour = "red" | "green" | "yellow" | "blue" | "magenta" | "cyan" | "gray" | "white";

/** How a segment looks; the renderer drops colours when they are off. */
export interface Style {
  color?: Colour;
  bold?: boolean;
  inverse?: boolean;
  dim?: boolean;
}

/** A run of text in one style. */
export interface Segment {
  text: string;
  style?: Style;
}

/** One screen line. */
export type Line = Segment[];

/** The terminal's size in character cells. */
export interface Size {
  columns: number;
  rows: number;
}

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

/** The order phases are counted and filtered in; phases not listed follow, sorted. */
export const PHASE_ORDER: readonly string[] = [
  "waiting_approval",
  "running",
  "starting",
  "queued",
  "interrupted",
  "completed",
  "failed",
  "timed_out",
  "cancelled",
];

const PHASE_COLOUR: Record<string, Colour> = {
  waiting_approval: "yellow",
  running: "cyan",
  starting: "blue",
  queued: "gray",
  interrupted: "magenta",
  completed: "green",
  failed: "red",
  timed_out: "red",
  cancelled: "gray",
};

/** The colour a phase is shown in. */
export function phaseColour(phase: string): Colour {
  return PHASE_COLOUR[phase] ?? "white";
}

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

function approve(state: TopState, decision: Decision): { state: TopState; effect: Effect | null } {
  const task = selectedTask(state);
  if (task === null) return { state: withStatus(state, "No task selected"), effect: null };
  if (task.approval === null) {
    return {
      state: withStatus(state, `Task ${task.id} has no pending approval`, true),
      effect: null,
    };
  }
  return {
    state: withStatus(
      state,
      `${decision === "decline" ? "Declining" : "Accepting"} for ${task.id}…`,
    ),
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
export function pressKey(
  state: TopState,
  key: KeyPress,
): { state: TopState; effect: Effect | null } {
  const cleared = { ...state, status: null };
  if (state.confirmCancel !== null) {
    const id = state.confirmCancel;
    const next = { ...cleared, confirmCancel: null };
    if (key === "y" || key === "Y") {
      return {
        state: withStatus(next, `Cancelling ${id}…`),
        effect: { kind: "cancel", taskId: id },
      };
    }
    return { state: withStatus(next, `Task ${id} not cancelled`), effect: null };
  }
  switch (key) {
    case "up":
    case "k":
      return { state: moveSelection(cleared, (i) => i - 1), effect: null };
    case "down":
    case "j":
      return { state: moveSelection(cleared, (i) => (i === -1 ? 0 : i + 1)), effect: null };
    case "home":
    case "g":
      return { state: moveSelection(cleared, () => 0), effect: null };
    case "end":
    case "G":
      return { state: moveSelection(cleared, (_, n) => n - 1), effect: null };
    case "enter":
      return { state: { ...cleared, showDetail: !state.showDetail }, effect: null };
    case "escape":
      return { state: { ...cleared, showDetail: false }, effect: null };
    case "f":
      return { state: nextFilter(cleared), effect: null };
    case "a":
      return approve(cleared, "accept");
    case "d":
      return approve(cleared, "decline");
    case "c": {
      const task = selectedTask(state);
      if (task === null) return { state: withStatus(cleared, "No task selected"), effect: null };
      if (task.done) {
        return {
          state: withStatus(cleared, `Task ${task.id} has already finished (${task.phase})`),
          effect: null,
        };
      }
      return { state: { ...cleared, confirmCancel: task.id }, effect: null };
    }
    case "q":
      return { state: cleared, effect: { kind: "quit" } };
    default:
      return { state: cleared, effect: null };
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/** Seconds as `12.3s`, `4m05s` or `2h03m`. */
export function formatElapsed(seconds: number | null): string {
  if (seconds === null || seconds < 0) return "-";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A token count as `950`, `12.3k` or `4.5M`. */
export function formatTokens(tokens: number | null): string {
  if (tokens === null) return "-";
  if (tokens < 1000) return String(tokens);
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(tokens < 10_000 ? 1 : 0)}k`;
  return `${(tokens / 1_000_000).toFixed(1)}M`;
}

/** A task's elapsed seconds at `now`: a live task's time runs on from the read. */
export function elapsedAt(task: TaskInfo, fetchedAt: number, now: number): number | null {
  if (task.elapsedS === null) return null;
  if (task.done || task.phase === "queued") return task.elapsedS;
  return task.elapsedS + Math.max(0, now - fetchedAt) / 1000;
}

/** `text` without control characters, cut to `width` with "…", padded to `width` when `pad`. */
export function fit(text: string, width: number, pad = false): string {
  if (width <= 0) return "";
  // deno-lint-ignore no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
  const chars = [...clean];
  const cut = chars.length > width ? chars.slice(0, width - 1).join("") + "…" : clean;
  return pad ? cut + " ".repeat(Math.max(0, width - [...cut].length)) : cut;
}

/** Breaks `text` into lines of at most `width` characters, at spaces where it can. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.replace(/\r/g, "").split("\n")) {
    let line = "";
    for (const word of paragraph.replace(/\t/g, "  ").split(" ")) {
      let rest = word;
      while ([...rest].length > width) {
        const room = line === "" ? width : width - [...line].length - 1;
        if (room <= 0) {
          out.push(line);
          line = "";
          continue;
        }
        const chars = [...rest];
        line = line === ""
          ? chars.slice(0, room).join("")
          : `${line} ${chars.slice(0, room).join("")}`;
        out.push(line);
        line = "";
        rest = chars.slice(room).join("");
      }
      if (line === "") line = rest;
      else if ([...line].length + 1 + [...rest].length <= width) line = `${line} ${rest}`;
      else {
        out.push(line);
        line = rest;
      }
    }
    out.push(line);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Screen
// ---------------------------------------------------------------------------------------------

function seg(text: string, style?: Style): Segment {
  return style === undefined ? { text } : { text, style };
}

/** A branch as the table shows it; when `short`, the default `codex-swarm/` prefix is `…/`. */
export function branchLabel(branch: string | null, short: boolean): string {
  if (branch === null) return "-";
  return short && branch.startsWith("codex-swarm/")
    ? `…/${branch.slice("codex-swarm/".length)}`
    : branch;
}

/** A task's branch as the table shows it, with `@worker` when it runs on a worker. */
function whereLabel(task: TaskInfo, short: boolean): string {
  const where = task.worker !== null && task.worker !== "local" ? ` @${task.worker}` : "";
  return branchLabel(task.branch, short) + where;
}

/** The widest a branch column gets. */
const BRANCH_MAX = 40;
/** The least room the last step keeps before branches are shortened or cut. */
const STEP_MIN = 19;
/** The room the last step should keep for branches to be shown in full. */
const STEP_ROOMY = 50;

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
  const second: Line = counts.length === 0 ? [seg("no tasks", { dim: true })] : counts.flatMap((
    [phase, n],
    i,
  ) => [
    ...(i === 0 ? [] : [seg("  ")]),
    seg(`${phase} ${n}`, { color: phaseColour(phase) }),
  ]);
  return [fitLine(first, columns), fitLine(second, columns)];
}

/** Cuts a line's segments so their text fits `width`. */
export function fitLine(line: Line, width: number): Line {
  const out: Line = [];
  let room = width;
  for (const s of line) {
    if (room <= 0) break;
    const length = [...s.text].length;
    if (length <= room) {
      out.push(s);
      room -= length;
    } else {
      out.push({ ...s, text: fit(s.text, room) });
      room = 0;
    }
  }
  return out;
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

function section(label: string, colour?: Colour): Line {
  return [seg(label, { bold: true, ...(colour ? { color: colour } : {}) })];
}

function textLines(
  text: string,
  width: number,
  max: number,
  from: "head" | "tail",
  indent = "  ",
): Line[] {
  const lines = wrap(text.trimEnd(), width - indent.length);
  const kept = lines.length <= max ? lines : from === "head"
    ? [
      ...lines.slice(0, max - 1),
      `${lines[max - 1]!.slice(0, Math.max(0, width - indent.length - 1))}…`,
    ]
    : ["…", ...lines.slice(lines.length - max + 1)];
  return kept.map((l) => [seg(indent + l)]);
}

function diffLines(diff: string, width: number, max: number): Line[] {
  const lines = diff.replace(/\r/g, "").split("\n").filter((l) => l !== "");
  const kept = lines.length <= max
    ? lines
    : [...lines.slice(0, max - 1), `… ${lines.length - max + 1} more lines`];
  return kept.map((l) => {
    const colour: Colour | undefined = l.startsWith("+") && !l.startsWith("+++")
      ? "green"
      : l.startsWith("-") && !l.startsWith("---")
      ? "red"
      : l.startsWith("@@")
      ? "cyan"
      : undefined;
    return [seg(`  ${fit(l, width - 2)}`, colour ? { color: colour } : undefined)];
  });
}

/** The detail pane of a task: at most `height` lines of `width` characters. */
export function detailLines(task: TaskInfo, width: number, height: number): Line[] {
  const lines: Line[] = [];
  const title: Line = [
    seg(`Task ${task.id} `, { bold: true }),
    seg(task.phase, { color: phaseColour(task.phase), bold: true }),
    seg(task.cwd ? ` in ${task.cwd}` : ""),
  ];
  lines.push(fitLine(title, width));
  const a = task.approval;
  if (a) {
    const what = a.kind === "command" || a.kind === "file_change" ? "approval" : "an answer";
    lines.push(section(`Waiting for ${what} (${a.kind}): a accept · d decline`, "yellow"));
    if (a.command !== null) lines.push([seg(`  $ ${fit(a.command, width - 4)}`, { bold: true })]);
    else if (a.files.length === 0 && a.message !== null) {
      lines.push(...textLines(a.message, width, 3, "head"));
    }
    if (a.cwd !== null) lines.push([seg(`  in ${fit(a.cwd, width - 5)}`)]);
    if (a.files.length > 0) lines.push([seg(`  files: ${fit(a.files.join(", "), width - 9)}`)]);
    if (a.reason !== null) lines.push(...textLines(`reason: ${a.reason}`, width, 2, "head"));
    if (a.diff !== null) {
      lines.push(...diffLines(a.diff, width, Math.max(3, height - lines.length - 6)));
    }
  }
  if (task.prompt !== "") {
    lines.push(section("Prompt"));
    lines.push(...textLines(task.prompt, width, 2, "head"));
  }
  if (task.failure !== null) {
    lines.push(section("Failure", "red"));
    lines.push(...textLines(task.failure, width, 3, "head"));
  }
  if (task.command !== null) {
    const c = task.command;
    const end = c.status === "in_progress"
      ? " (running)"
      : c.exitCode !== null
      ? ` (exit ${c.exitCode})`
      : c.status !== ""
      ? ` (${c.status})`
      : "";
    lines.push(section(c.status === "in_progress" ? "Running" : "Last command"));
    lines.push([seg(`  $ ${fit(c.command + end, width - 4)}`)]);
    if (c.output !== null && c.output.trim() !== "") {
      lines.push(...textLines(c.output, width, 4, "tail", "  │ "));
    }
  }
  if (task.todo.length > 0) {
    const done = task.todo.filter((t) => t.completed).length;
    lines.push(section(`Plan ${done}/${task.todo.length}`));
    const first = task.todo.findIndex((t) => !t.completed);
    const from = Math.max(0, Math.min(first === -1 ? 0 : first - 1, task.todo.length - 4));
    for (const item of task.todo.slice(from, from + 4)) {
      lines.push([
        seg(
          `  ${item.completed ? "[x]" : "[ ]"} ${fit(item.text, width - 6)}`,
          item.completed ? { dim: true } : undefined,
        ),
      ]);
    }
  }
  if (task.files.length > 0) {
    const stat = task.insertions !== null ? `, +${task.insertions} -${task.deletions ?? 0}` : "";
    lines.push(section(`Files changed: ${task.files.length}${stat}`));
    for (const f of task.files.slice(0, 3)) {
      const s = f.insertions !== null ? ` +${f.insertions} -${f.deletions ?? 0}` : "";
      lines.push([seg(`  ${fit(f.path, width - 2 - s.length)}`), seg(s, { color: "green" })]);
    }
    if (task.files.length > 3) {
      lines.push([seg(`  … ${task.files.length - 3} more`, { dim: true })]);
    }
  }
  const room = height - lines.length - 1;
  if (task.message.trim() !== "" && room > 0) {
    lines.push(section(task.done ? "Result" : "Message so far"));
    lines.push(...textLines(task.message, width, room, "tail"));
  } else if (task.reasoning && !task.done && room > 0) {
    lines.push(section("Thinking"));
    lines.push(...textLines(task.reasoning.replace(/\*\*/g, ""), width, room, "tail"));
  }
  return lines.slice(0, height).map((l) => fitLine(l, width));
}

const HELP = "↑↓/jk select · enter detail · a/d accept/decline · c cancel · f filter · q quit";

function statusLine(state: TopState, columns: number): Line {
  if (state.confirmCancel !== null) {
    return fitLine([
      seg(`Cancel task ${state.confirmCancel}? y: cancel it · any other key: keep it`, {
        color: "yellow",
        bold: true,
      }),
    ], columns);
  }
  if (state.status !== null) {
    return fitLine(
      [seg(state.status.text, state.status.error ? { color: "red" } : undefined)],
      columns,
    );
  }
  return fitLine([seg(HELP, { dim: true })], columns);
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

/** The lines as plain text, without trailing spaces. */
export function plainText(lines: readonly Line[]): string {
  return lines.map((line) => line.map((s) => s.text).join("").trimEnd()).join("\n");
}
