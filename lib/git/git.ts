/**
 * The one runner for every git command codex-swarm runs, hardened: git runs none of the programs a
 * repository can name (hooks, fsmonitor, filter and merge drivers, external diff and textconv,
 * aliases, pager, editor, signing, transport helpers), only its own commands. See
 * `lib/git/git_hardening.ts` for what is switched off and how; before each command that could run a
 * driver or hook the runner lists the config git will read, to switch off those the repository
 * defines.
 *
 * Every command also runs with stdin closed, `GIT_TERMINAL_PROMPT=0` (git never waits for a
 * password) and a timeout, and without inherited variables that would point git at another
 * repository (`GIT_DIR`, `GIT_WORK_TREE`, `GIT_INDEX_FILE`, ...) or name a program
 * (`GIT_EXTERNAL_DIFF`, `GIT_SSH_COMMAND`, ...), so `cwd` alone decides the repository.
 * {@linkcode runGit} reports the exit code; {@linkcode git} throws a {@linkcode GitError} on a
 * non-zero exit. {@linkcode commitIdentityArgs} supplies a fallback author for machines where no
 * identity is configured (the user's own system and global config, identity included, is read as
 * usual).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const cwd = await Deno.makeTempDir();
 * await git(["init", "--quiet", "--initial-branch=main"], { cwd });
 * await Deno.writeTextFile(`${cwd}/a.txt`, "a\n");
 * await git(["add", "a.txt"], { cwd });
 * await Deno.writeTextFile(`${cwd}/a.txt`, "b\n");
 * const { code } = await runGit(["diff", "--quiet"], { cwd }); // runGit: the exit code, no throw
 * assert.equal(code, 1); // modified
 * await assert.rejects(git(["rev-parse", "HEAD"], { cwd }), GitError); // git: throws; no commit yet
 * await Deno.remove(cwd, { recursive: true });
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  DRIVERLESS_COMMANDS,
  driverOverrides,
  gitArgv,
  type GitCall,
  parseConfigList,
  splitGitArgs,
} from "./git_hardening.ts";
import { messageOf } from "../base/errors.ts";
import { tail } from "../base/text.ts";

/** How long a git command may run unless {@linkcode GitOptions.timeoutMs} says otherwise. */
export const DEFAULT_GIT_TIMEOUT_MS = 120_000;

/** How many characters of stderr a {@linkcode GitError} keeps (the end, where git says why). */
export const STDERR_TAIL_CHARS = 2000;

/** Name used when no `user.name` is configured. */
export const FALLBACK_USER_NAME = "codex-swarm";

/** Email used when no `user.email` is configured. */
export const FALLBACK_USER_EMAIL = "codex-swarm@localhost";

/**
 * Variables that make git ignore `cwd` and use another repository, index, object store or
 * configuration: the list `git rev-parse --local-env-vars` prints, which git itself clears when it
 * enters another repository (a hook of the server's parent git would otherwise leak `GIT_DIR`).
 * They are removed from the inherited environment; pass one in {@linkcode GitOptions.env} to set
 * it anyway.
 */
const REPOSITORY_ENV_VARS = [
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_CONFIG",
  "GIT_CONFIG_PARAMETERS",
  "GIT_CONFIG_COUNT",
  "GIT_OBJECT_DIRECTORY",
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_IMPLICIT_WORK_TREE",
  "GIT_GRAFT_FILE",
  "GIT_INDEX_FILE",
  "GIT_NO_REPLACE_OBJECTS",
  "GIT_REPLACE_REF_BASE",
  "GIT_PREFIX",
  "GIT_INTERNAL_SUPER_PREFIX",
  "GIT_SHALLOW_FILE",
  "GIT_COMMON_DIR",
] as const;

/**
 * Inherited variables that name a program git would run (an external diff, ssh, a password
 * prompt); removed. The editor and pager are set to none instead ({@linkcode PROGRAM_ENV}).
 */
const PROGRAM_ENV_VARS = [
  "GIT_EXTERNAL_DIFF",
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_ASKPASS",
  "SSH_ASKPASS",
  "GIT_PROXY_COMMAND",
] as const;

/**
 * Set on every command, over the inherited and given environment: no password prompt, and the
 * editor (`:` is git's "keep the message") and pager (`cat`) that run nothing else.
 */
const PROGRAM_ENV = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_EDITOR: ":",
  GIT_SEQUENCE_EDITOR: ":",
  GIT_PAGER: "cat",
} as const;

/** Options for {@linkcode runGit} and {@linkcode git}. */
export interface GitOptions {
  /** Directory git runs in; it decides the repository. */
  cwd: string;
  /** Cancels the command (git gets SIGTERM). */
  signal?: AbortSignal;
  /** Extra environment variables, on top of the inherited environment. */
  env?: Record<string, string>;
  /** Kill git after this many milliseconds. Default {@linkcode DEFAULT_GIT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /**
   * Keep at most this many bytes of stdout; the rest is read and dropped, and
   * {@linkcode GitResult.truncated} is set. Default: keep everything.
   */
  maxStdoutBytes?: number;
}

