/**
 * The errors of the app-server client: {@linkcode AppServerError} when the server cannot be
 * started or used (with the reason, the binary and what it said), {@linkcode AppServerRequestError}
 * when it answered a call with a JSON-RPC error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AppServerError, tooOld } from "./app_server_errors.ts";
 *
 * const error = tooOld("codex", "0.1.0");
 * assert.ok(error instanceof AppServerError);
 * assert.equal(error.reason, "too_old");
 * ```
 * @module
 */

import { codexVersionFit } from "./codex_versions.ts";
import { lastErrorLine, pathCandidates, versionOf } from "./codex_binary.ts";

/** Why the server could not be started or used. */
export type AppServerErrorReason =
  | "missing"
  | "not_executable"
  | "not_allowed"
  | "spawn_failed"
  | "exited"
  | "too_old"
  | "timeout"
  | "closed";

/** The server could not be started, or is gone. */
export class AppServerError extends Error {
  override readonly name = "AppServerError";
  /** The version found, when known. */
  readonly version: string | null;
  /** The server's stderr tail, when it ran. */
  readonly stderrTail: string;
  constructor(
    readonly reason: AppServerErrorReason,
    readonly bin: string,
    message: string,
    details: { version?: string | null; stderrTail?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.version = details.version ?? null;
    this.stderrTail = details.stderrTail ?? "";
  }
}

/** The server answered a request with a JSON-RPC error. */
export class AppServerRequestError extends Error {
  override readonly name = "AppServerRequestError";
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}

/** The error for a Codex below the supported range, or null when `version` is in it or above. */
export function tooOld(bin: string, version: string): AppServerError | null {
  const fit = codexVersionFit(version);
  return fit.kind === "too_old"
    ? new AppServerError("too_old", bin, `Cannot use Codex at ${bin} as ${fit.message}`, {
      version,
    })
    : null;
}

/** Why a spawn failed and what that means, by its error code. */
const SPAWN_FAILURES: Record<string, [AppServerErrorReason, string]> = {
  ENOENT: [
    "missing",
    "it was not found (set --codex-bin or CODEX_SWARM_CODEX_BIN, or put codex on PATH)",
  ],
  EACCES: ["not_executable", "it is not executable"],
  NotCapable: [
    "not_allowed",
    "the server's Deno permissions do not allow running it (add it to --allow-run)",
  ],
};

/**
 * The error for a `bin` that cannot be started: what a spawn threw, or the OS error `code`
 * ({@link checkBinary}'s). Missing, not executable, not allowed, or other.
 */
export function spawnError(
  bin: string,
  error: unknown,
  code = error instanceof Deno.errors.NotCapable ||
      (error instanceof Error && /Requires run access|NotCapable/.test(error.message))
    ? "NotCapable"
    : (error as { code?: string }).code,
): AppServerError {
  const [reason, why] = SPAWN_FAILURES[code ?? ""] ??
    ["spawn_failed", `the OS refused (${code ?? "unknown error"})`];
  return new AppServerError(reason, bin, `Cannot start Codex as ${why}: binary is ${bin}`, {
    cause: error,
  });
}

/**
 * Checks that `bin` names an executable file (a path, or a name found on `PATH`), so a missing
 * binary gets a clear error rather than whatever the spawn reports. Throws {@link spawnError}'s
 * error.
 */
export function checkBinary(bin: string, path: string): void {
  let sawFile = false;
  for (const candidate of pathCandidates(bin, path)) {
    try {
      const info = Deno.statSync(candidate);
      if (!info.isFile) continue;
      sawFile = true;
      if (Deno.build.os === "windows" || ((info.mode ?? 0o111) & 0o111) !== 0) return;
    } catch {
      // Not here: try the next directory.
    }
  }
  throw spawnError(bin, undefined, sawFile ? "EACCES" : "ENOENT");
}

/**
 * The error for a server that exited before it answered `initialize`: too old when it says its
 * version or refuses the subcommand (an old Codex takes it for a prompt and fails otherwise), else
 * its exit and its stderr's last error line.
 */
export async function earlyExitError(
  bin: string,
  exit: { code: number | null; signal: string | null; stderrTail: string },
  command: string,
  env: Record<string, string>,
): Promise<AppServerError> {
  const version = await versionOf(command, env);
  const unrecognized = /unrecognized subcommand/i.test(exit.stderrTail);
  const old = version !== null || unrecognized ? tooOld(bin, version ?? "unknown") : null;
  if (old !== null) return old;
  return new AppServerError(
    "exited",
    bin,
    `Cannot start Codex app-server at ${bin} as it exited early (${
      exit.signal ?? `code ${exit.code}`
    }): ${lastErrorLine(exit.stderrTail)}`,
    { stderrTail: exit.stderrTail },
  );
}
