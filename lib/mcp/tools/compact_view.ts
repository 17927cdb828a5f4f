/**
 * The compact view of a task: what a calling model needs, in few characters. Clients hand a tool
 * result's `structuredContent` to the model as JSON (and drop the text), so this view is the
 * product the model sees: id, phase, elapsed time, thread, then for a finished task its final
 * message (cut with a marker saying how to read on), usage, failure, branch and diff stat, and for
 * a running one its last step in one line. The full view is `taskView` (task_view.ts). A review's
 * result shows as data: the verdict and every finding, kept small (paths relative to the review's
 * directory, bodies cut, at most {@link MAX_FINDINGS} findings with a count of the rest).
 *
 * Fields the engine may add later are shown when present: a pending `approval` object.
 *
 * @example Not run: it needs the engine's task snapshots (`tasks`).
 * ```ts ignore
 * import { compactTask, fitViews, nextHint } from "./compact_view.ts";
 *
 * const { views, omitted } = fitViews(tasks, 15_000, compactTask);
 * const result = { tasks: views, next: nextHint(views, omitted) };
 * ```
 * @module
 */

import type { LastTool } from "../../codex/run_state.ts";
import { displayCommand, excerpt, tail as endOf, truncate } from "../../base/text.ts";
import { type CheckOutcome, isFinal, type TaskSnapshot } from "../../tasks/task.ts";
import { describeCheck } from "../../tasks/attempt_check.ts";
import { backoffStep } from "../../tasks/backoff.ts";
import type { ReviewOutput } from "../../codex/review_output.ts";
import { describeMerge } from "../../tasks/merge/merge_plan.ts";
import { mergeReport } from "../../tasks/merge/merge_report.ts";

/** How much of a final message a compact view shows by default. */
export const MESSAGE_CHARS = 2000;
/** How long a step line is at most. */
export const STEP_CHARS = 160;
/** How long a failure cause is at most. */
const FAILURE_CHARS = 300;
/** The message caps tried, longest first, when many tasks must fit one result. */
const MESSAGE_CAPS = [MESSAGE_CHARS, 1000, 400, 160, 0];

/** How much of a check's output tail a compact view shows by default. */
export const CHECK_TAIL_CHARS = 600;

/**
 * The compact view of a check, its output cut to its last `tailChars` characters; `ended` says
 * its task is final.
 */
export function checkView(check: CheckOutcome, tailChars = CHECK_TAIL_CHARS, ended = true) {
  const tail = check.tail.length > tailChars ? `…${endOf(check.tail, tailChars)}` : check.tail;
  return {
    command: check.command,
    // Null while it runs or when it did not run.
    exit_code: check.exitCode,
    passed: check.passed,
    // E.g. `check "npm test" failed (exit 1)`.
    summary: describeCheck(check, ended),
    // The end of its output, at most `tailChars`.
    ...(tail !== "" && tailChars > 0 ? { tail } : {}),
  };
}

/** Seconds with one decimal. */
export function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/** The call that reads a task's final message on from `offset`. */
export function readOnCall(taskId: string, offset: number): string {
  return `codex_status {"task_ids":["${taskId}"],"offset":${offset}}`;
}

