/**
 * What `codex-swarm top` knows about a task, read tolerantly from the JSON of the
 * `codex-swarm://tasks` resources: the compact views of the list and the full view of one task
 * (see `lib/mcp/tools/compact_view.ts` and `task_view.ts`). Fields that are missing or of an
 * unexpected type get a neutral value; a phase added later counts as live.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const tasks = readTaskList({ tasks: [{ task_id: "abc", phase: "running", prompt: "hi" }] });
 * assert.equal(tasks[0]?.phase, "running");
 * ```
 * @module
 */

import { displayCommand, oneLine } from "../base/text.ts";

/** The phases a task cannot leave; any other phase (including ones added later) is live. */
const FINAL_PHASES = ["completed", "failed", "cancelled", "timed_out", "interrupted"];

/** A decision on a pending approval, as `codex_approve` takes it. */
export type Decision = "accept" | "accept_for_session" | "decline" | "cancel";

/** One task, as `top` shows it (see {@link readTask}). */
export type TaskInfo = TaskFields & {
  /** What happened last, on one line. */
  lastStep: string;
};

/** What {@link readTask} reads of a task view, before its last step. */
type TaskFields = NonNullable<ReturnType<typeof readFields>>;

/** One changed file, with its diff stat when known. */
type FileStat = { path: string; insertions: number | null; deletions: number | null };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** An approval (or another question) the task waits on an answer to. */
function readApproval(value: unknown) {
  if (!isObject(value)) return null;
  const command = str(value.command);
  return {
    // `command`, `file_change`, `permissions`, `user_input`... whatever the engine says.
    kind: str(value.kind) ?? (command !== null ? "command" : "file_change"),
    // The engine's sentence about it, when it gives one.
    message: str(value.message),
    command: command === null ? null : displayCommand(command),
    cwd: str(value.cwd),
    files: Array.isArray(value.files) ? value.files.map(str).filter((f) => f !== null) : [],
    diff: str(value.diff),
    reason: str(value.reason),
  };
}

/**
 * The files a task changed (`files_changed`: paths), with their diff stat from its committed
 * worktree (`worktree.files`) when it has one, and that stat in all.
 */
function readFiles(view: Json) {
  const worktree = isObject(view.worktree) ? view.worktree : {};
  const stats = new Map<string, FileStat>();
  for (const path of Array.isArray(view.files_changed) ? view.files_changed : []) {
    if (typeof path === "string") stats.set(path, { path, insertions: null, deletions: null });
  }
  for (const file of Array.isArray(worktree.files) ? worktree.files : []) {
    const path = isObject(file) ? str(file.path) : null;
    if (path === null) continue;
    stats.set(path, { path, insertions: num(file.insertions), deletions: num(file.deletions) });
  }
  return {
    files: [...stats.values()],
    insertions: num(worktree.insertions),
    deletions: num(worktree.deletions),
  };
}

/** The command a task runs or ran last. */
function readCommand(view: Json) {
  const tool = isObject(view.last_tool) && view.last_tool.kind === "command" ? view.last_tool : {};
  const text = str(tool.summary);
  if (text === null) return null;
  const live = isObject(view.live) ? view.live : {};
  return {
    command: displayCommand(text),
    status: str(tool.status) ?? "",
    exitCode: num(tool.exitCode),
    // Its output so far, while the task runs.
    output: str(live.commandOutput),
  };
}

/** Input plus output tokens, from the `usage` of a row (a compact view: `{input, output}`). */
function readTokens(view: Json): number | null {
  const usage = isObject(view.usage) ? view.usage : {};
  const input = num(usage.input);
  const output = num(usage.output);
  if (input === null && output === null) return null;
  return (input ?? 0) + (output ?? 0);
}

/**
 * What a row of the task list says a task did last: its pending approval, else the compact view's
 * `step` (every live task has one), else how it ended.
 */
function lastStepOf(info: TaskFields, view: Json): string {
  // A pending approval says more than the last step: the task waits on it.
  if (info.approval) {
    const a = info.approval;
    if (a.command !== null) return oneLine(`Approval? $ ${a.command}`);
    if (a.files.length > 0) return oneLine(`Approval? edit ${a.files.join(", ")}`);
    return oneLine(`Question: ${a.message ?? a.kind}`);
  }
  const step = str(view.step);
  if (step !== null && step !== "") return oneLine(step);
  const recordError = str(view.record_error);
  if (recordError) return oneLine(`record not saved: ${recordError}`);
  if (info.done && info.failure) return oneLine(`${info.phase}: ${info.failure}`);
  return oneLine(str(view.final_message) ?? "");
}

/** A failure as people read it: Codex reports API errors as JSON; their message is the cause. */
export function readableFailure(failure: string): string {
  try {
    const parsed: unknown = JSON.parse(failure);
    if (isObject(parsed)) {
      const inner = isObject(parsed.error) ? parsed.error : parsed;
      const message = str(inner.message);
      if (message !== null && message !== "") return message;
    }
  } catch {
    // Not JSON: already a sentence.
  }
  return failure;
}

/** Reads one task view; null when it has no task id. */
export function readTask(raw: unknown): TaskInfo | null {
  const info = readFields(raw);
  return info && { ...info, lastStep: lastStepOf(info, raw as Json) };
}

/** The fields of one task view; null when it has no task id. */
function readFields(raw: unknown) {
  if (!isObject(raw)) return null;
  const id = str(raw.task_id);
  if (id === null || id === "") return null;
  const phase = str(raw.phase) ?? "unknown";
  const output = str(raw.output) ?? "";
  const todo = (Array.isArray(raw.todo_list) ? raw.todo_list : []).flatMap((item) => {
    const text = isObject(item) ? str(item.text) : null;
    return text === null ? [] : [{ text, completed: item.completed === true }];
  });
  const failure = str(raw.failure);
  return {
    id,
    phase,
    done: typeof raw.done === "boolean" ? raw.done : FINAL_PHASES.includes(phase),
    prompt: str(raw.prompt) ?? "",
    cwd: str(raw.cwd),
    // Seconds the task has run (as of the read), or null when unknown.
    elapsedS: num(raw.elapsed_s),
    // The row's input plus output tokens, or null before the task ends.
    tokens: readTokens(raw),
    // The row's worktree branch.
    branch: str(raw.branch),
    // Where it runs: "local" or a worker's name (docs/workers.md), null when not said.
    worker: str(raw.worker),
    // The message being written, or the final one.
    message: output !== "" ? output : str(raw.final_message) ?? "",
    command: readCommand(raw),
    reasoning: str(raw.reasoning),
    todo,
    ...readFiles(raw),
    failure: failure === null || failure === "" ? null : readableFailure(failure),
    approval: readApproval(raw.approval),
  };
}

/** Reads the `codex-swarm://tasks` JSON (`{tasks: [...]}`); skips bad entries. */
export function readTaskList(raw: unknown): TaskInfo[] {
  const list = isObject(raw) && Array.isArray(raw.tasks) ? raw.tasks : [];
  return list.map(readTask).filter((t) => t !== null);
}

/** The task cap from the `codex-swarm://server-info` JSON (`limits.max_parallel`), or null. */
export function readCap(raw: unknown): number | null {
  return isObject(raw) && isObject(raw.limits) ? num(raw.limits.max_parallel) : null;
}
