/**
 * The one line a front-end sends before the MCP bytes, and the one line the supervisor answers.
 *
 * Both are a JSON object on a line of its own. The hello carries the front-end's version, working
 * directory, environment and parsed settings: the session flags apply to the tasks its client
 * starts; the machine-wide ones are compared with the supervisor's.
 *
 * Over the loopback port, where any process could be listening on a port a dead supervisor left
 * in `info.json`, the front-end first sends a {@link Challenge} and sends its hello (with its
 * environment) only once the answer proves the peer knows the token.
 *
 * @example
 * ```ts
 * const line = JSON.stringify(makeHello({ version: "0.1.0", config, cwd: Deno.cwd(), env: {} }));
 * ```
 * @module
 */

import type { ServerConfig } from "../cli.ts";
import type { SessionKind } from "../engine_api.ts";

/** Bumped when the hello or its answer change incompatibly. */
export const HELLO_PROTOCOL = 1;

/** The front-end's first line over the loopback port: a random nonce. */
export interface Challenge {
  codex_swarm_challenge: string;
}

/** The supervisor's answer: SHA-256 of `token:nonce`, hex. */
export interface Proof {
  codex_swarm_proof: string;
}

/** The proof that the peer knows `token`, for `nonce`. */
export async function proofOf(token: string, nonce: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${token}:${nonce}`),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a front-end says first (after the challenge, over the loopback port). */
export interface Hello {
  codex_swarm_hello: typeof HELLO_PROTOCOL;
  /** The front-end's program version. */
  version: string;
  pid: number;
  /** Where the session's tasks run when they name no `cwd` and the client offers no roots. */
  cwd: string;
  /** The environment the session's tasks get. */
  env: Record<string, string>;
  /** The front-end's settings: session flags and machine-wide flags. */
  config: ServerConfig;
  /** The TCP fallback's token (absent over a Unix socket). */
  token?: string;
}

/** What the supervisor answers. */
export type HelloReply =
  | {
    ok: true;
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
    version: string;
    pid: number;
    /** True when the supervisor is going away for a newer one: start a new supervisor. */
    retiring: boolean;
    error: string;
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
          `${
            JSON.stringify(theirs)
          }: it is machine-wide, so the supervisor's applies (restart the ` +
          `supervisor to change it)`,
      );
    }
  }
  return out;
}

/** Reads a hello, or throws naming what is wrong with it. */
export function parseHello(line: string): Hello {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error("Cannot read the hello: it is not JSON");
  }
  const hello = value as Partial<Hello> | null;
  if (!hello || typeof hello !== "object" || hello.codex_swarm_hello === undefined) {
    throw new Error("Cannot read the hello: codex_swarm_hello is missing");
  }
  if (hello.codex_swarm_hello !== HELLO_PROTOCOL) {
    throw new Error(
      `Cannot serve hello protocol ${hello.codex_swarm_hello}: this supervisor speaks ` +
        `${HELLO_PROTOCOL}`,
    );
  }
  for (const field of ["version", "cwd"] as const) {
    if (typeof hello[field] !== "string") {
      throw new Error(`Cannot read the hello: ${field} is not a string`);
    }
  }
  if (typeof hello.env !== "object" || hello.env === null) {
    throw new Error("Cannot read the hello: env is not an object");
  }
  if (typeof hello.config !== "object" || hello.config === null) {
    throw new Error("Cannot read the hello: config is not an object");
  }
  return hello as Hello;
}
