/**
 * The `codex_diff` tool (read-only): a task branch's changes against where it started, the file
 * list first, then the patch in pages (`offset`, `max_chars`) so no result outgrows the client.
 * `codex_worktree` keeps merge and discard.
 *
 * @example
 * ```ts
 * // A client reads a long patch page by page:
 * // codex_diff {"task_id":"3f2a...","offset":0}      -> files, patch, next_offset: 9100
 * // codex_diff {"task_id":"3f2a...","offset":9100}   -> patch, next_offset: null
 * ```
 * @module
 */

import { z } from "zod";
import type { Engine } from "../../tasks/engine_api.ts";
import type { WorktreeInfo, WorktreeManager } from "../../git/worktree.ts";
import { page } from "./compact_view.ts";
import { type ToolContext, toolError, toolResult } from "./tool.ts";

/** Room for the fields around the patch and the file list. */
const HEAD_CHARS = 1500;

/**
 * One page of a task branch's diff, as a tool result of at most `maxResultChars`: its text and
 * its structured content as JSON together (JSON escapes each line end and quote of the patch, so
 * the page is measured as sent, and shortened until it fits).
 */
export async function diffResult(
  worktrees: WorktreeManager,
  taskId: string,
  info: WorktreeInfo,
  args: { offset?: number; max_chars?: number },
  maxResultChars: number,
) {
  const offset = args.offset ?? 0;
  const summary = await worktrees.diffSummary(info);
  // The patch appears in the text and the structured content: each gets half the room.
  let room = Math.floor((maxResultChars - HEAD_CHARS) / 2);
  let files: Array<Record<string, unknown>> | undefined;
  let filesOmitted = 0;
  if (offset === 0) {
    files = summary.files.map((f) => ({
      path: f.path,
      ...(f.oldPath ? { old_path: f.oldPath } : {}),
      insertions: f.insertions,
      deletions: f.deletions,
      ...(f.binary ? { binary: true } : {}),
    }));
    // The file list comes first, but takes at most half the room.
    while (files.length > 0 && JSON.stringify(files).length > room / 2) {
      files.pop();
      filesOmitted++;
    }
    room -= JSON.stringify(files).length;
  }
  let maxChars = Math.max(1, Math.min(args.max_chars ?? room, room));
  const { patch, truncated } = await worktrees.diff(info, (offset + maxChars) * 4 + 4);
  // What comes before the patch: the branch and its stat, and the files when listed.
  const head = [
    `Branch ${info.branch} vs ${info.baseRef} (${info.baseCommit.slice(0, 12)}): ` +
    `${summary.files.length} file(s), +${summary.insertions} -${summary.deletions}`,
    ...(files?.map((f) => `  ${f.path} +${f.insertions} -${f.deletions}`) ?? []),
    ...(filesOmitted ? [`  … ${filesOmitted} more`] : []),
  ];
  const fields = {
    task_id: taskId,
    branch: info.branch,
    base: info.baseRef,
    file_count: summary.files.length,
    insertions: summary.insertions,
    deletions: summary.deletions,
    ...(files ? { files } : {}),
    ...(filesOmitted ? { files_omitted: filesOmitted } : {}),
  };
  const pageOf = (chars: number) =>
    diffPage(taskId, head, fields, { patch, truncated, offset }, chars);
  let result = pageOf(maxChars);
  // Each character less of patch is at least two less in all (text and JSON): this converges.
  for (let over = resultChars(result) - maxResultChars; over > 0 && maxChars > 1;) {
    maxChars = Math.max(1, maxChars - over);
    result = pageOf(maxChars);
    over = resultChars(result) - maxResultChars;
  }
  return result;
}

/** Characters a client receives of a result: its text and its structured content as JSON. */
export function resultChars(
  result: { content: Array<{ text?: string }>; structuredContent?: unknown },
): number {
  const text = result.content.reduce((sum, part) => sum + (part.text?.length ?? 0), 0);
  return text +
    (result.structuredContent === undefined ? 0 : JSON.stringify(result.structuredContent).length);
}

/**
 * The diff's result with a page of at most `maxChars` of `patch` from `offset`, after the lines
 * of `head` and the structured `fields`.
 */
function diffPage(
  taskId: string,
  head: string[],
  fields: Record<string, unknown>,
  { patch, truncated, offset }: { patch: string; truncated: boolean; offset: number },
  maxChars: number,
) {
  let { text, next } = page(patch, Math.min(offset, patch.length), maxChars);
  const more = next < patch.length || (truncated && next > offset);
  if (more) {
    // Pages end at a line end when the page holds one.
    const end = text.lastIndexOf("\n");
    if (end > 0) {
      text = text.slice(0, end + 1);
      next = offset + text.length;
    }
  }
  const nextCall = more ? `codex_diff {"task_id":"${taskId}","offset":${next}} reads on` : null;
  return toolResult(
    [...head, "", text].join("\n") + (nextCall ? `\n[patch continues: ${nextCall}]` : ""),
    {
      ...fields,
      offset,
      patch: text,
      next_offset: more ? next : null,
      ...(nextCall ? { next: nextCall } : {}),
    },
  );
}

/** The worktree of a task, or an error result naming why there is none. */
export function worktreeOf(engine: Engine, taskId: string, action: string) {
  const task = engine.get(taskId);
  const info = task?.meta.worktree;
  if (task && info) return { task, info };
  const why = task ? "it did not run in a worktree" : "no such task is known";
  return { error: toolError(`Cannot ${action} task "${taskId}" as ${why}`) };
}

/** Registers `codex_diff`. */
export function registerCodexDiffTool({ server, engine, worktrees, options }: ToolContext): void {
  server.registerTool("codex_diff", {
    title: "Task branch diff",
    description: "Show what a task that ran with worktree: true changed on its branch: the " +
      "files with line counts, then the patch, in pages (next_offset says where the next one " +
      "starts). Read-only; works while the task runs too.",
    inputSchema: {
      task_id: z.string().min(1).describe(
        "The task whose branch to show (it ran with worktree: true).",
      ),
      offset: z.number().int().min(0).optional().describe(
        "Start the patch at this character (from next_offset of the previous page). Default 0.",
      ),
      max_chars: z.number().int().min(100).optional().describe(
        "At most this many characters of patch (default and ceiling: what fits the result limit).",
      ),
    },
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, async (args) => {
    const found = worktreeOf(engine, args.task_id, "show the diff of");
    if (found.error) return found.error;
    return await diffResult(worktrees, args.task_id, found.info, args, options.maxResultChars);
  });
}
