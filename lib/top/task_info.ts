/**
 * What `codex-swarm top` knows about a task, read tolerantly from the JSON of the
 * `codex-swarm://tasks` resources (see `lib/mcp/tools/task_view.ts`): fields that are missing or of an
 * unexpected type get a neutral value, fields added later (a pending `approval`, the running
 * command's output, new phases) are picked up when present.
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

/** The first of `names` present in `object` as a string. */
function pickStr(object: Json, ...names: string[]): string | null {
  return names.map((name) => str(object[name])).find((value) => value !== null) ?? null;
}

/** The first of `names` present in `object` as a number. */
function pickNum(object: Json, ...names: string[]): number | null {
  return names.map((name) => num(object[name])).find((value) => value !== null) ?? null;
}

/** An approval (or another question) the task waits on an answer to. */
function readApproval(value: unknown) {
  if (!isObject(value)) return null;
  const files = Array.isArray(value.files)
    ? value.files.map((f) => str(f) ?? (isObject(f) ? str(f.path) : null)).filter((f) => f !== null)
    : [];
  const command = Array.isArray(value.command)
    ? value.command.map(String).join(" ")
    : pickStr(value, "command");
  return {
    // `command`, `file_change`, `permissions`, `user_input`... whatever the engine says.
    kind: pickStr(value, "kind", "type") ?? (command !== null ? "command" : "file_change"),
    // The engine's sentence about it, when it gives one.
    message: pickStr(value, "message"),
    command: command === null ? null : displayCommand(command),
    cwd: pickStr(value, "cwd"),
    files,
    diff: pickStr(value, "diff"),
    reason: pickStr(value, "reason"),
  };
}

/** The files a task changed, and their diff stat in all when known. */
function readFiles(view: Json) {
  const worktree = isObject(view.worktree) ? view.worktree : null;
  const stats = new Map<string, FileStat>();
  const add = (entry: unknown) => {
    const path = str(entry) ?? (isObject(entry) ? str(entry.path) : null);
    if (path === null) return;
    const known = stats.get(path);
    const insertions = isObject(entry) ? num(entry.insertions) : null;
    const deletions = isObject(entry) ? num(entry.deletions) : null;
    stats.set(path, {
      path,
      insertions: insertions ?? known?.insertions ?? null,
      deletions: deletions ?? known?.deletions ?? null,
    });
  };
  if (Array.isArray(view.files_changed)) view.files_changed.forEach(add);
  if (worktree && Array.isArray(worktree.files)) worktree.files.forEach(add);
  const files = [...stats.values()];
  let insertions = worktree ? num(worktree.insertions) : null;
  let deletions = worktree ? num(worktree.deletions) : null;
  if (files.some((f) => f.insertions !== null)) {
    insertions ??= files.reduce((sum, f) => sum + (f.insertions ?? 0), 0);
    deletions ??= files.reduce((sum, f) => sum + (f.deletions ?? 0), 0);
  }
  if (files.length === 0 && insertions === 0 && deletions === 0) {
    insertions = null;
    deletions = null;
  }
  return { files, insertions, deletions };
}

/** The command a task runs or ran last. */
function readCommand(view: Json) {
  const tool = isObject(view.last_tool) ? view.last_tool : null;
  const running = isObject(view.command) ? view.command : null;
  const source = running ?? (tool && str(tool.kind) === "command" ? tool : null);
  if (source === null) return null;
  const text = pickStr(source, "command", "summary");
  if (text === null) return null;
  return {
    command: displayCommand(text),
    status: pickStr(source, "status") ?? "",
    exitCode: pickNum(source, "exit_code", "exitCode"),
    // Its output so far, when the engine reports it.
    output: pickStr(source, "output", "aggregated_output", "aggregatedOutput") ??
      pickStr(view, "command_output"),
  };
}

function readTokens(view: Json): number | null {
  const usage = isObject(view.usage) ? view.usage : null;
  if (usage === null) return pickNum(view, "tokens");
  const input = pickNum(usage, "inputTokens", "input_tokens");
  const output = pickNum(usage, "outputTokens", "output_tokens");
  const total = pickNum(usage, "totalTokens", "total_tokens");
  if (input === null && output === null) return total;
  return (input ?? 0) + (output ?? 0);
}

function toolStep(tool: Json): string | null {
  const summary = pickStr(tool, "summary");
  if (summary === null) return null;
  const status = pickStr(tool, "status") ?? "";
  switch (str(tool.kind)) {
    case "command": {
      const exit = num(tool.exit_code) ?? num(tool.exitCode);
      const end = status === "in_progress"
        ? ""
        : exit !== null
        ? ` (exit ${exit})`
        : ` (${status})`;
      return `$ ${displayCommand(summary)}${end}`;
    }
    case "file_change":
      return `Edit ${summary}${status === "completed" ? "" : ` (${status})`}`;
    case "mcp_tool_call":
      return `Tool ${summary}`;
    case "web_search":
      return `Search ${summary}`;
    default:
      return summary;
  }
}

