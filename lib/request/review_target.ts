/**
 * What a review looks at: the `target` of `codex_review`, checked and turned into the
 * `ReviewTarget` of Codex's `review/start` before anything is created.
 *
 * - `{uncommitted: true}`: the staged, unstaged and untracked changes in `cwd`;
 * - `{base: "<branch>"}`: `cwd`'s HEAD against the merge base with that branch (or commit);
 * - `{commit: "<sha>"}`: what that commit introduced;
 * - `{task_id: "<id>"}`: a task's worktree against the commit its branch started from (the review
 *   runs in that worktree);
 * - `{instructions: "<text>"}`: Codex's custom review, the text as the reviewer's prompt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // `{base: "main"}` gives `{ type: "baseBranch", branch: "main" }` in a checkout that has main;
 * // custom instructions need no checkout.
 * const { review } = await prepareReview({ instructions: "Look for races" }, "/", () => undefined);
 * assert.deepEqual(review.target, { type: "custom", instructions: "Look for races" });
 * assert.throws(() => checkReviewTarget({ base: "main", commit: "abc" }), /target/);
 * ```
 * @module
 */

import { runGit } from "../git/git.ts";
import type { GitOptions } from "../git/git.ts";
import { resolveCommit } from "../git/repo_state.ts";
import type { ReviewTarget } from "../codex/protocol/generated/v2/ReviewTarget.ts";
import { checkTaskId, stringProblem } from "./request_check.ts";
import type { ReviewRequest, ReviewTargetSpec, TaskMeta } from "../tasks/task.ts";
import { RequestError } from "../tasks/request_error.ts";

/** The keys of a review target; exactly one is given. */
const REVIEW_TARGET_KEYS = ["uncommitted", "base", "commit", "task_id", "instructions"] as const;

/** A review target as codex_review's schema reads it (an object of known keys, each typed). */
export type ReviewTargetInput = {
  uncommitted?: true;
  base?: string;
  commit?: string;
  task_id?: string;
  instructions?: string;
};

/** The longest custom review instructions accepted (Codex's prompt limit). */
const MAX_INSTRUCTIONS = 1_048_576;

/**
 * Checks that `target` has exactly one key, and a usable value for it.
 * @throws {RequestError} Naming the field, e.g. `target` (none or two keys) or `target.base`.
 */
export function checkReviewTarget(target: ReviewTargetInput): ReviewTargetSpec {
  const keys = REVIEW_TARGET_KEYS.filter((k) => target[k] !== undefined);
  if (keys.length !== 1) {
    throw new RequestError(
      "target",
      `Cannot review as target has ${
        keys.length === 0 ? "no key" : `${keys.length} keys (${keys.join(", ")})`
      }: ` +
        `give exactly one of ${REVIEW_TARGET_KEYS.join(", ")}`,
    );
  }
  const key = keys[0]!;
  if (key === "uncommitted") return { uncommitted: true };
  const name = `target.${key}`;
  const value = target[key]!;
  if (value.trim() === "") throw new RequestError(name, `Cannot review as ${name} is empty`);
  const problem = stringProblem(value);
  if (problem !== null) throw new RequestError(name, `Cannot review as ${name}: ${problem}`);
  if (key === "instructions") {
    if (value.length > MAX_INSTRUCTIONS) {
      throw new RequestError(
        name,
        `Cannot review as ${name} has ${value.length} characters, over ${MAX_INSTRUCTIONS}`,
      );
    }
    return { instructions: value };
  }
  if (key === "task_id") {
    checkTaskId(value, name);
    return { task_id: value };
  }
  if (value.startsWith("-")) {
    throw new RequestError(name, `Cannot review as ${name} "${value}" starts with "-"`);
  }
  return key === "base" ? { base: value } : { commit: value };
}

/** A one-line description of a target, used as the review task's prompt. */
export function describeReviewTarget(spec: ReviewTargetSpec): string {
  if ("uncommitted" in spec) return "Review the uncommitted changes";
  if ("base" in spec) return `Review the changes against ${spec.base}`;
  if ("commit" in spec) return `Review commit ${spec.commit}`;
  if ("task_id" in spec) return `Review the work of task ${spec.task_id}`;
  return `Review: ${spec.instructions}`;
}

/** Git in `cwd`, with a time limit. */
const at = (cwd: string): GitOptions => ({ cwd, timeoutMs: 30_000 });

/** Refuses a `cwd` outside a git checkout; `what` is what needs one (`with target.base`). */
async function requireRepo(cwd: string, what: string): Promise<void> {
  const inside = await runGit(["rev-parse", "--is-inside-work-tree"], at(cwd));
  if (inside.code !== 0 || inside.stdout.trim() !== "true") {
    throw new RequestError(
      "cwd",
      `Cannot review ${what} as cwd "${cwd}" is not inside a git checkout`,
    );
  }
}

