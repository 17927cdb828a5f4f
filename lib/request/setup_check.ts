/**
 * The checks of a task's worktree set-up (`setup`, `copy_ignored`; see lib/git/worktree_setup.ts
 * for what they do), and the set-up a task gets: the call's command, else the session's
 * `--worktree-setup`, and only for a new worktree.
 *
 * @example
 * ```ts
 * import { planSetup } from "./setup_check.ts";
 *
 * const plan = planSetup({ copyIgnored: [".env"] }, "npm ci", "new");
 * if (plan.setup !== "npm ci") throw new Error("the session's set-up is lost");
 * ```
 * @module
 */

import { isAbsolute } from "node:path";
import { normalizePattern, type SetupPlan } from "../git/worktree_setup.ts";
import { RequestError } from "../tasks/request_error.ts";
import { stringProblem } from "./request_check.ts";

/** Where a task runs: a worktree made for it, its thread's worktree, or no worktree. */
export type WorktreeKind = "new" | "inherited" | "none";

/**
 * Checks `copy_ignored` globs.
 * @throws {RequestError} Naming `copy_ignored[i]`: empty, absolute, with a `..` segment, a NUL
 * byte or a lone surrogate.
 */
export function checkCopyPatterns(patterns: string[]): void {
  patterns.forEach((pattern, i) => {
    const field = `copy_ignored[${i}]`;
    const what = `Cannot copy ${field} ${JSON.stringify(pattern)}`;
    if (normalizePattern(pattern) === "") {
      throw new RequestError(field, `${what} as it is not a glob (a non-empty string)`);
    }
    const problem = stringProblem(pattern);
    if (problem !== null) throw new RequestError(field, `${what} as ${problem}`);
    if (isAbsolute(pattern) || /^[A-Za-z]:/.test(pattern) || pattern.startsWith("\\")) {
      throw new RequestError(
        field,
        `${what} as it is absolute: globs are relative to the repository root`,
      );
    }
    if (pattern.split(/[\\/]/).includes("..")) {
      throw new RequestError(
        field,
        `${what} as it has a ".." segment: only files inside the repository are copied`,
      );
    }
  });
}

/**
 * The set-up a task gets, checked before anything is created for it.
 *
 * @param request The call's `setup` and `copyIgnored`.
 * @param sessionDefault The session's `--worktree-setup`, if any.
 * @param kind Whether the task gets a new worktree.
 * @returns The set-up to store in the task's request: the call's command, else the session's
 * (none for `""`), and the globs; empty for a task without a new worktree.
 * @throws {RequestError} For a bad glob or command, or `setup`/`copy_ignored` on a task that gets
 * no new worktree.
 */
export function planSetup(
  request: SetupPlan,
  sessionDefault: string | undefined,
  kind: WorktreeKind,
): SetupPlan {
  const problem = request.setup === undefined ? null : stringProblem(request.setup);
  if (problem !== null) throw new RequestError("setup", `Cannot use setup as ${problem}`);
  if (request.copyIgnored !== undefined) checkCopyPatterns(request.copyIgnored);
  if (kind !== "new") {
    const why = kind === "inherited"
      ? "this reply continues in the worktree of its thread, which was set up when it was made"
      : "the task has no worktree: pass worktree: true";
    if (request.setup !== undefined && request.setup.trim() !== "") {
      throw new RequestError(
        "setup",
        `Cannot run setup as it runs only in a new worktree and ${why}`,
      );
    }
    if (request.copyIgnored !== undefined && request.copyIgnored.length > 0) {
      throw new RequestError(
        "copy_ignored",
        `Cannot use copy_ignored as it copies only into a new worktree and ${why}`,
      );
    }
    return {};
  }
  const setup = request.setup ?? sessionDefault;
  const plan: SetupPlan = {};
  if (setup !== undefined && setup.trim() !== "") plan.setup = setup;
  if (request.copyIgnored !== undefined && request.copyIgnored.length > 0) {
    plan.copyIgnored = request.copyIgnored;
  }
  return plan;
}
