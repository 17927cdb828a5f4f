/**
 * The text of `codex-swarm top`'s screen: lines of styled segments, the colour of each phase, and
 * the formatting of times, token counts, branches and text cut or wrapped to a width. Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fit, formatElapsed, plainText, seg } from "./view_text.ts";
 *
 * assert.equal(formatElapsed(245), "4m05s");
 * assert.equal(fit("a long line", 6), "a lon…");
 * assert.equal(plainText([[seg("top "), seg("line", { bold: true })]]), "top line");
 * ```
 * @module
 */

import wrapAnsi from "wrap-ansi";
import type { TaskInfo } from "./task_info.ts";

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

/**
 * The colour of each phase, in the order phases are counted and filtered in (`PHASE_ORDER`): the
 * tasks that want attention first.
 */
export const PHASE_COLOUR: Readonly<Record<string, Colour>> = {
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

/** Breaks `text` into lines of at most `width` terminal cells, at spaces where it can. */
export function wrap(text: string, width: number): string[] {
  const plain = text.replace(/\r/g, "").replace(/\t/g, "  ");
  return wrapAnsi(plain, width, { hard: true }).split("\n");
}

/** A segment of `text` in `style`. */
export function seg(text: string, style?: Style): Segment {
  return style === undefined ? { text } : { text, style };
}

/** A branch as the table shows it; when `short`, the default `codex-swarm/` prefix is `…/`. */
export function branchLabel(branch: string | null, short: boolean): string {
  if (branch === null) return "-";
  return short && branch.startsWith("codex-swarm/")
    ? `…/${branch.slice("codex-swarm/".length)}`
    : branch;
}

/** Cuts a line's segments so their text fits `width`, without control characters. */
export function fitLine(line: Line, width: number): Line {
  const out: Line = [];
  let room = width;
  for (const s of line) {
    if (room <= 0) break;
    // Every segment goes through fit: a task's text may carry terminal control sequences.
    const text = fit(s.text, room);
    out.push({ ...s, text });
    room -= [...text].length;
  }
  return out;
}

/** The lines as plain text, without trailing spaces. */
export function plainText(lines: readonly Line[]): string {
  return lines.map((line) => line.map((s) => s.text).join("").trimEnd()).join("\n");
}
