/**
 * The server's command line: flags, their environment-variable fallbacks and defaults.
 *
 * Each setting is taken from its flag, else its environment variable (an empty variable counts as
 * unset), else the default. Relative paths are resolved against the current directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const result = parseCli(["-c", 'model="o3"', "--max-parallel", "4"], Deno.env.toObject());
 * assert.ok(result.kind === "run");
 * assert.equal(result.config.maxParallel, 4);
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import path from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import type { ServerDefaults } from "../codex/codex_args.ts";
import { LOG_LEVELS } from "../base/log.ts";
import { DEFAULT_ALLOWED_CONFIG_KEYS, parseSandboxMode, Policy } from "../codex/policy.ts";
import { parseOverride } from "../codex/override_entry.ts";
import {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_IDLE_EXIT_S,
  DEFAULT_MAX_PARALLEL,
  DEFAULT_MAX_RESULT_CHARS,
  DEFAULT_TASK_MAX_AGE_S,
  DEFAULT_TASK_TIMEOUT_S,
  MAX_AGE_S,
  MAX_TIMER_S,
  MIN_MAX_RESULT_CHARS,
  type ServerConfig,
} from "../mcp/server_config.ts";

import { parseNameValue, parseWorkerUrl, type WorkerFlags } from "../workers/worker_config.ts";
import { realPathOr } from "../base/real_path.ts";

export type { ServerConfig };

/** The server's version, from `deno.json`. */
export const VERSION: string = denoJson.version;

/** What {@link parseCli} found: print help, print the version, or run. */
export type CliResult =
  | { kind: "help"; text: string }
  | { kind: "version"; text: string }
  | { kind: "run"; config: ServerConfig };

/** The platform facts {@link parseCli} needs; the defaults describe the running process. */
export interface Platform {
  /** The operating system, as `Deno.build.os`. */
  os: typeof Deno.build.os;
  /** The directory relative paths are resolved against. */
  cwd: string;
}

