/**
 * The findings of a Codex review as data.
 *
 * Codex 0.169's app-server gives a review's result only as rendered text (the `exitedReviewMode`
 * item's `review`, also the turn's last agent message). The structured result, Codex's
 * `ReviewOutputEvent` (findings with title, body, confidence, priority and code location, and the
 * overall verdict), is in the thread's rollout file: an `event_msg` line
 * `{type: "item_completed", turn_id, item: {type: "ExitedReviewMode", review_output}}` (older
 * Codex: `{type: "exited_review_mode", review_output}`). {@link reviewFromRollout} reads it. A
 * thread without a rollout (`--ephemeral`) leaves only the text: {@link parseRenderedReview} reads
 * its fixed format (no verdict, no confidence).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // With the review's rollout (`rollout: ".../rollout-….jsonl"`) its findings come from there;
 * // without one, from the text the review rendered.
 * const review = await readReview({ rollout: null, turnId: "01a2", text: "Looks fine." });
 * assert.equal(review?.findings.length, 0);
 * ```
 * @module
 */

import { delay } from "../base/delay.ts";
import { isRecord } from "../base/records.ts";

/** One finding of a review. */
export interface ReviewFinding {
  /** Short title; Codex tags it with the priority, e.g. `[P1] Check the bounds`. */
  title: string;
  /** Why it is a problem (Markdown). */
  body: string;
  /** The file it is about (absolute, as Codex gives it), or null. */
  file: string | null;
  /** The lines it is about (inclusive), or null. */
  lines: { start: number; end: number } | null;
  /** 0 (drop everything) to 3 (nice to have), or null when Codex gave none. */
  priority: number | null;
  /** Codex's confidence, 0 to 1, or null when unknown. */
  confidence: number | null;
}

/** The overall verdict of a review. */
export interface ReviewVerdict {
  /** Codex's words, e.g. `patch is correct` / `patch is incorrect`; null when unknown. */
  overall_correctness: string | null;
  /** One to three sentences justifying it. */
  explanation: string;
  /** Codex's confidence, 0 to 1, or null when unknown. */
  confidence: number | null;
}

/** A review's result as data. */
export interface ReviewOutput {
  verdict: ReviewVerdict;
  findings: ReviewFinding[];
  /** Where it came from: Codex's structured output in the rollout, or its rendered text. */
  source: "rollout" | "text";
}

function record(value: unknown): Record<string, unknown> | null {
  return isRecord(value) ? value : null;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function priorityOfTitle(title: string): number | null {
  const tag = /^\s*\[P([0-3])\]/.exec(title);
  return tag ? Number(tag[1]) : null;
}

/** A finding of Codex's `ReviewOutputEvent`, whatever fields it lacks. */
function findingOf(raw: unknown): ReviewFinding | null {
  const f = record(raw);
  if (!f) return null;
  const title = text(f.title);
  const location = record(f.code_location);
  const range = record(location?.line_range);
  const start = num(range?.start);
  const end = num(range?.end);
  return {
    title,
    body: text(f.body),
    file: text(location?.absolute_file_path) || null,
    lines: start === null ? null : { start, end: end ?? start },
    priority: num(f.priority) ?? priorityOfTitle(title),
    confidence: num(f.confidence_score),
  };
}

/**
 * Codex's `ReviewOutputEvent` (`{findings, overall_correctness, overall_explanation,
 * overall_confidence_score}`) as a {@link ReviewOutput}, or null when it is not an object.
 */
export function reviewFromOutputEvent(raw: unknown): ReviewOutput | null {
  const event = record(raw);
  if (!event) return null;
  const findings = (Array.isArray(event.findings) ? event.findings : [])
    .map(findingOf)
    .filter((f): f is ReviewFinding => f !== null);
  return {
    verdict: {
      overall_correctness: text(event.overall_correctness) || null,
      explanation: text(event.overall_explanation),
      confidence: event.overall_correctness ? num(event.overall_confidence_score) : null,
    },
    findings,
    source: "rollout",
  };
}

/**
 * The review output of a rollout (JSONL text): the last `ExitedReviewMode` item of turn `turnId`
 * (any turn when null), or null when the rollout has none with a `review_output`.
 */
export function reviewFromRollout(jsonl: string, turnId: string | null): ReviewOutput | null {
  const lines = jsonl.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!line.includes("review_output")) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // a line being written, or cut
    }
    const payload = record(record(parsed)?.payload);
    if (!payload) continue;
    let output: unknown = undefined;
    if (payload.type === "exited_review_mode") {
      output = payload.review_output;
    } else if (payload.type === "item_completed") {
      const item = record(payload.item);
      if (item?.type !== "ExitedReviewMode") continue;
      if (turnId !== null && typeof payload.turn_id === "string" && payload.turn_id !== turnId) {
        continue;
      }
      output = item.review_output;
    }
    const review = reviewFromOutputEvent(output);
    if (review) return review;
  }
  return null;
}

