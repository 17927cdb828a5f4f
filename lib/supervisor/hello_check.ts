/**
 * Checks a hello line before the supervisor builds a session from it: every field of the hello and
 * of the settings it carries has its type and range, and a field the supervisor does not know is
 * refused, so a bad hello is a clear refusal naming the field, never a session that fails later.
 * Kept out of `hello.ts`, which the front-end loads, so that the front-end does not load zod.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseHello('{"codex_swarm_hello": 2}'), /Cannot read the hello/);
 * ```
 * @module
 */

import { z } from "zod";
import {
  MAX_AGE_S,
  MAX_TIMER_S,
  MIN_MAX_RESULT_CHARS,
  type ServerConfig,
} from "../mcp/server_config.ts";
import { LOG_LEVELS } from "../base/log.ts";
import { SANDBOX_MODES } from "../codex/policy.ts";
import { HELLO_PROTOCOL } from "./hello.ts";
import { PROOF } from "./auth.ts";

/**
 * The longest path or command in the settings: Linux's PATH_MAX is 4096 bytes; a
 * `--worktree-setup` command may be longer, so it gets the hello's whole size.
 */
const MAX_PATH_CHARS = 4096;

const text = z.string().max(MAX_PATH_CHARS);
const texts = z.array(text);
const count = (min: number, max: number) => z.int().min(min).max(max);

/** `ServerConfig` as its JSON: every key, each with its type and the range the flags allow. */
const CONFIG_FIELDS = {
  codexBin: text.min(1),
  defaults: z.strictObject({
    overrides: z.array(z.strictObject({ key: text.min(1), value: z.string() })),
    skipGitRepoCheck: z.boolean(),
    ephemeral: z.boolean(),
    worktreeSetup: z.string().optional(),
  }),
  maxParallel: count(1, Number.MAX_SAFE_INTEGER),
  taskTimeoutS: count(0, MAX_TIMER_S),
  taskDir: text.min(1),
  worktreeDir: text.min(1),
  taskMaxAgeS: count(1, MAX_AGE_S),
  idleExitS: count(1, MAX_TIMER_S),
  approvals: z.enum(["client", "human"]),
  logFile: text.min(1).nullable(),
  logLevel: z.enum(LOG_LEVELS),
  maxResultChars: count(MIN_MAX_RESULT_CHARS, Number.MAX_SAFE_INTEGER),
  replyAlias: z.boolean(),
  heartbeatMs: count(10, MAX_TIMER_S * 1000),
  // The JSON of a `Policy`.
  policy: z.strictObject({
    allowConfig: texts,
    maxSandbox: z.enum(SANDBOX_MODES as [string, ...string[]]).nullable(),
    allowRoots: texts,
    passEnv: texts,
  }),
  // A session's workers are only compared with the supervisor's (sessions cannot add workers).
  workerFlags: z.strictObject({
    workers: z.array(z.strictObject({ name: text.min(1), url: text.min(1) })),
    tokenFiles: z.array(z.strictObject({ name: text.min(1), path: text.min(1) })),
    noLocal: z.boolean(),
  }).optional(),
} satisfies Record<keyof ServerConfig, z.ZodType>;

/** What a front-end says once the supervisor proved itself. */
const HelloSchema = z.strictObject({
  codex_swarm_hello: z.literal(HELLO_PROTOCOL),
  // The front-end's program version.
  version: z.string().min(1).max(64),
  pid: count(0, 2 ** 32),
  // Where the session's tasks run when they name no `cwd` and the client offers no roots.
  cwd: text.min(1),
  // The environment the session's tasks get.
  env: z.record(z.string(), z.string()),
  // The front-end's settings: session flags and machine-wide flags, used as the ServerConfig
  // they were parsed into (the JSON of its policy stands for the Policy).
  config: z.strictObject(CONFIG_FIELDS) as unknown as z.ZodType<ServerConfig>,
  // `top` for the front-end `codex-swarm top` starts: its session may answer approvals in every
  // mode, once the supervisor has seen `top` read a terminal (see session.ts).
  role: z.literal("top").optional(),
});

/** A hello, as {@link parseHello} reads it; the front-end writes one (loading no zod). */
export type Hello = z.infer<typeof HelloSchema>;

/** The JSON value of `line`, or an error that says `what` is not JSON. */
function jsonOf(line: string, what: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`Cannot read ${what}: it is not JSON`);
  }
}

/** Each check of an auth line's field: the field is not `what` when it fails. */
const isNot = (what: string) => ({ error: `is not ${what}` });
const PROTOCOL = isNot("a protocol number (an integer of at least 1)");
const VERSION = isNot("a version (1 to 64 characters)");
const NONCE = isNot("16 to 128 letters, digits and -");
const PROOF_IS = isNot("64 lowercase hex digits");

/** The front-end's first line (see auth.ts). */
const AuthLineSchema = z.strictObject({
  /** The hello protocol the front-end speaks. */
  codex_swarm_auth: z.int(PROTOCOL).min(1, PROTOCOL),
  /** The front-end's program version. */
  version: z.string(VERSION).min(1, VERSION).max(64, VERSION),
  /** A random string chosen by the front-end. */
  nonce: z.string(NONCE).regex(/^[A-Za-z0-9-]{16,128}$/, NONCE),
  /** Over the loopback port: `proofOf` the token, `client`, the port and the nonce. */
  proof: z.string(PROOF_IS).regex(PROOF, PROOF_IS).optional(),
});

/** The front-end's first line. */
export type AuthLine = z.infer<typeof AuthLineSchema>;

/**
 * Reads an auth line, or throws naming what is wrong with it: not JSON, a hello of protocol 1
 * (whose front-end sends its environment first), a missing, mistyped or unknown field.
 */
export function parseAuthLine(line: string): AuthLine {
  const value = jsonOf(line, "the first line");
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("Cannot read the first line: it is not a JSON object");
  }
  if (!("codex_swarm_auth" in value)) {
    const old = "codex_swarm_challenge" in value || "codex_swarm_hello" in value;
    throw new Error(
      old
        ? `Cannot serve hello protocol 1: this supervisor speaks ${HELLO_PROTOCOL} (update the ` +
          `codex-swarm of this client)`
        : "Cannot read the first line: codex_swarm_auth is missing",
    );
  }
  const parsed = AuthLineSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(
    `Cannot read the first line: ${
      issue.code === "unrecognized_keys"
        ? `unknown field ${JSON.stringify(issue.keys[0])}`
        : `${issue.path.join(".")} ${issue.message}`
    }`,
  );
}

/** Reads a hello, or throws naming the field that is wrong and how. */
export function parseHello(line: string): Hello {
  const value = jsonOf(line, "the hello");
  const protocol = (value as { codex_swarm_hello?: unknown } | null)?.codex_swarm_hello;
  if (protocol !== undefined && protocol !== HELLO_PROTOCOL) {
    throw new Error(
      `Cannot serve hello protocol ${JSON.stringify(protocol)}: this supervisor speaks ` +
        `${HELLO_PROTOCOL}`,
    );
  }
  const parsed = HelloSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const unknown = issue.code === "unrecognized_keys" ? issue.keys : [];
    const field = [...issue.path, ...unknown.slice(0, 1)].join(".") || "the hello";
    const problem = issue.code === "unrecognized_keys"
      ? "is not a field the supervisor knows"
      : `is invalid: ${issue.message.replace(/^Invalid (input|option): /, "")}`;
    throw new Error(`Cannot read the hello: ${field} ${problem}`);
  }
  return parsed.data;
}
