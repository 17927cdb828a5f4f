/**
 * The one place that builds the argv of `codex exec`, for a new thread or a resumed one.
 *
 * Facts this relies on, checked against codex-cli 0.169.0 (see `codex_args_test.ts`):
 * - `--` ends the options, so a prompt starting with `-` stays the prompt, for `exec` and for
 *   `exec resume` alike; after `resume`, `--` may come before the thread id too.
 * - A value flag written `-m -x` fails ("unexpected argument"), but `--model=-x` works: every value
 *   flag here is written `--name=value`.
 * - `--model`, `--profile`, `--sandbox`, `--cd`, `--config`, `--skip-git-repo-check` and
 *   `--ephemeral` go before `resume` and take effect there (`exec resume` itself rejects `-s`).
 * - Among `-c` entries the later one wins; `--model` beats `-c model=...` and `--sandbox` beats
 *   `-c sandbox_mode=...` whatever the order. The Codex config key for base instructions is
 *   `instructions` (`base_instructions` is not a config key and is silently ignored).
 * - `codex exec` runs with approval policy "never" whatever `approval_policy` says, and exits 1 on
 *   `approval_policy="untrusted"` ("no longer supported").
 * - A prompt of exactly `-` makes Codex read the prompt from stdin, for `exec` and `exec resume`
 *   alike; a 1,000,000-character prompt arrives whole that way, where on argv it fails with E2BIG
 *   past 128 KiB. With `promptOnStdin` the argv holds `-` and the caller feeds the prompt on stdin.
 *
 * @example
 * ```ts
 * import { buildExecArgs } from "./codex_args.ts";
 *
 * buildExecArgs(
 *   { prompt: "-x marks the spot", model: "o3", resumeThreadId: "0199..." },
 *   { overrides: [{ key: "model_reasoning_effort", value: '"high"' }], skipGitRepoCheck: true, ephemeral: false },
 * );
 * // ["exec", "--json", "--skip-git-repo-check", "--model=o3",
 * //  '--config=model_reasoning_effort="high"', "resume", "--", "0199...", "-x marks the spot"]
 * ```
 * @module
 */

import { encodeTomlValue, flattenOverrides, type Override } from "./toml_value.ts";

/** Codex's approval policies (`codex exec` itself always runs as "never"). */
export type ApprovalPolicy = "untrusted" | "on-failure" | "on-request" | "never";

/** Codex's sandbox modes. */
export type SandboxMode = "read-only" | "workspace-write" | "danger-full-access";

/** What one call asks for. */
export interface RunOptions {
  /** The prompt; anything but exactly `-` (which Codex reads as "take the prompt from stdin"). */
  prompt: string;
  /** Model name, as `--model`. */
  model?: string;
  /** Profile name, as `--profile` (Codex layers `$CODEX_HOME/<name>.config.toml`). */
  profile?: string;
  /** Working root, already absolute, as `--cd`. */
  cwd?: string;
  /** As `-c approval_policy=...`. */
  approvalPolicy?: ApprovalPolicy;
  /** As `--sandbox`. */
  sandbox?: SandboxMode;
  /** Config overrides, flattened to dotted `-c` keys. */
  config?: Record<string, unknown>;
  /** Replaces Codex's built-in instructions, as `-c instructions=...`. */
  baseInstructions?: string;
  /** As `-c developer_instructions=...`. */
  developerInstructions?: string;
  /** As `-c compact_prompt=...`. */
  compactPrompt?: string;
  /** Run `resume <id>` instead of starting a new thread. */
  resumeThreadId?: string;
}

/** What the server adds to every call. */
export interface ServerDefaults {
  /** The server's own `-c` entries, in order; a per-call setting of the same key wins. */
  overrides: Override[];
  /** Pass `--skip-git-repo-check`. */
  skipGitRepoCheck: boolean;
  /** Pass `--ephemeral`. */
  ephemeral: boolean;
}

/** How the prompt reaches Codex. */
export interface PromptDelivery {
  /** Put `-` on argv: the caller writes the prompt to Codex's stdin (no argv size limit). */
  promptOnStdin?: boolean;
}

/** Whether setting `later` replaces whatever `earlier` set: the same key, or a key under it. */
function replaces(later: string, earlier: string): boolean {
  return earlier === later || earlier.startsWith(`${later}.`);
}

function nonEmpty(name: string, value: string | undefined): string | undefined {
  if (value === "") {
    throw new Error(`Cannot build codex exec arguments: ${name} is empty`);
  }
  return value;
}

/**
 * Builds `codex exec` arguments: `["exec", "--json", ...flags, ...config, "--", prompt]`, or for a
 * resume `["exec", "--json", ...flags, ...config, "resume", "--", id, prompt]`.
 *
 * Config entries come in this order: server defaults, then the call's `config` (flattened), then
 * the call's typed fields (`approvalPolicy`, `baseInstructions`, `developerInstructions`,
 * `compactPrompt`). An entry is dropped when a later one sets the same key or a key above it (a
 * server `a.b` goes when the call sets `a.b` or `a`), so the winner does not depend on how Codex
 * orders `-c` entries. A later entry for a key *under* an earlier one (call `a.b` after server
 * `a = {...}`) keeps both and relies on Codex applying `-c` entries in order, which it does.
 *
 * @param run The call's options.
 * @param defaults The server's defaults.
 * @param delivery With `promptOnStdin`, `-` stands for the prompt (any prompt, `-` included).
 * @returns The argv, without the program name.
 * @throws {Error} When the prompt is exactly `-` on argv, when `model`, `profile`, `cwd` or
 * `resumeThreadId` is empty, or when a `config` value cannot be encoded as TOML.
 */
export function buildExecArgs(
  run: RunOptions,
  defaults: ServerDefaults,
  delivery: PromptDelivery = {},
): string[] {
  if (run.prompt === "-" && !delivery.promptOnStdin) {
    throw new Error(
      `Cannot build codex exec arguments: a prompt of exactly "-" makes codex read stdin`,
    );
  }
  const model = nonEmpty("model", run.model);
  const profile = nonEmpty("profile", run.profile);
  const cwd = nonEmpty("cwd", run.cwd);
  const threadId = nonEmpty("resumeThreadId", run.resumeThreadId);

  const perCall: Override[] = flattenOverrides(run.config ?? {}).map(([key, value]) => ({
    key,
    value,
  }));
  const typed: Array<[string, string | undefined]> = [
    ["approval_policy", run.approvalPolicy],
    ["instructions", run.baseInstructions],
    ["developer_instructions", run.developerInstructions],
    ["compact_prompt", run.compactPrompt],
  ];
  for (const [key, value] of typed) {
    if (value !== undefined) perCall.push({ key, value: encodeTomlValue(value, key) });
  }
  const all = [...defaults.overrides, ...perCall];
  const kept = all.filter((o, i) => !all.slice(i + 1).some((later) => replaces(later.key, o.key)));

  const args = ["exec", "--json"];
  if (defaults.skipGitRepoCheck) args.push("--skip-git-repo-check");
  if (defaults.ephemeral) args.push("--ephemeral");
  if (model !== undefined) args.push(`--model=${model}`);
  if (profile !== undefined) args.push(`--profile=${profile}`);
  if (run.sandbox !== undefined) args.push(`--sandbox=${run.sandbox}`);
  if (cwd !== undefined) args.push(`--cd=${cwd}`);
  for (const o of kept) args.push(`--config=${o.key}=${o.value}`);
  const prompt = delivery.promptOnStdin ? "-" : run.prompt;
  if (threadId !== undefined) args.push("resume", "--", threadId, prompt);
  else args.push("--", prompt);
  return args;
}