/** What a finished git command printed and how it exited. */
export interface GitResult {
  /** Exit code; 0 is success. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
  /** True when stdout was cut at {@linkcode GitOptions.maxStdoutBytes}. */
  truncated: boolean;
}

/** Options for {@linkcode GitError}. */
export interface GitErrorOptions {
  /** Arguments given to git. */
  args: string[];
  /** Directory git ran in. */
  cwd: string;
  /** Exit code, or `null` when git could not be started. */
  exitCode: number | null;
  /** Standard error; only the last {@linkcode STDERR_TAIL_CHARS} characters are kept. */
  stderr: string;
  /** What went wrong, when it is not the exit code (timeout, cancellation, missing git). */
  reason?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/** A git command that exited non-zero, timed out, was cancelled or could not start. */
export class GitError extends Error {
  /** Arguments given to git. */
  readonly args: string[];
  /** Directory git ran in. */
  readonly cwd: string;
  /** Exit code, or `null` when git could not be started. */
  readonly exitCode: number | null;
  /** The last {@linkcode STDERR_TAIL_CHARS} characters of standard error. */
  readonly stderr: string;

  /** Builds the message from the facts: command, cwd, exit code and git's own last words. */
  constructor(options: GitErrorOptions) {
    const stderr = tail(options.stderr, STDERR_TAIL_CHARS);
    const command = formatCommand(options.args);
    // The message quotes git's cause (its `fatal:`/`error:` lines, else its last lines), at most
    // 500 characters; `stderr` keeps more. The cause may come before hints ("index.lock").
    const causes = stderr.split("\n").filter((line) => /^(fatal|error):/.test(line.trim()));
    const words = causes.length > 0 ? lastLines(causes.join("\n"), 3) : lastLines(stderr, 5);
    const said = stderr.trim() === "" ? "" : `: ${tail(words, 500)}`;
    const why = options.reason ?? `exited with code ${options.exitCode}`;
    super(`Command ${command} ${why}${said}: cwd is ${options.cwd}`, { cause: options.cause });
    this.name = "GitError";
    this.args = [...options.args];
    this.cwd = options.cwd;
    this.exitCode = options.exitCode;
    this.stderr = stderr;
  }
}

/**
 * Runs `git <args>` in `opts.cwd` and reports how it exited; a non-zero exit is not an error.
 *
 * Throws a {@linkcode GitError} only when git cannot start (not installed, `cwd` missing), times
 * out or is cancelled, or is not run: a command or argument `lib/git/git_hardening.ts` refuses, or a
 * driver of the repository that cannot be switched off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const cwd = await Deno.makeTempDir();
 * await git(["init", "--quiet", "--initial-branch=main"], { cwd });
 * await Deno.writeTextFile(`${cwd}/new.txt`, "");
 * const { code, stdout } = await runGit(["status", "--porcelain"], { cwd });
 * assert.equal(code, 0);
 * assert.equal(stdout, "?? new.txt\n");
 * await Deno.remove(cwd, { recursive: true });
 * ```
 */
export async function runGit(args: string[], opts: GitOptions): Promise<GitResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  // The error of a command that did not finish: refused, not started, timed out or cancelled.
  const failure = (reason: string, extra: Partial<GitErrorOptions> = {}) =>
    new GitError({ args, cwd: opts.cwd, exitCode: null, stderr: "", reason, ...extra });
  const aborted = (extra: Partial<GitErrorOptions> = {}) =>
    failure(timeout.aborted ? `timed out after ${timeoutMs} ms` : "was cancelled", {
      cause: signal.reason,
      ...extra,
    });

