/**
 * The detail pane of `codex-swarm top`: one task's pending approval, prompt, failure, last
 * command, plan, changed files and message (or thinking), cut to the pane. Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detailLines } from "./view_detail.ts";
 * import { readTask } from "./task_info.ts";
 * import { plainText } from "./view_text.ts";
 *
 * const task = readTask({ task_id: "a1", phase: "running", prompt: "fix the tests" })!;
 * assert.equal(plainText(detailLines(task, 60, 10)), "Task a1 running\nPrompt\n  fix the tests");
 * ```
 * @module
 */

import type { TaskInfo } from "./task_info.ts";
import { type Colour, fit, fitLine, type Line, phaseColour, seg, wrap } from "./view_text.ts";

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
  const title: Line = [
    seg(`Task ${task.id} `, { bold: true }),
    seg(task.phase, { color: phaseColour(task.phase), bold: true }),
    seg(task.cwd ? ` in ${task.cwd}` : ""),
  ];
  const lines: Line[] = [fitLine(title, width)];
  lines.push(...approvalLines(task, width, height - lines.length));
  if (task.prompt !== "") {
    lines.push(section("Prompt"), ...textLines(task.prompt, width, 2, "head"));
  }
  if (task.failure !== null) {
    lines.push(section("Failure", "red"), ...textLines(task.failure, width, 3, "head"));
  }
  lines.push(...commandLines(task, width), ...planLines(task, width), ...fileLines(task, width));
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

/** The pending approval or question, its diff in the `room` left (keeping 6 lines for the rest). */
function approvalLines(task: TaskInfo, width: number, room: number): Line[] {
  const a = task.approval;
  if (!a) return [];
  const lines: Line[] = [];
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
    lines.push(...diffLines(a.diff, width, Math.max(3, room - lines.length - 6)));
  }
  return lines;
}

/** The command running, or the last one, with the end of its output. */
function commandLines(task: TaskInfo, width: number): Line[] {
  const c = task.command;
  if (c === null) return [];
  const end = c.status === "in_progress"
    ? " (running)"
    : c.exitCode !== null
    ? ` (exit ${c.exitCode})`
    : c.status !== ""
    ? ` (${c.status})`
    : "";
  const lines: Line[] = [
    section(c.status === "in_progress" ? "Running" : "Last command"),
    [seg(`  $ ${fit(c.command + end, width - 4)}`)],
  ];
  if (c.output !== null && c.output.trim() !== "") {
    lines.push(...textLines(c.output, width, 4, "tail", "  │ "));
  }
  return lines;
}

/** The plan: four items around the first one not done. */
function planLines(task: TaskInfo, width: number): Line[] {
  if (task.todo.length === 0) return [];
  const done = task.todo.filter((t) => t.completed).length;
  const lines: Line[] = [section(`Plan ${done}/${task.todo.length}`)];
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
  return lines;
}

/** The files changed: the first three with their counts, the rest counted. */
function fileLines(task: TaskInfo, width: number): Line[] {
  if (task.files.length === 0) return [];
  const stat = task.insertions !== null ? `, +${task.insertions} -${task.deletions ?? 0}` : "";
  const lines: Line[] = [section(`Files changed: ${task.files.length}${stat}`)];
  for (const f of task.files.slice(0, 3)) {
    const s = f.insertions !== null ? ` +${f.insertions} -${f.deletions ?? 0}` : "";
    lines.push([seg(`  ${fit(f.path, width - 2 - s.length)}`), seg(s, { color: "green" })]);
  }
  if (task.files.length > 3) {
    lines.push([seg(`  … ${task.files.length - 3} more`, { dim: true })]);
  }
  return lines;
}