function lastStepOf(info: TaskFields, view: Json): string {
  // A pending approval says more than the last step: the task waits on it.
  if (info.approval) {
    const a = info.approval;
    if (a.command !== null) return oneLine(`Approval? $ ${a.command}`);
    if (a.files.length > 0) return oneLine(`Approval? edit ${a.files.join(", ")}`);
    return oneLine(`Question: ${a.message ?? a.kind}`);
  }
  const explicit = pickStr(view, "last_step", "step");
  if (explicit !== null && explicit !== "") return oneLine(explicit);
  const recordError = pickStr(view, "record_error");
  if (recordError) return oneLine(`record not saved: ${recordError}`);
  if (info.done && info.failure) return oneLine(`${info.phase}: ${info.failure}`);
  const final = pickStr(view, "final_message");
  if (info.done && final) return oneLine(final);
  const tool = isObject(view.last_tool) ? view.last_tool : null;
  const toolText = tool ? toolStep(tool) : null;
  if (tool && str(tool.status) === "in_progress" && toolText) return oneLine(toolText);
  if (info.reasoning && !info.done) {
    return oneLine(`Thinking: ${info.reasoning.replace(/\*\*/g, "")}`);
  }
  if (toolText) return oneLine(toolText);
  if (info.message) return oneLine(info.message);
  if (info.phase === "queued") return "waiting for a free slot";
  if (info.phase === "starting") return "starting Codex";
  if (!info.done) return "waiting for the model";
  return "";
}

/** A failure as people read it: Codex reports API errors as JSON; their message is the cause. */
export function readableFailure(failure: string): string {
  try {
    const parsed: unknown = JSON.parse(failure);
    if (isObject(parsed)) {
      const inner = isObject(parsed.error) ? parsed.error : parsed;
      const message = pickStr(inner, "message");
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
  const id = pickStr(raw, "task_id", "id");
  if (id === null || id === "") return null;
  const phase = pickStr(raw, "phase") ?? "unknown";
  const worktree = isObject(raw.worktree) ? raw.worktree : null;
  const output = pickStr(raw, "output") ?? "";
  const todoSource: unknown[] = [raw.todo_list, raw.plan].find(Array.isArray) ?? [];
  const todo = todoSource.flatMap((item) => {
    if (!isObject(item)) return [];
    const text = pickStr(item, "text", "step");
    if (text === null) return [];
    const completed = item.completed === true || str(item.status) === "completed";
    return [{ text, completed }];
  });
  const failure = pickStr(raw, "failure");
  return {
    id,
    phase,
    done: typeof raw.done === "boolean" ? raw.done : FINAL_PHASES.includes(phase),
    prompt: pickStr(raw, "prompt") ?? "",
    cwd: pickStr(raw, "cwd"),
    // Seconds the task has run (as of the read), or null when unknown.
    elapsedS: pickNum(raw, "elapsed_s"),
    // Input plus output tokens, or null before the first turn ends.
    tokens: readTokens(raw),
    branch: worktree ? str(worktree.branch) : pickStr(raw, "branch"),
    // Where it runs: "local" or a worker's name (docs/workers.md), null when not said.
    worker: pickStr(raw, "worker"),
    // The message being written, or the final one.
    message: output !== "" ? output : pickStr(raw, "final_message") ?? "",
    command: readCommand(raw),
    reasoning: pickStr(raw, "reasoning"),
    todo,
    ...readFiles(raw),
    failure: failure === null || failure === "" ? null : readableFailure(failure),
    // `question` is the app-server engine's name for it.
    approval: readApproval(raw.approval ?? raw.pending_approval ?? raw.question),
  };
}

/** Reads the `codex-swarm://tasks` JSON (`{tasks: [...]}`, or a bare array); skips bad entries. */
export function readTaskList(raw: unknown): TaskInfo[] {
  const list: unknown[] = [raw, isObject(raw) ? raw.tasks : null].find(Array.isArray) ?? [];
  return list.map(readTask).filter((t) => t !== null);
}

/** The task cap from the `codex-swarm://server-info` JSON, or null when it says none. */
export function readCap(raw: unknown): number | null {
  if (!isObject(raw)) return null;
  const limits = isObject(raw.limits) ? raw.limits : raw;
  return pickNum(limits, "max_parallel", "maxParallel");
}
