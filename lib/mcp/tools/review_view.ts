/**
 * How a review's result is shown to a calling model: the verdict and every finding as data, kept
 * small for the compact view (paths relative to the review's directory, bodies cut, at most
 * {@link MAX_FINDINGS} findings with a count of the rest), whole for the full view.
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
 * @module
 */

import type { ReviewFinding, ReviewOutput, ReviewVerdict } from "../../codex/review_output.ts";
import { truncate } from "../../base/text.ts";

/** The most findings a compact view lists (the rest are counted in `findings_omitted`). */
export const MAX_FINDINGS = 20;

/** The compact view of a review. */
export interface CompactReview {
  verdict: ReviewVerdict;
  findings: ReviewFinding[];
  /** How many findings were left out for size (read them with codex_status detail full). */
  findings_omitted?: number;
}

/** `file` relative to `cwd` when it lies inside it. */
function relative(file: string | null, cwd: string | null): string | null {
  if (file === null || cwd === null) return file;
  const dir = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return file.startsWith(dir) ? file.slice(dir.length) : file;
}

/**
 * The review for the compact view, sized by the view's message cap (`messageChars`, 2000 down to
 * 0): each body at most an eighth of it, fewer findings as it shrinks.
 */
export function compactReview(
  review: ReviewOutput,
  messageChars: number,
  cwd: string | null,
): CompactReview {
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

/** One line for people: the verdict and the findings' count, e.g. `patch is incorrect: 2 finding(s)`. */
export function reviewLine(review: CompactReview): string {
  const count = review.findings.length + (review.findings_omitted ?? 0);
  return `${review.verdict.overall_correctness ?? "reviewed"}: ${count} finding(s)` +
    (review.findings.length > 0
      ? ` (${review.findings.slice(0, 3).map((f) => f.title).join("; ")})`
      : "");
}
