/**
 * The prompt of a merge queue's resolving task: the files that conflict, and the intent of both
 * sides (each task's prompt and final message; for the other side, the target and the tasks merged
 * before). Text the tasks wrote is quoted line by line (`> `), as context, never as the request.
 * Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const prompt = resolverPrompt({
 *   target: "main",
 *   files: ["a.txt"],
 *   incoming: { taskId: "b", branch: "codex-swarm/b", prompt: "Add b", finalMessage: "Added b" },
 *   earlier: [],
 *   check: "npm test",
 * });
 * assert.ok(prompt.includes("> Add b"));
 * ```
 * @module
 */

import type { MergeItem } from "./merge_plan.ts";

/** The cut of each quoted prompt or final message, in characters. */
export const INTENT_CHARS = 2_000;

/** The longest list of conflicting files named. */
const FILES_NAMED = 50;

/** One side's task: an item of the queue, with its branch. */
export type SideTask = Pick<MergeItem, "taskId" | "prompt" | "finalMessage"> & { branch: string };

/** What the resolving task is told. */
export interface ResolveBrief {
  target: string;
  files: string[];
  /** The branch being merged. */
  incoming: SideTask;
  /** The tasks already merged into the integration branch (the other side, with the target). */
  earlier: SideTask[];
  check: string;
}

/** `text` cut to `max` characters, each line quoted with `> `. */
export function quote(text: string, max = INTENT_CHARS): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.split("\n").map((line) => `> ${line}`).join("\n");
}

function intent(task: SideTask): string {
  return [
    `Task ${task.taskId} (branch ${task.branch}) was asked:`,
    quote(task.prompt),
    "It reported:",
    quote(task.finalMessage ?? "(no final message)"),
  ].join("\n");
}

/** The resolving task's prompt. */
export function resolverPrompt(brief: ResolveBrief): string {
  const files = brief.files.slice(0, FILES_NAMED);
  const more = brief.files.length - files.length;
  const other = brief.earlier.length === 0
    ? [`The other side is branch "${brief.target}" as it is.`]
    : [
      `The other side is branch "${brief.target}" with these tasks merged into it before:`,
      ...brief.earlier.map(intent),
    ];
  return [
    `A git merge in this directory stopped on conflicts: branch ${brief.incoming.branch} is being ` +
    `merged into an integration branch made from "${brief.target}".`,
    "",
    "Resolve the conflicts in these files so that both sides' intent is kept, and remove every " +
    "conflict marker:",
    ...files.map((file) => `- ${file}`),
    ...(more > 0 ? [`- and ${more} more (git diff --name-only --diff-filter=U)`] : []),
    "",
    "Edit the files only: do not commit, abort the merge or switch branches; the merge is " +
    `committed for you when you finish, then checked with: ${brief.check}`,
    "",
    "The side being merged:",
    intent(brief.incoming),
    "",
    ...other,
  ].join("\n");
}