const OPTIONS = {
  config: { type: "string", short: "c", multiple: true },
  "skip-git-repo-check": { type: "boolean" },
  ephemeral: { type: "boolean" },
  "worktree-setup": { type: "string" },
  "codex-bin": { type: "string" },
  "max-parallel": { type: "string" },
  "task-timeout": { type: "string" },
  "task-dir": { type: "string" },
  "worktree-dir": { type: "string" },
  "task-max-age": { type: "string" },
  "idle-exit": { type: "string" },
  approvals: { type: "string" },
  "log-file": { type: "string" },
  "log-level": { type: "string" },
  "max-result-chars": { type: "string" },
  "reply-alias": { type: "boolean" },
  "allow-config": { type: "string", multiple: true },
  "max-sandbox": { type: "string" },
  "allow-root": { type: "string", multiple: true },
  "pass-env": { type: "string", multiple: true },
  worker: { type: "string", multiple: true },
  "worker-token-file": { type: "string", multiple: true },
  "no-local": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/** The text of `--help`. */
export function helpText(): string {
  return `codex-swarm ${VERSION}: an MCP server (stdio) that runs OpenAI Codex CLI tasks

Usage: codex-swarm [OPTIONS]             the stdio MCP server (a front-end of the supervisor)
       codex-swarm supervisor [OPTIONS]  run the supervisor in the foreground
       codex-swarm top [--once | --json] [OPTIONS]   watch and steer the tasks (top --help)

Every codex-swarm relays its client to the one supervisor of its task directory, starting it
when none runs. Tasks take -c, --skip-git-repo-check, --ephemeral, --task-timeout,
--worktree-setup, the working directory and the environment from the client's codex-swarm; the
other settings are the supervisor's, from the codex-swarm that started it.

Options (each falls back to its environment variable, then to its default):
  -c, --config <key=value>   Codex config override for every task, as for \`codex -c\`
                             (repeatable; a task's own setting of the same key wins)
      --skip-git-repo-check  Pass --skip-git-repo-check to codex (allow non-Git directories)
      --ephemeral            Pass --ephemeral to codex (no session files: threads cannot resume)
      --worktree-setup <CMD> Shell command run in each new worktree before Codex starts (e.g.
                             "npm ci"), in the task's sandbox; a call's setup replaces it
                             [env CODEX_SWARM_WORKTREE_SETUP; default: none]
      --codex-bin <PATH>     Codex executable           [env CODEX_SWARM_CODEX_BIN; default: codex]
      --max-parallel <N>     Codex processes at once, >= 1
                             [env CODEX_SWARM_MAX_PARALLEL; default: ${DEFAULT_MAX_PARALLEL}]
      --task-timeout <S>     Seconds before a task is stopped, 0 = no limit
                             [env CODEX_SWARM_TASK_TIMEOUT; default: ${DEFAULT_TASK_TIMEOUT_S}]
      --task-dir <DIR>       Where task records are kept
                             [env CODEX_SWARM_TASK_DIR; default: $XDG_STATE_HOME/codex-swarm/tasks,
                             else ~/.local/state/codex-swarm/tasks;
                             Windows: %LOCALAPPDATA%\\codex-swarm\\tasks]
      --worktree-dir <DIR>   Where Git worktrees are made
                             [env CODEX_SWARM_WORKTREE_DIR; default: codex-swarm/worktrees
                             beside the default task directory]
      --task-max-age <S>     Seconds before finished task records are deleted, >= 1
                             [env CODEX_SWARM_TASK_MAX_AGE; default: ${DEFAULT_TASK_MAX_AGE_S}]
      --idle-exit <S>        Seconds the supervisor stays up with no client and no unfinished
                             task, >= 1 [env CODEX_SWARM_IDLE_EXIT; default: ${DEFAULT_IDLE_EXIT_S}]
      --approvals <WHO>      Who answers Codex's approval requests: client (elicitation,
                             codex_approve, top) or human (elicitation and top only)
                             [env CODEX_SWARM_APPROVALS; default: client]
      --log-file <PATH>      Also write the log to this file ("none": stderr only)
                             [env CODEX_SWARM_LOG; default: server.log beside the task dir]
      --log-level <LEVEL>    debug, info, warning or error
                             [env CODEX_SWARM_LOG_LEVEL; default: info]
      --max-result-chars <N> Longest tool result in characters, >= ${MIN_MAX_RESULT_CHARS}; longer
                             messages and diffs are cut and read on with \`offset\`
                             [env CODEX_SWARM_MAX_RESULT_CHARS; default: ${DEFAULT_MAX_RESULT_CHARS}]
      --reply-alias          Also offer codex_reply, the old alias of codex-reply

Policy (what a caller may make Codex do; see docs/security.md):
      --allow-config <KEY>   Let calls set this config key and those below it (repeatable; "*":
                             any key). By default only keys that shape the model's work:
                             ${DEFAULT_ALLOWED_CONFIG_KEYS.join(", ")}
      --max-sandbox <MODE>   Highest sandbox a call may ask for: read-only, workspace-write or
                             danger-full-access [default: the server's own -c sandbox_mode, if any]
      --allow-root <DIR>     Confine cwd, worktree repositories and extra directories to DIR
                             (repeatable) [default: anywhere]
      --pass-env <NAME>      Pass this client variable to Codex although it looks like a secret
                             (repeatable)
Workers (other machines that run tasks' commands; see docs/workers.md):
      --worker <NAME=URL>    A worker: ssh://[user@]host[:port] (codex-swarm starts
                             \`codex exec-server\` there) or ws://127.0.0.1:PORT (a tunnel you run
                             to one); repeatable, beside [[workers]] of the settings file
      --worker-token-file <NAME=PATH>
                             The capability token's file of a ws:// worker
      --no-local             Run no task on this machine (only on workers)
  -h, --help                 Print this help
  -V, --version              Print the version

--task-timeout is at most ${MAX_TIMER_S} seconds (about 24 days).
An empty environment variable counts as unset; relative paths are resolved.
`;
}

/**
 * Takes a flag's value, else a non-empty environment variable's (`CODEX_SWARM_` and the flag in
 * capitals unless named); says which it came from.
 */
function pick(
  { values, env }: Pick<Given, "values" | "env">,
  flag: string,
  envName = `CODEX_SWARM_${flag.toUpperCase().replaceAll("-", "_")}`,
): Picked | undefined {
  const flagValue = (values as Record<string, unknown>)[flag];
  if (typeof flagValue === "string") return { value: flagValue, from: `--${flag}` };
  const envValue = env[envName];
  if (envValue !== undefined && envValue !== "") return { value: envValue, from: envName };
  return undefined;
}

function parsePath({ paths, cwd }: Given, picked: Picked | undefined): string | undefined {
  if (picked === undefined) return undefined;
  if (picked.value.trim() === "") throw new Error(`Cannot use ${picked.from}: the path is empty`);
  return paths.resolve(cwd, picked.value);
}

/** The default `codex-swarm` state directory, holding `tasks` and `worktrees`. */
function defaultStateDir({ env, os, paths }: Given): string {
  const set = (name: string) => {
    const v = env[name];
    return v !== undefined && v !== "" && paths.isAbsolute(v) ? v : undefined;
  };
  if (os === "windows") {
    const local = set("LOCALAPPDATA");
    if (local !== undefined) return paths.join(local, "codex-swarm");
    const profile = set("USERPROFILE");
    if (profile !== undefined) return paths.join(profile, "AppData", "Local", "codex-swarm");
    throw new Error(
      "Cannot choose a task directory: set --task-dir and --worktree-dir, or LOCALAPPDATA",
    );
  }
  // XDG: a relative XDG_STATE_HOME is invalid and ignored.
  const state = set("XDG_STATE_HOME");
  if (state !== undefined) return paths.join(state, "codex-swarm");
  const home = set("HOME");
  if (home !== undefined) return paths.join(home, ".local", "state", "codex-swarm");
  throw new Error(
    "Cannot choose a task directory: set --task-dir and --worktree-dir, or XDG_STATE_HOME or HOME",
  );
}

function readArgs(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new Error(`Cannot parse arguments: ${message} (see --help)`);
  }
}

