import assert from "node:assert/strict";
import type { WorktreeInfo } from "../../git/worktree.ts";
import { type MergeState, newMergeState } from "./merge_plan.ts";
import { mergeReport, reportText } from "./merge_report.ts";

const items = ["a", "b", "c"].map((taskId) => ({
  taskId,
  worktree: { branch: `codex-swarm/${taskId}` } as WorktreeInfo,
  prompt: "",
  finalMessage: null,
}));
const request = { target: "main", items, check: "npm test", resumeOf: "old" };
const ok = { passed: true, exitCode: 0, tail: "all good", durationMs: 5, timedOut: false };

function state(): MergeState {
  return {
    ...newMergeState(),
    integration: { repoRoot: "/r", path: "/w", branch: "codex-swarm-merge/m1" },
    baseline: ok,
    steps: [
      {
        taskId: "a",
        branch: "codex-swarm/a",
        outcome: "resolved",
        commit: "c1",
        resolverTaskId: "r1",
        conflicts: ["x.ts"],
        check: ok,
      },
      {
        taskId: "b",
        branch: "codex-swarm/b",
        outcome: "check_failed",
        commit: "c1",
        check: { ...ok, passed: false, exitCode: 1, tail: "F".repeat(5_000) },
      },
    ],
    good: "c1",
    current: { index: 2, taskId: "c", branch: "codex-swarm/c", doing: "checking" },
  };
}

Deno.test("mergeReport: each branch's outcome, the resolver, the failing check's tail", () => {
  const report = mergeReport("m1", request, state(), 20_000);
  assert.equal(report.integration_branch, "codex-swarm-merge/m1");
  assert.equal(report.resumed_from, "old");
  assert.deepEqual(report.branches.map((b) => b.outcome), ["resolved", "check_failed", "pending"]);
  assert.equal(report.branches[0]!.resolved_by, "r1");
  // A passing check's output is left out; a failing one's tail is kept, cut.
  assert.equal(report.branches[0]!.check?.tail, undefined);
  assert.equal(report.branches[1]!.check?.tail?.length, 601);
  assert.equal(report.step, "Checking codex-swarm/c (3 of 3)");
  assert.match(
    reportText(report),
    /codex-swarm\/a \(task a\): resolved by Codex \(task r1\); conflicts: x\.ts/,
  );
});

Deno.test("mergeReport: tails are cut until the report fits its budget", () => {
  const full = JSON.stringify(mergeReport("m1", request, state(), 100_000)).length;
  const small = mergeReport("m1", request, state(), full - 300);
  assert.ok(JSON.stringify(small).length <= full - 300);
  assert.equal(small.branches[1]!.check?.tail?.length, 201);
  const tiny = mergeReport("m1", request, state(), 10);
  assert.equal(tiny.branches[1]!.check?.tail, undefined);
  assert.equal(tiny.branches[1]!.check?.exit_code, 1);
});

Deno.test("mergeReport: the end: result, diff stat, why it was not applied", () => {
  const ended = {
    ...state(),
    current: null,
    end: {
      commit: "abcdef0123456789",
      diff: { files: 2, insertions: 3, deletions: 1 },
      applied: false,
      applyNote: "not applied (apply: false)",
      cleaned: [],
    },
  };
  const report = mergeReport("m1", request, ended, 20_000);
  assert.equal(report.diff_stat, "2 file(s), +3 -1");
  assert.equal(report.applied, false);
  assert.equal(report.cleaned, undefined);
  assert.match(reportText(report), /result abcdef012345 \(2 file\(s\), \+3 -1\); not applied/);
  assert.equal(
    reportText(report).split("\n")[0],
    '1 of 3 branch(es) landed on codex-swarm-merge/m1 from "main" (resumes merge old)',
  );
});
