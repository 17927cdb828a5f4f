/**
 * The zod fields shared by the tools that start Codex (`codex`, `codex-reply`, `codex_async`), with
 * the same names as the last official `codex mcp-server`, and their mapping to a task request.
 *
 * @module
 */

import { z } from "zod";
import type { TaskRequest } from "../../tasks/task.ts";

/**
 * The annotations of the tools that run Codex (`codex`, `codex_reply`, `codex_async`,
 * `codex_fork`, `codex_merge`): Codex may change files and reach the network, and each call is a
 * new turn.
 */
export const RUNS_CODEX_ANNOTATIONS = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
} as const;

/** Parameters that shape one Codex run. */
export const runFields = {
  model: z.string().min(1).optional().describe(
    'Model name to use, e.g. "gpt-5.2-codex" (passed as `codex exec -m`).',
  ),
  profile: z.string().min(1).optional().describe(
    "Configuration profile from the Codex config to layer on top (`-p`).",
  ),
  cwd: z.string().min(1).optional().describe(
    "Working directory of the session; must exist. Relative paths resolve against the server's " +
      "working directory. Defaults to it.",
  ),
  "approval-policy": z.enum(["untrusted", "on-failure", "on-request", "never"]).optional()
    .describe("Approval policy for shell commands the model wants to run."),
  sandbox: z.enum(["read-only", "workspace-write", "danger-full-access"]).optional().describe(
    "Sandbox mode for shell commands (`-s`).",
  ),
  config: z.record(z.string(), z.unknown()).optional().describe(
    "Individual config settings that override the Codex config, e.g. " +
      '{"model_reasoning_effort": "high", "sandbox_workspace_write": {"network_access": true}}. ' +
      "Nested objects become dotted keys; each is passed as `-c key=<TOML value>`.",
  ),
  "base-instructions": z.string().optional().describe(
    "The set of instructions to use instead of the default ones.",
  ),
  "developer-instructions": z.string().optional().describe(
    "Developer instructions, injected as a developer role message.",
  ),
  output_schema: z.record(z.string(), z.unknown()).optional().describe(
    "A JSON Schema (an object at the root, strict: every object lists all its properties in " +
      '"required" and sets "additionalProperties": false) the final message must follow; the ' +
      "parsed value comes back as `result`.",
  ),
  "compact-prompt": z.string().optional().describe(
    "Prompt used when compacting the conversation.",
  ),
  images: z.array(z.string().min(1)).max(16).optional().describe(
    "Local image files (PNG, JPEG, GIF or WebP) attached to the prompt. Relative paths resolve " +
      "against cwd.",
  ),
  add_dirs: z.array(z.string().min(1)).max(16).optional().describe(
    "More directories the task may write to, beside its cwd (as `codex exec --add-dir`): " +
      "existing directories, relative to cwd, inside the server's --allow-root. Needs a " +
      "workspace-write sandbox.",
  ),
};

/** Parameters of the engine beyond one Codex run. */
export const engineFields = {
  worktree: z.boolean().optional().describe(
    "Run in a git worktree of its own on branch codex-swarm/<task id>, created from the " +
      "repository's HEAD (or `base`), so parallel tasks never touch each other's files. Replies " +
      "to the thread inherit the worktree. The task's changes are committed on its branch when " +
      "it ends.",
  ),
  base: z.string().min(1).optional().describe(
    "With worktree: the git ref the branch starts from (default HEAD).",
  ),
  commit: z.boolean().optional().describe(
    "With worktree: commit what the task changed on its branch when it ends (default true).",
  ),
  setup: z.string().optional().describe(
    "With worktree: a shell command run in the new worktree before Codex starts (e.g. " +
      '"npm ci"), in the task\'s sandbox and time limit; if it fails, the task ends failed with ' +
      'its output. Replaces the server\'s --worktree-setup; "" runs none.',
  ),
  copy_ignored: z.array(z.string().min(1)).max(64).optional().describe(
    'With worktree: globs (relative to the repository root, e.g. ".env", "node_modules", ' +
      '"config/*.local.json") of git-ignored files of the main checkout to copy into the new ' +
      "worktree before the set-up. A directory copies everything under it.",
  ),
  check: z.string().optional().describe(
    'With worktree: a shell command, e.g. "npm test", run in the worktree when the turn ' +
      "completed, on the committed work, inside the task's sandbox and time limit. Its exit " +
      "code and output tail come back as `check`; a failing check does not fail the task " +
      "(with attempts it ranks them). What it leaves in the worktree is dropped, never committed.",
  ),
  worker: z.string().min(1).optional().describe(
    'With worktree: run on this worker (its name in server-info\'s workers, e.g. "local" or ' +
      '"gpu-box"). Default: the worker with the most free slots. A reply runs where its thread ' +
      "ran. See docs/workers.md.",
  ),
  timeout_s: z.number().int().min(0).max(7 * 24 * 3600).optional().describe(
    "Time limit in seconds; past it the task is stopped and ends timed_out. 0 means none. " +
      "Defaults to the server's --task-timeout.",
  ),
};

type RunArgs = z.infer<z.ZodObject<typeof runFields & typeof engineFields>> & {
  prompt: string;
  threadId?: string;
};

/** Maps tool arguments to a task request, dropping what was not given. */
export function toTaskRequest(args: RunArgs): TaskRequest {
  const request: TaskRequest = {
    prompt: args.prompt,
    model: args.model,
    profile: args.profile,
    cwd: args.cwd,
    approvalPolicy: args["approval-policy"],
    sandbox: args.sandbox,
    config: args.config,
    baseInstructions: args["base-instructions"],
    developerInstructions: args["developer-instructions"],
    compactPrompt: args["compact-prompt"],
    outputSchema: args.output_schema,
    images: args.images,
    addDirs: args.add_dirs,
    setup: args.setup,
    copyIgnored: args.copy_ignored,
    threadId: args.threadId,
    worktree: args.worktree,
    base: args.base,
    commit: args.commit,
    check: args.check,
    timeoutS: args.timeout_s,
    worker: args.worker,
  };
  return Object.fromEntries(
    Object.entries(request).filter(([, v]) => v !== undefined),
  ) as TaskRequest;
}
