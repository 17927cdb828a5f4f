/**
 * The report of a merge queue, as data and as a few lines of text: each branch's outcome (merged,
 * nothing new, resolved by Codex with that task's id, left out because its check failed with the
 * check's tail, or stopped), the integration branch, its final commit, the diff stat against the
 * target and the outcome of each check. Check tails are cut until the report fits its budget.
 * Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newMergeState } from "./merge_plan.ts";
 *
 * const report = mergeReport("m1", { target: "main", items: [] }, newMergeState(), 2_000);
 * assert.equal(report.target, "main");
 * ```
 * @module
 */

import type { MergeCheck, MergeRequest, MergeState, MergeStep } from "./merge_plan.ts";
import { describeCurrent, landed } from "./merge_plan.ts";

/** The check tails tried, longest first, until the report fits. */
const TAIL_CAPS = [600, 200, 0];

/** A check in the report. */
export interface CheckReport {
  passed: boolean;
  exit_code: number | null;
  timed_out?: boolean;
  tail?: string;
}

/** One branch in the report. */
export interface BranchReport {
  task_id: string;
  branch: string;
  outcome: MergeStep["outcome"] | "pending";
  commit?: string;
  resolved_by?: string;
  conflicts?: string[];
  check?: CheckReport;
  note?: string;
}

/** The report of a merge queue. */
export interface MergeReport {
  merge_id: string;
  target: string;
  integration_branch: string | null;
  resumed_from?: string;
  check: string;
  baseline: CheckReport | null;
  /** What runs now, while the merge runs. */
  step?: string;
  branches: BranchReport[];
  final_commit?: string;
  diff_stat?: string;
  applied?: boolean;
  apply_note?: string;
  cleaned?: string[];
}

function checkReport(check: MergeCheck, tailChars: number): CheckReport {
  const tail = check.tail.length > tailChars ? `…${check.tail.slice(-tailChars)}` : check.tail;
  return {
    passed: check.passed,
    exit_code: check.exitCode,
    ...(check.timedOut ? { timed_out: true } : {}),
    // A passing check's output says nothing the outcome does not.
    ...(!check.passed && tailChars > 0 && tail !== "" ? { tail } : {}),
  };
}

function stepReport(step: MergeStep, tailChars: number): BranchReport {
  return {
    task_id: step.taskId,
    branch: step.branch,
    outcome: step.outcome,
    commit: step.commit,
    ...(step.resolverTaskId ? { resolved_by: step.resolverTaskId } : {}),
    ...(step.conflicts ? { conflicts: step.conflicts.slice(0, 20) } : {}),
    ...(step.check ? { check: checkReport(step.check, tailChars) } : {}),
    ...(step.note ? { note: step.note.slice(0, 300) } : {}),
  };
}

function reportAt(
  id: string,
  request: Pick<MergeRequest, "target" | "items"> & Partial<MergeRequest>,
  state: MergeState,
  tailChars: number,
): MergeReport {
  const branches: BranchReport[] = state.steps.map((s) => stepReport(s, tailChars));
  for (const item of request.items.slice(state.steps.length)) {
    branches.push({ task_id: item.taskId, branch: item.worktree.branch, outcome: "pending" });
  }
  const end = state.end;
  return {
    merge_id: id,
    target: request.target,
    integration_branch: state.integration?.branch ?? null,
    ...(request.resumeOf ? { resumed_from: request.resumeOf } : {}),
    check: request.check ?? "",
    baseline: state.baseline ? checkReport(state.baseline, tailChars) : null,
    ...(state.current ? { step: describeCurrent(state.current, request.items.length) } : {}),
    branches,
    ...(end
      ? {
        final_commit: end.commit,
        diff_stat: `${end.diff.files} file(s), +${end.diff.insertions} -${end.diff.deletions}`,
        applied: end.applied,
        ...(end.applyNote ? { apply_note: end.applyNote } : {}),
        ...(end.cleaned.length > 0 ? { cleaned: end.cleaned } : {}),
      }
      : {}),
  };
}

/** The report, its check tails cut until its JSON has at most `budget` characters. */
export function mergeReport(
  id: string,
  request: Pick<MergeRequest, "target" | "items"> & Partial<MergeRequest>,
  state: MergeState,
  budget: number,
): MergeReport {
  let report = reportAt(id, request, state, TAIL_CAPS[0]!);
  for (const cap of TAIL_CAPS.slice(1)) {
    if (JSON.stringify(report).length <= budget) return report;
    report = reportAt(id, request, state, cap);
  }
  return report;
}

const OUTCOME_WORDS: Record<BranchReport["outcome"], string> = {
  merged: "merged",
  nothing_new: "nothing new",
  resolved: "resolved by Codex",
  check_failed: "left out: its check failed",
  resolution_failed: "left out: the conflict was not resolved",
  stopped: "stopped at a conflict",
  branch_gone: "left out: its branch is gone",
  pending: "not merged yet",
};

/** The report in a few lines, for people. */
export function reportText(report: MergeReport): string {
  const lines = [
    `${report.branches.filter(landed).length} of ${report.branches.length} branch(es) landed on ` +
    `${report.integration_branch ?? "no branch yet"} from "${report.target}"` +
    (report.resumed_from ? ` (resumes merge ${report.resumed_from})` : ""),
  ];
  if (report.baseline) {
    lines.push(
      `baseline check on ${report.target}: ${report.baseline.passed ? "passed" : "failed"}`,
    );
  }
  for (const b of report.branches) {
    const by = b.resolved_by ? ` (task ${b.resolved_by})` : "";
    const files = b.conflicts ? `; conflicts: ${b.conflicts.join(", ")}` : "";
    const note = b.note ? `; ${b.note}` : "";
    lines.push(
      `- ${b.branch} (task ${b.task_id}): ${OUTCOME_WORDS[b.outcome]}${by}${files}${note}`,
    );
  }
  if (report.step) lines.push(`now: ${report.step}`);
  if (report.final_commit) {
    lines.push(
      `result ${report.final_commit.slice(0, 12)} (${report.diff_stat}); ` +
        (report.applied ? `"${report.target}" fast-forwarded to it` : report.apply_note ?? ""),
    );
  }
  return lines.join("\n");
}
