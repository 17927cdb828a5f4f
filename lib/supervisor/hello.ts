/**
 * The hello a front-end sends once the supervisor has proved it knows the token (see `auth.ts`),
 * and the one line the supervisor answers.
 *
 * Both are a JSON object on a line of its own. The hello carries the front-end's version, working
 * directory, environment and parsed settings: the session flags apply to the tasks its client
 * starts; the machine-wide ones are compared with the supervisor's. It is read only from a
 * connection that proved the token (over the loopback port) and is at most
 * {@link HELLO_MAX_BYTES}; `hello_check.ts` checks it, and its schema is the `Hello` type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * import { parseCli } from "./cli.ts";
 * import type { Hello } from "./hello_check.ts";
 *
 * const cli = parseCli([], Deno.env.toObject());
 * assert.ok(cli.kind === "run");
 * const hello: Hello = {
 *   codex_swarm_hello: HELLO_PROTOCOL,
 *   version: "0.3.0",
 *   pid: Deno.pid,
 *   cwd: Deno.cwd(),
 *   env: Deno.env.toObject(),
 *   config: cli.config,
 * };
 * // A session's machine-wide flags that differ from the supervisor's are named (none here).
 * assert.deepEqual(machineWideDifferences(hello.config, cli.config), []);
 * ```
 * @module
 */

import type { ServerConfig } from "../mcp/server_config.ts";
import type { SessionKind } from "../tasks/engine_api.ts";
import type { Logger } from "../base/log.ts";

/**
 * Bumped when the auth line, the hello or their answers change incompatibly. 2: the front-end
 * proves the token in a small first line and sends no token in the hello (1: a challenge, then the
 * hello with the token; see `handshakeV1` in `connect.ts`).
 */
export const HELLO_PROTOCOL = 2;

/**
 * The longest hello, in bytes: it holds the front-end's environment (a few KB; tens of KB with
 * large `PATH`s and exported shell functions) and settings, so 1 MB leaves room and still bounds
 * what one connection that proved the token makes the supervisor hold before it is a session.
 */
export const HELLO_MAX_BYTES = 1024 * 1024;

/** What the front-end and the supervisor run with (a front-end's hello carries the same). */
export interface RunOptions {
  config: ServerConfig;
  /** The process's own environment (the supervisor's: tasks of an earlier supervisor run with it). */
  env: Record<string, string>;
  /** The version it claims. */
  version: string;
  log: Logger;
}

/** The environment variable `codex-swarm top` sets for the front-end it starts. */
export const TOP_ROLE_ENV = "CODEX_SWARM_TOP";

/** What the supervisor answers. */
export type HelloReply =
  | {
    ok: true;
    protocol: number;
    version: string;
    pid: number;
    session_id: string;
    /**
     * Who opened the session, as the supervisor found out: `client`, or `task` for a process of
     * a task (or where it cannot tell). Absent from older supervisors.
     */
    session_kind?: SessionKind;
    /** For a task session: the task whose command opened it, when known. */
    task_id?: string | null;
    /** E.g. machine-wide flags that differ, or that this supervisor is replaced when idle. */
    warnings: string[];
  }
  | {
    ok: false;
    /** The hello protocol of the supervisor (absent: protocol 1). */
    protocol: number;
    version: string;
    pid: number;
    /** True when the supervisor is going away for a newer one: start a new supervisor. */
    retiring: boolean;
    /** True when too many connections wait for auth: try again shortly. */
    busy?: boolean;
    error: string;
    /** The supervisor's proof for the auth line's nonce, when the front-end proved the token. */
    proof?: string;
  };

/** The settings that belong to the supervisor, not to a session, with their flag names. */
export const MACHINE_WIDE = {
  maxParallel: "--max-parallel",
  taskDir: "--task-dir",
  worktreeDir: "--worktree-dir",
  idleExitS: "--idle-exit",
  taskMaxAgeS: "--task-max-age",
  codexBin: "--codex-bin",
  logFile: "--log-file",
  logLevel: "--log-level",
  approvals: "--approvals",
} as const satisfies Partial<Record<keyof ServerConfig, string>>;

/** One sentence per machine-wide setting in which `session` differs from `supervisor`. */
export function machineWideDifferences(session: ServerConfig, supervisor: ServerConfig): string[] {
  const out: string[] = [];
  for (const [key, flag] of Object.entries(MACHINE_WIDE)) {
    const mine = session[key as keyof typeof MACHINE_WIDE];
    const theirs = supervisor[key as keyof typeof MACHINE_WIDE];
    if (mine !== theirs) {
      out.push(
        `${flag} is ${JSON.stringify(mine)} for this client but the running supervisor has ` +
          `${JSON.stringify(theirs)}: it is machine-wide, so the supervisor's applies ` +
          `(restart the supervisor to change it)`,
      );
    }
  }
  const workers = (config: ServerConfig) => JSON.stringify(config.workerFlags ?? null);
  if (workers(session) !== workers(supervisor)) {
    out.push(
      "--worker, --worker-token-file or --no-local differ for this client from the running " +
        "supervisor's: its workers apply, as a session cannot add workers (restart the " +
        "supervisor to change them)",
    );
  }
  return out;
}