/** What the parts of {@link parseCli} read: the flags, the environment, paths and the cwd. */
interface Given extends Platform {
  /** The flags as `parseArgs` reads them. */
  values: ReturnType<typeof readArgs>;
  env: Record<string, string | undefined>;
  paths: typeof path.posix;
}

/** A setting's text, and the flag or variable it came from. */
type Picked = { value: string; from: string };

const MAX_INT = Number.MAX_SAFE_INTEGER;

/** The integer settings: flag (its variable named after it), default, least and most. */
const INTEGERS = {
  maxParallel: ["max-parallel", DEFAULT_MAX_PARALLEL, 1, MAX_INT],
  taskTimeoutS: ["task-timeout", DEFAULT_TASK_TIMEOUT_S, 0, MAX_TIMER_S],
  taskMaxAgeS: ["task-max-age", DEFAULT_TASK_MAX_AGE_S, 1, MAX_AGE_S],
  idleExitS: ["idle-exit", DEFAULT_IDLE_EXIT_S, 1, MAX_TIMER_S],
  maxResultChars: ["max-result-chars", DEFAULT_MAX_RESULT_CHARS, MIN_MAX_RESULT_CHARS, MAX_INT],
  // Hidden (no such flag, only the variable): tests make heartbeats frequent.
  heartbeatMs: ["heartbeat-ms", DEFAULT_HEARTBEAT_MS, 10, MAX_TIMER_S * 1000],
} as const;

/** The integer setting `key`. */
function integerOf(given: Given, key: keyof typeof INTEGERS): number {
  const [flag, fallback, min, max] = INTEGERS[key];
  const picked = pick(given, flag);
  if (picked === undefined) return fallback;
  const text = picked.value.trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new Error(
      `Cannot parse ${picked.from} ${JSON.stringify(picked.value)}: expected an integer from ` +
        `${min} to ${max}`,
    );
  }
  return n;
}

/** `--codex-bin`: a bare name is looked up on PATH, a path is resolved. */
function codexBinOf(given: Given): string {
  const bin = pick(given, "codex-bin");
  if (bin === undefined) return "codex";
  const resolved = parsePath(given, bin)!; // an empty path throws
  // A bare name is looked up on PATH; a relative path would depend on the child's directory.
  return /[\\/]/.test(bin.value) ? resolved : bin.value;
}

/** The task and worktree directories, and the log file (beside the task directory by default). */
function placesOf(given: Given): { taskDir: string; worktreeDir: string; logFile: string | null } {
  const { paths } = given;
  let taskDir = parsePath(given, pick(given, "task-dir"));
  let worktreeDir = parsePath(given, pick(given, "worktree-dir"));
  if (taskDir === undefined || worktreeDir === undefined) {
    const state = defaultStateDir(given);
    taskDir ??= paths.join(state, "tasks");
    worktreeDir ??= paths.join(state, "worktrees");
  }
  // The log goes beside the task directory unless told otherwise; "none" turns the file off.
  const logPick = pick(given, "log-file", "CODEX_SWARM_LOG");
  const logFile = logPick !== undefined && /^(none|off)$/i.test(logPick.value.trim())
    ? null
    : parsePath(given, logPick) ?? paths.join(paths.dirname(taskDir), "server.log");
  return { taskDir, worktreeDir, logFile };
}

/**
 * The value of a flag (or its variable) that is one of a few words, any case, else `fallback`.
 */
function choiceOf<T extends string>(
  given: Given,
  flag: string,
  choices: readonly T[],
  fallback: T,
): T {
  const picked = pick(given, flag);
  if (picked === undefined) return fallback;
  const found = choices.find((choice) => choice === picked.value.trim().toLowerCase());
  if (found === undefined) {
    const expected = choices.length === 2 ? choices.join(" or ") : `one of ${choices.join(", ")}`;
    throw new Error(
      `Cannot parse ${picked.from} ${JSON.stringify(picked.value)}: expected ${expected}`,
    );
  }
  return found;
}

