import assert from "node:assert/strict";
import { taskMeta } from "../../tests/support/task_meta.ts";
import { git, makeRepo } from "../../tests/support/repo.ts";
import {
  checkReviewTarget,
  describeReviewTarget,
  prepareReview,
  type ReviewTargetInput,
} from "./review_target.ts";
import { RequestError } from "../tasks/request_error.ts";

function refused(target: ReviewTargetInput, field: string, words: RegExp) {
  assert.throws(() => checkReviewTarget(target), (error: unknown) => {
    assert.ok(error instanceof RequestError);
    assert.equal(error.field, field);
    assert.match(error.message, words);
    return true;
  });
}

Deno.test("review target: exactly one key, with a usable value", () => {
  assert.deepEqual(checkReviewTarget({ base: "main" }), { base: "main" });
  assert.deepEqual(checkReviewTarget({ uncommitted: true, base: undefined }), {
    uncommitted: true,
  });
  refused({}, "target", /no key/);
  refused({ base: "a", commit: "b" }, "target", /2 keys \(base, commit\)/);
  refused({ base: " " }, "target.base", /empty/);
  refused({ commit: "-x" }, "target.commit", /starts with "-"/);
  refused({ task_id: "a/b" }, "target.task_id", /not a task id/);
  refused({ instructions: "\ud800" }, "target.instructions", /surrogate/);
});

Deno.test("review target: a one-line description for the task's prompt", () => {
  assert.equal(describeReviewTarget({ base: "main" }), "Review the changes against main");
  assert.equal(describeReviewTarget({ task_id: "abc" }), "Review the work of task abc");
  assert.equal(describeReviewTarget({ uncommitted: true }), "Review the uncommitted changes");
});

Deno.test("review target: resolved against the repository and the tasks", async () => {
  const repo = await makeRepo();
  try {
    const none = () => undefined;
    const head = await git(repo, "rev-parse", "HEAD");
    const commit = await prepareReview({ commit: "HEAD" }, repo, none);
    assert.deepEqual(commit.review.target, { type: "commit", sha: head, title: "initial" });
    assert.deepEqual((await prepareReview({ base: "main" }, repo, none)).review.target, {
      type: "baseBranch",
      branch: "main",
    });
    const custom = await prepareReview({ instructions: "look" }, "/", none);
    assert.deepEqual(custom.review.target, { type: "custom", instructions: "look" });
    await assert.rejects(prepareReview({ base: "nope" }, repo, none), /target\.base "nope"/);
    await assert.rejects(prepareReview({ uncommitted: true }, "/", none), /not inside a git/);
    // A task's worktree: its directory, against the commit its branch started from.
    const worktree = {
      repoRoot: repo,
      path: repo,
      branch: "codex-swarm/t1",
      baseRef: "main",
      baseCommit: head,
      cwd: `${repo}/sub`,
    };
    const tasks = (id: string) =>
      id === "t1"
        ? taskMeta("t1", { worktree })
        : id === "t2"
        ? taskMeta("t2", { cwd: repo })
        : undefined;
    const task = await prepareReview({ task_id: "t1" }, "/", tasks);
    assert.equal(task.cwd, `${repo}/sub`);
    assert.deepEqual(task.review.target, { type: "baseBranch", branch: head });
    await assert.rejects(prepareReview({ task_id: "t2" }, "/", tasks), /no worktree/);
    await assert.rejects(prepareReview({ task_id: "t3" }, "/", tasks), /no such task/);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});
