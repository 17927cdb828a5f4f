/**
 * How a task is shown to clients: a JSON view for `structuredContent` and resources, and a short
 * text for people.
 *
 * @module
 */

import { isFinal, type TaskMeta, type TaskSnapshot } from "../../tasks/task.ts";
import { approvalOf, checkView, cutMessage, seconds } from "./compact_view.ts";
import { mergeReport } from "../../tasks/merge/merge_report.ts";
import { truncate } from "../../base/text.ts";

const OUTPUT_VIEW_CHARS = 4000;

/**
 * The full JSON view of a task (`detail: "full"` on codex_status, and the task resources). The
 * final message is cut at `messageChars` with a marker saying how to read on, and so is the output
 * tail.
 */
export function taskView(task: TaskSnapshot, messageChars = Number.POSITIVE_INFINITY) {
  const { meta, run } = task;
  const finalMessage = meta.finalMessage ?? run.finalMessage;
  const outputChars = Math.min(OUTPUT_VIEW_CHARS, messageChars);
  const approval = approvalOf(task);
  return {
    task_id: meta.id,
    phase: meta.phase,
    done: isFinal(meta.phase),
    prompt: truncate(meta.request.prompt, 200),
    cwd: meta.cwd,
    created_at: meta.createdAt,
    started_at: meta.startedAt,
    ended_at: meta.endedAt,
    elapsed_s: seconds(task.elapsedMs),
    deadline: meta.deadline,
    // Queued while the model API rate-limits: when starts resume.
    backoff_until: task.backoffUntil ?? null,
    // The record on disk lags (no space): it is written again until it is.
    record_error: task.recordError ?? null,
    thread_id: meta.threadId ?? run.threadId,
    tool_calls: run.toolCalls,
    last_tool: run.lastTool,
    reasoning: run.reasoning,
    files_changed: run.filesChanged,
    todo_list: run.todoList,
    output: run.output.length > outputChars
      ? `…${run.output.slice(run.output.length - outputChars)}`
      : run.output,
    final_message: finalMessage === null ? null : cutMessage(finalMessage, messageChars, meta.id),
    // A review task: its target, and once it ended its verdict and findings (the text is above).
    ...(meta.request.review
      ? { review_target: meta.request.review.spec, review: meta.review ?? null }
      : {}),
    // The Codex session whose call started the task, when a Codex client called.
    parent_thread_id: meta.request.caller?.threadId ?? null,
    // A fork (codex_fork): the thread it was forked from, and that thread's newest task.
    forked_from: meta.request.forkOf?.threadId ?? null,
    // Where it runs (docs/workers.md): "local" or a worker's name; null while queued.
    worker: meta.worker ?? null,
    ...(meta.recovered ? { recovered: true } : {}),
    forked_from_task: meta.request.forkOf?.taskId ?? null,
    caller_sandbox: meta.request.caller?.sandbox ?? null,
    sandbox: meta.request.sandbox ?? null,
    // Best of N: the group this task is an attempt of, and its check as run (tail included).
    ...(meta.request.group ? { group: meta.request.group } : {}),
    ...(meta.check ? { check: checkDetail(meta.check, meta.phase) } : {}),
    // A merge queue (codex_merge): its steps so far, or its report.
    ...(meta.merge && meta.request.merge
      ? { merge: mergeReport(meta.id, meta.request.merge, meta.merge, messageChars * 4 + 400) }
      : {}),
    ...(approval === undefined ? {} : { approval }),
    // This task's own turn; the thread's running total beside it.
    usage: run.usage,
    usage_total: run.usageTotal ?? null,
    // What is happening now: the message being written, the command's output so far, the plan,
    // the turn's diff stat.
    live: run.live && !isFinal(meta.phase) ? run.live : null,
    worktree: worktreeView(meta),
    // The new worktree's set-up: ignored files copied, the set-up command and how it ended.
    setup: setupView(meta, outputChars),
    failure: meta.failure,
    // The questions Codex asked and how each was answered (the pending one is `approval`).
    answered: meta.answered ?? [],
    warnings: run.warnings.slice(-3),
    // Lines of Codex output this version does not know, kept and counted rather than dropped.
    unknown_events: run.unknownEvents,
    malformed_lines: run.malformedLines,
    last_unknown: run.lastUnknown,
  };
}