  // Runs `call` hardened with `overrides`: what it printed (stdout cut) and how it exited.
  const spawn = async (
    call: GitCall,
    overrides: ReadonlyArray<readonly [string, string]>,
    maxStdoutBytes: number,
  ): Promise<GitResult> => {
    if (signal.aborted) throw aborted();
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command("git", {
        args: gitArgv(call, overrides),
        cwd: opts.cwd,
        env: gitEnv(opts.env),
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal,
      }).spawn();
    } catch (error) {
      throw failure(await spawnFailureReason(error, opts.cwd), { cause: error });
    }
    const stdout = collect(child.stdout, maxStdoutBytes);
    const stderr = collect(child.stderr, Infinity);
    const status = await child.status;
    if (signal.aborted) {
      // Git is gone, but a process it started may still hold the pipes open.
      await Promise.all([stdout.cancel(), stderr.cancel()]);
      throw aborted({ exitCode: status.code, stderr: decode((await stderr.done).bytes) });
    }
    const [out, err] = await Promise.all([stdout.done, stderr.done]);
    return {
      code: status.code,
      stdout: decode(out.bytes),
      stderr: decode(err.bytes),
      truncated: out.truncated,
    };
  };

  const call = splitGitArgs(args);
  if ("refused" in call) throw failure(`was not run as ${call.refused}`);
  let overrides: Array<[string, string]> = [];
  if (!DRIVERLESS_COMMANDS.has(call.command)) {
    // The config this command will read, to switch off the drivers the repository defines.
    const listCall = {
      config: call.config,
      command: "config",
      rest: ["--list", "--show-scope", "-z"],
    };
    const listed = await spawn(listCall, [], Infinity);
    if (listed.code !== 0) return listed;
    const found = driverOverrides(parseConfigList(listed.stdout));
    if ("refused" in found) throw failure(`was not run as ${found.refused}`);
    overrides = found.config;
  }
  return await spawn(call, overrides, opts.maxStdoutBytes ?? Infinity);
}

/**
 * Runs `git <args>` in `opts.cwd` and returns its stdout; throws a {@linkcode GitError} on a
 * non-zero exit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const cwd = await Deno.makeTempDir();
 * await git(["init", "--quiet", "--initial-branch=main"], { cwd });
 * assert.equal((await git(["branch", "--show-current"], { cwd })).trim(), "main");
 * await Deno.remove(cwd, { recursive: true });
 * ```
 */
export async function git(args: string[], opts: GitOptions): Promise<string> {
  const result = await runGit(args, opts);
  if (result.code !== 0) throw exitError(args, opts.cwd, result);
  return result.stdout;
}

/** The {@link GitError} of `git args` run in `cwd`, which exited with `result.code`. */
export function exitError(args: string[], cwd: string, result: GitResult): GitError {
  return new GitError({ args, cwd, exitCode: result.code, stderr: result.stderr });
}

/**
 * The `-c` arguments that give a commit an author and committer when none is configured: for each
 * of `user.name` and `user.email` that `git config` reports empty in `opts.cwd`, the fallback
 * (`codex-swarm`, `codex-swarm@localhost`). A configured identity is never overridden.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const cwd = await Deno.makeTempDir();
 * await git(["init", "--quiet", "--initial-branch=main"], { cwd });
 * const opts = { cwd };
 * await git([...await commitIdentityArgs(opts), "commit", "--allow-empty", "-m", "Save work"], opts);
 * assert.equal(await git(["log", "--format=%s"], opts), "Save work\n");
 * await Deno.remove(cwd, { recursive: true });
 * ```
 */
export async function commitIdentityArgs(opts: GitOptions): Promise<string[]> {
  const [name, email] = await Promise.all([
    runGit(["config", "user.name"], opts),
    runGit(["config", "user.email"], opts),
  ]);
  const args: string[] = [];
  if (name.stdout.trim() === "") args.push("-c", `user.name=${FALLBACK_USER_NAME}`);
  if (email.stdout.trim() === "") args.push("-c", `user.email=${FALLBACK_USER_EMAIL}`);
  return args;
}

function gitEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of [...REPOSITORY_ENV_VARS, ...PROGRAM_ENV_VARS]) delete env[name];
  return { ...env, ...extra, ...PROGRAM_ENV };
}

async function spawnFailureReason(error: unknown, cwd: string): Promise<string> {
  if (!(error instanceof Deno.errors.NotFound)) return `could not start (${messageOf(error)})`;
  return await Deno.stat(cwd).then(
    () => "could not start as git is not installed or not on PATH",
    () => "could not start as the directory does not exist",
  );
}

/**
 * Reads a stream to its end, keeping the first `limit` bytes: `done` gives them and whether more
 * came; `cancel()` stops reading, keeping what was read.
 */
function collect(stream: ReadableStream<Uint8Array>, limit: number) {
  const reader = stream.getReader();
  const done = (async () => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        if (size < limit) chunks.push(read.value.subarray(0, limit - size));
        size += read.value.byteLength;
      }
    } catch {
      // Cancelled: keep what was read.
    }
    return { bytes: Buffer.concat(chunks), truncated: size > limit };
  })();
  return {
    done,
    cancel: async () => {
      await reader.cancel().catch(() => {});
      await done;
    },
  };
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).map((line) => line.trim()).join(" / ");
}

function formatCommand(args: string[]): string {
  const shown = args.map((arg) => (/^[\w@%+=:,./^~-]+$/.test(arg) ? arg : JSON.stringify(arg)));
  const text = ["git", ...shown].join(" ");
  return `"${text.length > 300 ? `${text.slice(0, 300)}…` : text}"`;
}
