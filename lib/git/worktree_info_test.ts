import assert from "node:assert/strict";
import { branchName, checkInfo, isWorktreeInfo } from "./worktree_info.ts";

const INFO = {
  repoRoot: "/src/project",
  path: "/wt/project-12345678/t-1",
  branch: "codex-swarm/t-1",
  baseRef: "main",
  baseCommit: "a".repeat(40),
  cwd: "/wt/project-12345678/t-1",
};

Deno.test("branchName and isWorktreeInfo agree on codex-swarm/<taskId>", () => {
  assert.equal(branchName("t-1"), INFO.branch);
  assert.equal(isWorktreeInfo(INFO), true);
  assert.equal(isWorktreeInfo({ ...INFO, branch: "main" }), false);
  assert.equal(isWorktreeInfo({ ...INFO, repoRoot: "relative" }), false);
  assert.equal(isWorktreeInfo({ ...INFO, cwd: 1 }), false);
});

Deno.test("checkInfo returns the task id or throws a TypeError naming the fields", () => {
  assert.equal(checkInfo(INFO), "t-1");
  assert.throws(
    () => checkInfo({ ...INFO, branch: "main" }),
    (error: unknown) =>
      error instanceof TypeError &&
      /lacks string fields repoRoot, path, branch/.test(error.message),
  );
});