/** The commit `ref` names in `cwd`, or a RequestError naming `key`. */
async function requireCommit(cwd: string, key: string, ref: string): Promise<string> {
  const sha = await resolveCommit(at(cwd), ref);
  if (sha === null) {
    throw new RequestError(
      `target.${key}`,
      `Cannot review as target.${key} "${ref}" names no ${
        key === "base" ? "branch or commit" : "commit"
      } ` +
        `in the repository of ${cwd}`,
    );
  }
  return sha;
}

/**
 * Checks a target (checked by {@link checkReviewTarget}) against the repository and the known
 * tasks, and gives the review request and the directory the review runs in (a task's worktree for
 * `task_id`, else `cwd`).
 *
 * @param spec The caller's target.
 * @param cwd The task's resolved working directory.
 * @param taskOf Looks up a known task.
 * @param branch A branch to review in a checkout of its own (see {@link ReviewRequest.branch}).
 * @throws {RequestError} For a bad target, a `cwd` outside a git checkout (every target but
 * `instructions`), an unknown base or commit, an unknown task or one without a worktree, an
 * unknown branch or one given with `uncommitted` or `task_id`.
 */
export async function prepareReview(
  spec: ReviewTargetSpec,
  cwd: string,
  taskOf: (id: string) => TaskMeta | undefined,
  branch?: string,
): Promise<{ review: ReviewRequest & { target: ReviewTarget }; cwd: string }> {
  if (branch !== undefined) await checkBranch(branch, spec, cwd);
  const prepared = await prepareTarget(spec, cwd, taskOf);
  return branch === undefined ? prepared : { ...prepared, review: { ...prepared.review, branch } };
}

/** Refuses a branch to check out that git does not know, or one a target cannot go with. */
async function checkBranch(branch: string, spec: ReviewTargetSpec, cwd: string): Promise<void> {
  const problem = branch.trim() === ""
    ? "is empty"
    : branch.startsWith("-")
    ? `"${branch}" starts with "-"`
    : stringProblem(branch);
  if (problem !== null) throw new RequestError("branch", `Cannot review as branch ${problem}`);
  if ("uncommitted" in spec || "task_id" in spec) {
    const key = "uncommitted" in spec ? "uncommitted" : "task_id";
    throw new RequestError(
      "branch",
      `Cannot review branch "${branch}" with target.${key}: a fresh checkout of a branch has no ` +
        `${key === "uncommitted" ? "uncommitted changes" : "task"}; use target {base} or {commit}`,
    );
  }
  await requireRepo(cwd, `branch "${branch}"`);
  if ((await resolveCommit(at(cwd), branch)) === null) {
    throw new RequestError(
      "branch",
      `Cannot review branch "${branch}" as it names no branch or commit in the repository of ${cwd}`,
    );
  }
}

async function prepareTarget(
  spec: ReviewTargetSpec,
  cwd: string,
  taskOf: (id: string) => TaskMeta | undefined,
): Promise<{ review: ReviewRequest & { target: ReviewTarget }; cwd: string }> {
  if ("instructions" in spec) {
    return { review: { spec, target: { type: "custom", instructions: spec.instructions } }, cwd };
  }
  if ("task_id" in spec) {
    const task = taskOf(spec.task_id);
    if (!task) {
      throw new RequestError(
        "target.task_id",
        `Cannot review task "${spec.task_id}" as no such task is known`,
      );
    }
    if (!task.worktree) {
      throw new RequestError(
        "target.task_id",
        `Cannot review task "${spec.task_id}" as it has no worktree (it ran in ${task.cwd}): ` +
          "review its changes there with target {uncommitted: true} or {base}",
      );
    }
    const there = await Deno.stat(task.worktree.cwd).then((i) => i.isDirectory, () => false);
    if (!there) {
      throw new RequestError(
        "target.task_id",
        `Cannot review task "${spec.task_id}" as its worktree ${task.worktree.path} no longer exists`,
      );
    }
    return {
      review: { spec, target: { type: "baseBranch", branch: task.worktree.baseCommit } },
      cwd: task.worktree.cwd,
    };
  }
  const key = "uncommitted" in spec ? "uncommitted" : "base" in spec ? "base" : "commit";
  await requireRepo(cwd, `with target.${key}`);
  if ("uncommitted" in spec) {
    return { review: { spec, target: { type: "uncommittedChanges" } }, cwd };
  }
  if ("base" in spec) {
    await requireCommit(cwd, "base", spec.base);
    return { review: { spec, target: { type: "baseBranch", branch: spec.base } }, cwd };
  }
  const sha = await requireCommit(cwd, "commit", spec.commit);
  const title = (await runGit(["log", "-1", "--format=%s", sha], at(cwd))).stdout.trim();
  return { review: { spec, target: { type: "commit", sha, title: title || null } }, cwd };
}
