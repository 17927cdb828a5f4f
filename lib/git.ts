/**
 * A small runner for git commands.
 *
 * Every command runs with stdin closed, `GIT_TERMINAL_PROMPT=0` (git never waits for a password)
 * and a timeout, and without inherited variables that would point git at another repository
 * (`GIT_DIR`, `GIT_WORK_TREE`, `GIT_INDEX_FILE`, ...), so `cwd` alone decides the repository.
 * {@linkcode runGit} reports the exit code; {@linkcode git} throws a {@linkcode GitError} on a
 * non-zero exit. {@linkcode commitIdentityArgs} supplies a fallback author for machines where no
 * identity is configured.
 *
 * @example
 * ```ts
 * import { git, runGit } from "./git.ts";
 *
 * const head = (await git(["rev-parse", "HEAD"], { cwd: "." })).trim();
 * const { code } = await runGit(["diff", "--quiet"], { cwd: "." });
 * console.log(head, code === 0 ? "clean" : "modified");
 * ```
 *
 * @module
 */

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
 * out or is cancelled.
 *
 * @example
 * ```ts
 * import { runGit } from "./git.ts";
 *
 * const { code, stdout } = await runGit(["status", "--porcelain"], { cwd: "." });
 * if (code === 0 && stdout === "") console.log("clean");
 * ```
 */
export async function runGit(args: string[], opts: GitOptions): Promise<GitResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const abortReason = () => timeout.aborted ? `timed out after ${timeoutMs} ms` : "was cancelled";
  if (signal.aborted) {
    throw new GitError({
      args,
      cwd: opts.cwd,
      exitCode: null,
      stderr: "",
      reason: abortReason(),
      cause: signal.reason,
    });
  }

  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("git", {
      args,
      cwd: opts.cwd,
      env: gitEnv(opts.env),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).spawn();
  } catch (error) {
    throw new GitError({
      args,
      cwd: opts.cwd,
      exitCode: null,
      stderr: "",
      reason: await spawnFailureReason(error, opts.cwd),
      cause: error,
    });
  }

  const stdout = collect(child.stdout, opts.maxStdoutBytes ?? Infinity);
  const stderr = collect(child.stderr, Infinity);
  const status = await child.status;
  if (signal.aborted) {
    // Git is gone, but a hook or helper it started may still hold the pipes open.
    await Promise.all([stdout.cancel(), stderr.cancel()]);
    throw new GitError({
      args,
      cwd: opts.cwd,
      exitCode: status.code,
      stderr: decode((await stderr.done).bytes),
      reason: abortReason(),
      cause: signal.reason,
    });
  }
  const [out, err] = await Promise.all([stdout.done, stderr.done]);
  return {
    code: status.code,
    stdout: decode(out.bytes),
    stderr: decode(err.bytes),
    truncated: out.truncated,
  };
}

/**
 * Runs `git <args>` in `opts.cwd` and returns its stdout; throws a {@linkcode GitError} on a
 * non-zero exit.
 *
 * @example
 * ```ts
 * import { git } from "./git.ts";
 *
 * const branch = (await git(["branch", "--show-current"], { cwd: "." })).trim();
 * ```
 */
export async function git(args: string[], opts: GitOptions): Promise<string> {
  const result = await runGit(args, opts);
  if (result.code !== 0) {
    throw new GitError({ args, cwd: opts.cwd, exitCode: result.code, stderr: result.stderr });
  }
  return result.stdout;
}

/**
 * The `-c` arguments that give a commit an author and committer when none is configured: for each
 * of `user.name` and `user.email` that `git config` reports empty in `opts.cwd`, the fallback
 * (`codex-swarm`, `codex-swarm@localhost`). A configured identity is never overridden.
 *
 * @example
 * ```ts
 * import { commitIdentityArgs, git } from "./git.ts";
 *
 * const opts = { cwd: "." };
 * await git([...await commitIdentityArgs(opts), "commit", "-m", "Save work"], opts);
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
  for (const name of REPOSITORY_ENV_VARS) delete env[name];
  return { ...env, ...extra, GIT_TERMINAL_PROMPT: "0" };
}

async function spawnFailureReason(error: unknown, cwd: string): Promise<string> {
  if (!(error instanceof Deno.errors.NotFound)) {
    return `could not start (${error instanceof Error ? error.message : String(error)})`;
  }
  try {
    await Deno.stat(cwd);
  } catch {
    return "could not start as the directory does not exist";
  }
  return "could not start as git is not installed or not on PATH";
}

interface Collected {
  bytes: Uint8Array;
  truncated: boolean;
}

interface Collector {
  done: Promise<Collected>;
  cancel(): Promise<void>;
}

/** Reads a stream to its end, keeping the first `limit` bytes. */
function collect(stream: ReadableStream<Uint8Array>, limit: number): Collector {
  const reader = stream.getReader();
  const done = (async (): Promise<Collected> => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let truncated = false;
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        if (size >= limit) {
          truncated = true;
          continue;
        }
        const room = limit - size;
        if (value.byteLength > room) {
          truncated = true;
          chunks.push(value.subarray(0, room));
          size += room;
        } else {
          chunks.push(value);
          size += value.byteLength;
        }
      }
    } catch {
      // Cancelled: keep what was read.
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return { bytes, truncated };
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

function tail(text: string, max: number): string {
  return text.length <= max ? text : text.slice(text.length - max);
}

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).map((line) => line.trim()).join(" / ");
}

function formatCommand(args: string[]): string {
  const shown = args.map((arg) => (/^[\w@%+=:,./^~-]+$/.test(arg) ? arg : JSON.stringify(arg)));
  const text = ["git", ...shown].join(" ");
  return `"${text.length > 300 ? `${text.slice(0, 300)}…` : text}"`;
}
