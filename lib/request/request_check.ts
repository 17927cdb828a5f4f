/**
 * Checks a task request completely before anything is created for it (no task, worktree or
 * branch): the prompt, every string field, the `config` (values TOML can hold, keys allowed by the
 * policy), the sandbox against the policy's ceiling, and ids. Engine-independent: any engine calls
 * {@link checkTaskRequest} first thing in its `start`, and tools use {@link checkTaskId}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * import { Policy } from "../codex/policy.ts";
 * import { RequestError } from "../tasks/request_error.ts";
 *
 * checkTaskRequest({ prompt: "fix the tests", config: { model_reasoning_effort: "high" } }, new Policy());
 * assert.throws(() => checkTaskRequest({ prompt: "" }, new Policy()), RequestError); // prompt is empty
 * ```
 * @module
 */

import type { SandboxMode } from "../codex/codex_args.ts";
import { parseSandboxMode, type Policy, PolicyError } from "../codex/policy.ts";
import type { TaskRequest } from "../tasks/task.ts";
import { flattenConfig, type Json } from "../codex/config_overrides.ts";
import { RequestError } from "../tasks/request_error.ts";
import { THREAD_ID_PATTERN } from "../codex/codex_threads.ts";
import { isTaskId, TASK_ID_RULE } from "../base/task_id.ts";
import { messageOf } from "../base/errors.ts";

/** Codex's own limit on a prompt, in characters (UTF-16 code units, as Codex counts them). */
export const MAX_PROMPT_CHARS = 1_048_576;

/** A high surrogate with no low one after it, or a low one with no high one before it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first problem of a string that cannot reach Codex intact, or null. */
export function stringProblem(value: string): string | null {
  const nul = value.indexOf("\0");
  if (nul >= 0) return `it holds a NUL byte at index ${nul}`;
  const lone = LONE_SURROGATE.exec(value);
  return lone === null ? null : `it holds a lone UTF-16 surrogate at index ${lone.index}`;
}

function checkString(field: string, value: string | undefined, allowEmpty: boolean): void {
  if (value === undefined) return;
  if (!allowEmpty && value === "") {
    throw new RequestError(field, `Cannot use ${field} as it is empty`);
  }
  const problem = stringProblem(value);
  if (problem !== null) throw new RequestError(field, `Cannot use ${field} as ${problem}`);
}

/**
 * Checks a task id given by a caller (as `field`).
 * @throws {RequestError} When it is not a task id (`base/task_id.ts`: so `../x`, `/abs`, `-x`
 * and NUL bytes are refused).
 */
export function checkTaskId(id: string, field = "task_id"): void {
  if (!isTaskId(id)) {
    throw new RequestError(
      field,
      `Cannot use ${field} ${
        JSON.stringify(id.slice(0, 80))
      } as it is not a task id: expected ${TASK_ID_RULE}`,
    );
  }
}

/**
 * Checks a Codex thread id.
 * @throws {RequestError} When it is not a UUID (`--last`, `-`, `not-a-thread` are refused).
 */
export function checkThreadId(id: string, field = "threadId"): void {
  if (!THREAD_ID_PATTERN.test(id)) {
    throw new RequestError(
      field,
      `Cannot continue ${field} ${
        JSON.stringify(id.slice(0, 80))
      } as it is not a Codex thread id: expected a UUID from a previous codex result`,
    );
  }
}

/** The sandbox modes a call's `config` sets, with the key each came from. */
function configSandboxes(pairs: Array<[string, Json]>): Array<[string, SandboxMode]> {
  const found: Array<[string, SandboxMode]> = [];
  for (const [key, value] of pairs) {
    if (key === "sandbox_mode" || key.endsWith(".sandbox_mode")) {
      found.push([key, parseSandboxMode(JSON.stringify(value), `config.${key}`)]);
    }
  }
  return found;
}

/**
 * Checks a prompt given as `field` (e.g. `prompts[2]` of codex_fork).
 * @throws {RequestError} When it is blank, is over {@link MAX_PROMPT_CHARS}, or holds a NUL byte
 * or a lone surrogate.
 */
export function checkPrompt(prompt: string, field = "prompt"): void {
  if (prompt.trim() === "") {
    throw new RequestError(field, `Cannot start a task as ${field} is empty`);
  }
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw new RequestError(
      field,
      `Cannot start a task as ${field} has ${prompt.length} characters, over Codex's ` +
        `limit of ${MAX_PROMPT_CHARS}`,
    );
  }
  checkString(field, prompt, false);
}

/**
 * Checks everything a request asks for, before anything is created.
 *
 * @param request The request (as the tools build it).
 * @param policy The operator's (or the session's) policy.
 * @throws {RequestError} For an empty prompt, one over {@link MAX_PROMPT_CHARS}, a NUL byte or a
 * lone surrogate in any string field but `check` (see `check_command.ts`), an empty
 * `model`/`profile`/`cwd`/`base`, a `check` without `worktree: true`, a `base` starting with `-`,
 * a thread id that is not a UUID, or a `config` that cannot be written as TOML (a `null` leaf, a
 * lone surrogate, a non-finite number, a key that is not bare).
 * @throws {PolicyError} For a config key the policy does not allow, or a sandbox (the field or a
 * `sandbox_mode` config key) above the policy's ceiling.
 */
export function checkTaskRequest(request: TaskRequest, policy: Policy): void {
  checkPrompt(request.prompt);
  checkString("model", request.model, false);
  checkString("profile", request.profile, false);
  checkString("cwd", request.cwd, false);
  checkString("base", request.base, false);
  checkString("base-instructions", request.baseInstructions, true);
  checkString("developer-instructions", request.developerInstructions, true);
  checkString("compact-prompt", request.compactPrompt, true);
  // The check command itself is check_command.ts's.
  if (request.check !== undefined && request.worktree !== true) {
    throw new RequestError(
      "check",
      "Cannot run check without worktree: true: the check runs on the task's committed work " +
        "in its own worktree, where what it leaves behind is dropped",
    );
  }
  if (request.base !== undefined && request.base.startsWith("-")) {
    throw new RequestError("base", `Cannot use base "${request.base}" as it starts with "-"`);
  }
  if (request.threadId !== undefined) checkThreadId(request.threadId);
  let pairs: Array<[string, Json]> = [];
  if (request.config !== undefined) {
    try {
      pairs = flattenConfig(request.config);
    } catch (error) {
      throw new RequestError("config", `Cannot use config: ${messageOf(error)}`);
    }
  }
  // The sandbox first: "above the ceiling" says more than "key not allowed".
  policy.checkSandbox(request.sandbox, "sandbox");
  try {
    for (const [key, mode] of configSandboxes(pairs)) policy.checkSandbox(mode, `config.${key}`);
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    throw new RequestError("config", messageOf(error));
  }
  policy.checkConfigKeys(pairs.map(([key]) => key));
}