/** `--worktree-setup`, when it is given and not blank. */
function worktreeSetupOf(given: Given): { worktreeSetup?: string } {
  const setupPick = pick(given, "worktree-setup");
  if (setupPick !== undefined && setupPick.value.includes("\0")) {
    throw new Error(`Cannot use ${setupPick.from}: the command holds a NUL byte`);
  }
  return setupPick?.value.trim() ? { worktreeSetup: setupPick.value } : {};
}

/** The policy flags; `--max-sandbox` defaults to the server's own `-c sandbox_mode`. */
function policyOf(given: Given, overrides: ServerDefaults["overrides"]): Policy {
  const { values } = given;
  const sandboxOverride = overrides.findLast((o) => o.key === "sandbox_mode");
  const maxSandbox = values["max-sandbox"] !== undefined
    ? parseSandboxMode(values["max-sandbox"], "--max-sandbox")
    : sandboxOverride !== undefined
    ? parseSandboxMode(sandboxOverride.value, "-c sandbox_mode")
    : null;
  const allowConfig = values["allow-config"] ?? [];
  for (const key of allowConfig) {
    if (key !== "*" && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(key)) {
      throw new Error(
        `Cannot parse --allow-config ${JSON.stringify(key)}: expected a dotted key or "*"`,
      );
    }
  }
  const allowRoots = (values["allow-root"] ?? []).map((root) =>
    realPathOr(parsePath(given, { value: root, from: "--allow-root" })!)
  );
  const passEnv = values["pass-env"] ?? [];
  for (const name of passEnv) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`Cannot parse --pass-env ${JSON.stringify(name)}: expected a variable name`);
    }
  }
  return new Policy({ allowConfig, maxSandbox, allowRoots, passEnv });
}

/**
 * Parses the server's arguments and environment.
 *
 * `--help` and `--version` win over everything else once the arguments parse.
 *
 * @param args The arguments, without the program name (as `Deno.args`).
 * @param env The environment (as `Deno.env.toObject()`).
 * @param platform The operating system and current directory; defaults to this process's.
 * @returns Help text, version text, or the settings to run with.
 * @throws {Error} Naming the flag or variable, for an unknown flag, a missing flag value, a
 * positional argument, a malformed `-c` entry, a number out of range, an empty path or an unknown
 * log level.
 */
export function parseCli(
  args: string[],
  env: Record<string, string | undefined>,
  platform?: Platform,
): CliResult {
  const values = readArgs(args);
  if (values.help) return { kind: "help", text: helpText() };
  if (values.version) return { kind: "version", text: `codex-swarm ${VERSION}` };

  const { os, cwd } = platform ?? { os: Deno.build.os, cwd: Deno.cwd() };
  const given: Given = { values, env, os, paths: os === "windows" ? path.win32 : path.posix, cwd };
  const overrides = (values.config ?? []).map((entry) => parseOverride(entry));
  // Each setting is read in the order written, so that the first bad one is the one named.
  const config: ServerConfig = {
    codexBin: codexBinOf(given),
    maxParallel: integerOf(given, "maxParallel"),
    taskTimeoutS: integerOf(given, "taskTimeoutS"),
    taskMaxAgeS: integerOf(given, "taskMaxAgeS"),
    idleExitS: integerOf(given, "idleExitS"),
    approvals: choiceOf(given, "approvals", ["client", "human"], "client"),
    ...placesOf(given),
    logLevel: choiceOf(given, "log-level", LOG_LEVELS, "info"),
    maxResultChars: integerOf(given, "maxResultChars"),
    heartbeatMs: integerOf(given, "heartbeatMs"),
    defaults: {
      overrides,
      skipGitRepoCheck: values["skip-git-repo-check"] ?? false,
      ephemeral: values.ephemeral ?? false,
      ...worktreeSetupOf(given),
    },
    policy: policyOf(given, overrides),
    replyAlias: values["reply-alias"] ?? false,
    ...workerFlagsOf(given),
  };
  return { kind: "run", config };
}

/** The worker flags, each URL checked; none when none is given. */
function workerFlagsOf({ values, paths, cwd }: Given): { workerFlags?: WorkerFlags } {
  const workers = (values.worker ?? []).map((text) => {
    const { name, value } = parseNameValue(text, "--worker");
    parseWorkerUrl(value, `--worker ${text}`);
    return { name, url: value };
  });
  const tokenFiles = (values["worker-token-file"] ?? []).map((text) => {
    const { name, value } = parseNameValue(text, "--worker-token-file");
    return { name, path: paths.resolve(cwd, value) };
  });
  const noLocal = values["no-local"] ?? false;
  if (workers.length === 0 && tokenFiles.length === 0 && !noLocal) return {};
  return { workerFlags: { workers, tokenFiles, noLocal } };
}