/** Characters `[offset, offset + max)` of `text`, never ending inside a surrogate pair. */
export function page(text: string, offset: number, max: number): { text: string; next: number } {
  let end = Math.min(text.length, offset + Math.max(0, max));
  if (end < text.length && end > offset && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return { text: text.slice(offset, end), next: end };
}

/**
 * `text` whole when it has at most `max` characters, else its start and a marker: `…[cut at 2000
 * of 9000 chars; codex_status {"task_ids":["id"],"offset":2000} reads on]`.
 */
export function cutMessage(text: string, max: number, taskId: string): string {
  if (text.length <= max) return text;
  const { text: head, next } = page(text, 0, max);
  return `${head}…[cut at ${next} of ${text.length} chars; ${readOnCall(taskId, next)} reads on]`;
}

function toolStep(tool: LastTool): string {
  const running = tool.status === "in_progress";
  switch (tool.kind) {
    case "command": {
      const command = displayCommand(tool.summary);
      if (running) return `Running: ${command}`;
      const exit = tool.exitCode == null ? "" : ` (exit ${tool.exitCode})`;
      return tool.status === "completed"
        ? `Ran${exit}: ${command}`
        : `Command ${tool.status}${exit}: ${command}`;
    }
    case "file_change":
      return running || tool.status === "completed"
        ? `Edited: ${tool.summary}`
        : `File change ${tool.status}: ${tool.summary}`;
    case "mcp_tool_call":
      return running
        ? `Calling tool: ${tool.summary}`
        : `Tool call ${tool.status}: ${tool.summary}`;
    case "web_search":
      return running ? `Searching: ${tool.summary}` : `Searched: ${tool.summary}`;
  }
}

/** The last thing a task did, in one line of at most {@link STEP_CHARS} characters. */
export function lastStep(task: TaskSnapshot): string {
  const { meta, run } = task;
  if (meta.phase === "queued") {
    return task.backoffUntil ? backoffStep(task.backoffUntil) : "Queued: waiting for a free slot";
  }
  if (meta.check && !isFinal(meta.phase)) return excerpt(describeCheck(meta.check), STEP_CHARS);
  if (meta.merge && meta.request.merge) {
    return excerpt(describeMerge(meta.request.merge, meta.merge), STEP_CHARS);
  }
  let text: string;
  if (run.lastTool) text = toolStep(run.lastTool);
  else if (run.reasoning) text = `Thinking: ${run.reasoning.replace(/\*\*/g, "")}`;
  else if (run.finalMessage) text = `Message: ${run.finalMessage}`;
  else text = meta.phase === "starting" ? "Starting Codex" : "Waiting for the model";
  const tools = run.toolCalls.total;
  return excerpt(tools > 1 ? `${text} (${tools} tool calls)` : text, STEP_CHARS);
}

/**
 * The question a task waits on an answer to (an approval), compact (its texts cut, at most ten
 * files), or undefined.
 */
export function approvalOf(task: TaskSnapshot) {
  if (!task.question) return undefined;
  const { id: _id, since: _since, ...rest } = task.question;
  const cut = (v: unknown) => typeof v === "string" ? truncate(v, FAILURE_CHARS) : v;
  const fields = Object.entries(rest);
  return Object.fromEntries(
    fields.map(([key, v]) => [key, Array.isArray(v) ? v.slice(0, 10).map(cut) : cut(v)]),
  );
}

/** The compact view of a task (absent fields do not apply). */
export type CompactTask = ReturnType<typeof compactTask>;

/** The compact view of a task, its final message cut at `messageChars`. */
export function compactTask(task: TaskSnapshot, messageChars = MESSAGE_CHARS) {
  const { meta, run } = task;
  const final = isFinal(meta.phase);
  const threadId = meta.threadId ?? run.threadId;
  const message = final ? meta.finalMessage ?? run.finalMessage : null;
  const structured = final ? meta.structured : undefined;
  const outcome = meta.worktree ? meta.worktreeOutcome : undefined;
  const approval = approvalOf(task);
  return {
    task_id: meta.id,
    phase: meta.phase,
    elapsed_s: seconds(task.elapsedMs),
    ...(threadId ? { thread_id: threadId } : {}),
    // Running tasks: the last step in one line; held back after a 429 of the model API: until
    // when (ISO).
    ...(final ? {} : { step: lastStep(task) }),
    ...(!final && task.backoffUntil ? { backoff_until: task.backoffUntil } : {}),
    // A finished review: its verdict and findings as data (the rendered text is in the full
    // view); other finished tasks: the final message, cut with a read-on marker when long.
    ...(final && meta.review ? { review: compactReview(meta.review, messageChars, meta.cwd) } : {}),
    ...(!meta.review && message !== null
      ? { final_message: cutMessage(message, messageChars, meta.id) }
      : {}),
    ...(final && meta.failure ? { failure: truncate(meta.failure, FAILURE_CHARS) } : {}),
    ...(final && run.usage
      ? { usage: { input: run.usage.inputTokens, output: run.usage.outputTokens } }
      : {}),
    // With output_schema: the final message parsed (or why it does not match).
    ...(structured?.ok ? { result: structured.value } : {}),
    ...(structured && !structured.ok
      ? { result_error: truncate(structured.error, FAILURE_CHARS) }
      : {}),
    // The task's record cannot be written now (it is tried again).
    ...(task.recordError ? { record_error: task.recordError } : {}),
    // Where it runs, when on a worker (docs/workers.md); its worker was lost and came back with
    // its work (the task stays failed).
    ...(meta.worker !== undefined && meta.worker !== "local" ? { worker: meta.worker } : {}),
    ...(meta.recovered ? { recovered: true } : {}),
    ...(meta.worktree ? { branch: meta.worktree.branch } : {}),
    // E.g. "2 file(s), +10 -3" once the branch is committed.
    ...(outcome
      ? {
        diff_stat: `${outcome.files.length} file(s), +${outcome.insertions} -${outcome.deletions}`,
      }
      : {}),
    ...(outcome?.error ? { commit_error: truncate(outcome.error, FAILURE_CHARS) } : {}),
    // Best of N: the group this task is an attempt of (codex_status of it ranks them).
    ...(meta.request.group ? { group_id: meta.request.group.id } : {}),
    // With `check`: how it ended (or that it runs).
    ...(meta.check
      ? { check: checkView(meta.check, Math.min(CHECK_TAIL_CHARS, messageChars), final) }
      : {}),
    // A merge queue (codex_merge): each branch's step so far, or its report once it ended.
    ...(meta.merge && meta.request.merge
      ? { merge: mergeReport(meta.id, meta.request.merge, meta.merge, 4 * messageChars + 400) }
      : {}),
    // A pending approval, when the engine reports one.
    ...(approval !== undefined ? { approval } : {}),
  };
}

/**
 * Renders every task so that together they fit `budget` characters of JSON: the final messages
 * are cut shorter and shorter, then tasks are left out from the end (their ids in `omitted`).
 */
export function fitViews<V>(
  tasks: TaskSnapshot[],
  budget: number,
  render: (task: TaskSnapshot, messageChars: number) => V,
): { views: V[]; omitted: string[] } {
  let views: V[] = [];
  for (const cap of MESSAGE_CAPS) {
    views = tasks.map((task) => render(task, cap));
    if (JSON.stringify(views).length <= budget) return { views, omitted: [] };
  }
  const omitted: string[] = [];
  let size = JSON.stringify(views).length;
  // The ids of what was left out take room too.
  while (views.length > 0 && size + JSON.stringify(omitted).length > budget) {
    const dropped = views.pop();
    omitted.unshift(tasks[views.length]!.meta.id);
    size -= JSON.stringify(dropped).length + 1;
  }
  return { views, omitted };
}

/** What to call next for these tasks, or undefined when nothing is pending. */
export function nextHint(views: CompactTask[], omitted: string[] = []): string | undefined {
  const hints: string[] = [];
  const running = views.filter((v) => !isFinal(v.phase)).map((v) => v.task_id);
  const asking = views.filter((v) => v.approval !== undefined).map((v) => v.task_id);
  if (asking.length > 0) {
    hints.push(`codex_approve answers the pending approval of ${asking.join(", ")}`);
  }
  if (running.length > 0) {
    hints.push(`codex_wait ${JSON.stringify({ task_ids: running })} to collect`);
  }
  const branch = views.find((v) => isFinal(v.phase) && v.branch !== undefined);
  if (branch) hints.push(`codex_diff {"task_id":"${branch.task_id}"} to review its branch`);
  if (omitted.length > 0) {
    hints.push(`${omitted.length} task(s) left out for size: codex_status {"task_ids":[...]} them`);
  }
  return hints.length > 0 ? hints.join("; ") : undefined;
}

/** One line per task, for people (the text content). */
export function compactText(views: CompactTask[], maxChars: number): string {
  const lines = views.map((v) => {
    const what = v.step ?? v.failure ?? (v.review ? reviewLine(v.review) : null) ??
      v.final_message?.split("\n", 1)[0] ?? "";
    const branch = v.branch ? ` [${v.branch}${v.diff_stat ? `: ${v.diff_stat}` : ""}]` : "";
    return `${v.task_id} ${v.phase} ${v.elapsed_s}s${branch}: ${excerpt(what, 120)}`;
  });
  return truncate(lines.join("\n"), maxChars);
}

/** The most findings a compact view lists (the rest are counted in `findings_omitted`). */
export const MAX_FINDINGS = 20;

/** `file` relative to `cwd` when it lies inside it. */
function relative(file: string | null, cwd: string | null): string | null {
  if (file === null || cwd === null) return file;
  const dir = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return file.startsWith(dir) ? file.slice(dir.length) : file;
}

/**
 * The review for the compact view, sized by the view's message cap (`messageChars`, 2000 down to
 * 0): each body at most an eighth of it, fewer findings as it shrinks, and paths relative to the
 * review's directory. How many findings were left out for size is `findings_omitted` (read them
 * with codex_status detail full).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const review = { // a task's meta.review
 *   verdict: { overall_correctness: "patch is incorrect", explanation: "Off by one.", confidence: 0.8 },
 *   findings: [{
 *     title: "[P1] Check the bounds",
 *     body: "`i <= n` reads past the end.",
 *     file: "/repo/src/a.ts",
 *     lines: { start: 2, end: 2 },
 *     priority: 1,
 *     confidence: 0.9,
 *   }],
 *   source: "rollout" as const,
 * };
 * const compact = compactReview(review, 2000, "/repo");
 * assert.equal(compact.findings[0]?.file, "src/a.ts"); // relative to the task's cwd
 * ```
 */
export function compactReview(review: ReviewOutput, messageChars: number, cwd: string | null) {
  const bodyChars = Math.floor(messageChars / 8);
  const most = messageChars >= 1000 ? MAX_FINDINGS : messageChars >= 400 ? 10 : 5;
  const findings = review.findings.slice(0, most).map((f) => ({
    title: truncate(f.title, 120),
    body: bodyChars > 0 ? truncate(f.body, bodyChars) : "",
    file: relative(f.file, cwd),
    lines: f.lines,
    priority: f.priority,
    confidence: f.confidence,
  }));
  const omitted = review.findings.length - findings.length;
  return {
    verdict: {
      ...review.verdict,
      explanation: truncate(review.verdict.explanation, Math.max(160, Math.min(400, messageChars))),
    },
    findings,
    ...(omitted > 0 ? { findings_omitted: omitted } : {}),
  };
}

/** The compact view of a review. */
export type CompactReview = ReturnType<typeof compactReview>;

/** One line for people: the verdict and the findings' count, e.g. `patch is incorrect: 2 finding(s)`. */
export function reviewLine(review: CompactReview): string {
  const count = review.findings.length + (review.findings_omitted ?? 0);
  return `${review.verdict.overall_correctness ?? "reviewed"}: ${count} finding(s)` +
    (review.findings.length > 0
      ? ` (${review.findings.slice(0, 3).map((f) => f.title).join("; ")})`
      : "");
}