/** A task's check as run, its output's tail included. */
function checkDetail(check: NonNullable<TaskMeta["check"]>, phase: TaskMeta["phase"]) {
  return {
    ...checkView(check, OUTPUT_VIEW_CHARS, isFinal(phase)),
    timed_out: check.timedOut,
    cancelled: check.cancelled,
    duration_ms: check.durationMs,
    ...(check.dropped ? { dropped: check.dropped } : {}),
  };
}

/** A task's worktree: where, its branch and base, and what the task committed there. */
function worktreeView(meta: TaskMeta) {
  const outcome = meta.worktreeOutcome;
  return meta.worktree
    ? {
      path: meta.worktree.path,
      branch: meta.worktree.branch,
      base: meta.worktree.baseRef,
      base_commit: meta.worktree.baseCommit,
      commit: outcome?.commit ?? null,
      files: outcome?.files ?? [],
      insertions: outcome?.insertions ?? 0,
      deletions: outcome?.deletions ?? 0,
      ...(outcome?.error ? { error: outcome.error } : {}),
    }
    : null;
}

/** The set-up of a task's new worktree, its output's tail cut at `outputChars`. */
function setupView(meta: TaskMeta, outputChars: number) {
  return meta.setup
    ? {
      command: meta.setup.command,
      exit_code: meta.setup.exitCode ?? null,
      duration_ms: meta.setup.durationMs ?? null,
      tail: (meta.setup.tail ?? "").slice(-outputChars),
      copied: meta.setup.copied ?? 0,
      unmatched: meta.setup.unmatched ?? [],
    }
    : null;
}

/** A few lines about a task, for people. */
export function taskText(task: TaskSnapshot): string {
  const v = taskView(task);
  const lines = [
    `Task ${v.task_id}: ${v.phase} after ${v.elapsed_s}s` +
    (v.thread_id ? ` (thread ${v.thread_id})` : ""),
  ];
  lines.push(`  prompt: ${v.prompt.split("\n", 1)[0]}`);
  if (v.forked_from) lines.push(`  forked from thread ${v.forked_from}`);
  const t = v.tool_calls;
  if (t.total > 0) {
    lines.push(
      `  tools: ${t.total} (commands ${t.commands}, file changes ${t.fileChanges}, ` +
        `MCP ${t.mcpToolCalls}, web ${t.webSearches})`,
    );
  }
  if (v.last_tool) lines.push(`  last tool: ${v.last_tool.summary} [${v.last_tool.status}]`);
  if (v.reasoning && !v.done) lines.push(`  thinking: ${v.reasoning.slice(0, 300)}`);
  if (v.todo_list.length > 0) {
    lines.push(
      `  todo: ${v.todo_list.map((i) => `${i.completed ? "[x]" : "[ ]"} ${i.text}`).join("; ")}`,
    );
  }
  if (v.files_changed.length > 0) lines.push(`  files changed: ${v.files_changed.join(", ")}`);
  if (v.worktree) {
    const w = v.worktree;
    lines.push(
      `  worktree: ${w.path} on ${w.branch}` +
        (w.commit ? `, commit ${w.commit.slice(0, 12)}` : "") +
        (w.files.length > 0 ? ` (${w.files.length} files, +${w.insertions} -${w.deletions})` : "") +
        (w.error ? `; commit failed: ${w.error}` : ""),
    );
  }
  if (v.usage) lines.push(`  tokens: ${v.usage.inputTokens} in, ${v.usage.outputTokens} out`);
  if (task.question) lines.push(`  waits for an answer: ${task.question.message}`);
  if (v.failure) lines.push(`  failure: ${v.failure}`);
  if (v.unknown_events + v.malformed_lines > 0) {
    lines.push(
      `  unrecognised output: ${v.unknown_events} unknown event(s), ` +
        `${v.malformed_lines} malformed line(s); last: ${v.last_unknown ?? "-"}`,
    );
  }
  if (v.final_message) lines.push(`  result: ${v.final_message}`);
  else if (v.output && !v.done) lines.push(`  output so far: ${v.output.slice(-500)}`);
  return lines.join("\n");
}