/** The headers Codex 0.169 puts before the findings of a rendered review. */
const FINDINGS_HEADER = /^(Full review comments:|Review comment:)$/m;

/**
 * Reads Codex's rendered review (the `exitedReviewMode` item's text), whose format is fixed:
 *
 * ```text
 * <overall explanation>
 *
 * Full review comments:            (or "Review comment:" for one)
 *
 * - <title> — <absolute path>:<start>-<end>
 *   <body, indented two spaces>
 * ```
 *
 * It carries no verdict and no confidence: those are null.
 */
export function parseRenderedReview(rendered: string): ReviewOutput {
  const header = FINDINGS_HEADER.exec(rendered);
  const explanation = (header ? rendered.slice(0, header.index) : rendered).trim();
  const findings: ReviewFinding[] = [];
  if (header) {
    let current: ReviewFinding | null = null;
    const body: string[] = [];
    const flush = () => {
      if (current) findings.push({ ...current, body: body.join("\n").trim() });
      body.length = 0;
    };
    for (const line of rendered.slice(header.index + header[0].length).split("\n")) {
      const head = /^- (?:\[[ x]\] )?(.*?) — (.+?)(?::(\d+)-(\d+))?$/.exec(line);
      if (head) {
        flush();
        const title = head[1]!;
        current = {
          title,
          body: "",
          file: head[2]!,
          lines: head[3] ? { start: Number(head[3]), end: Number(head[4]) } : null,
          priority: priorityOfTitle(title),
          confidence: null,
        };
      } else if (current) {
        body.push(line.startsWith("  ") ? line.slice(2) : line);
      }
    }
    flush();
  }
  return {
    verdict: { overall_correctness: null, explanation, confidence: null },
    findings,
    source: "text",
  };
}

/** Where {@link readReview} finds a review. */
export interface ReviewSources {
  /** The thread's rollout file, or null when it has none. */
  rollout: string | null;
  /** The review's turn. */
  turnId: string | null;
  /** The rendered review (the last agent message), if any. */
  text: string | null;
  /** How long to wait for the rollout's line to be written (default 2000 ms). */
  waitMs?: number;
}

/**
 * The review's result: from the rollout when it holds it (waiting up to `waitMs` for Codex to
 * write it), else parsed from the rendered text, else null.
 */
export async function readReview(sources: ReviewSources): Promise<ReviewOutput | null> {
  if (sources.rollout !== null) {
    const until = Date.now() + (sources.waitMs ?? 2000);
    while (true) {
      const jsonl = await Deno.readTextFile(sources.rollout).catch(() => "");
      const review = reviewFromRollout(jsonl, sources.turnId);
      if (review) return review;
      if (Date.now() >= until) break;
      await delay(100);
    }
  }
  return sources.text === null ? null : parseRenderedReview(sources.text);
}
