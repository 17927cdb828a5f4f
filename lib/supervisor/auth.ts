/**
 * The first line of a connection to the supervisor, and its answer: the front-end proves it knows
 * the supervisor's token in a line of at most {@link AUTH_LINE_MAX_BYTES}, and the supervisor
 * proves it knows it too before the front-end sends its hello (with its environment). So the
 * supervisor reads nothing large from a process that does not know the token, and a process on a
 * port a dead supervisor left in `info.json` never hears a hello.
 *
 * A proof is the HMAC-SHA256, keyed with the token, of `codex-swarm <role> <port> <nonce>`: the
 * role (`client` or `supervisor`) keeps one side's proof from serving as the other's, and the
 * port (the one the front-end dialled, the one the supervisor listens on) keeps a process on a
 * stale port from passing on either proof to the live supervisor. Over the Unix socket (0600, in
 * a 0700 directory) there is no token and no proof, but the same line and limits.
 *
 * The auth line keeps its form across hello protocols (only `codex_swarm_auth` changes), so a
 * supervisor can tell a newer front-end that proved the token from one it cannot serve.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * import { HELLO_PROTOCOL } from "./hello.ts";
 *
 * const token = "the supervisor's token";
 * const port = 38839;
 * const nonce = crypto.randomUUID();
 * const proof = proofOf(token, "client", port, nonce);
 * const line: AuthLine = {
 *   codex_swarm_auth: HELLO_PROTOCOL,
 *   version: "0.3.0",
 *   nonce,
 *   proof,
 * };
 * assert.deepEqual(parseAuthLine(JSON.stringify(line), HELLO_PROTOCOL), line);
 * assert.ok(proofHolds(proof, token, "client", port, nonce));
 * assert.ok(!proofHolds(proof, token, "supervisor", port, nonce)); // not the other side's
 * ```
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The longest auth line, in bytes: the line holds a version, a nonce and a 64-digit proof (about
 * 160 bytes), so 4 KB is ample, and 16 connections waiting for auth hold at most 64 KB.
 */
export const AUTH_LINE_MAX_BYTES = 4096;

/** The front-end's first line. */
export interface AuthLine {
  /** The hello protocol the front-end speaks. */
  codex_swarm_auth: number;
  /** The front-end's program version. */
  version: string;
  /** A random string chosen by the front-end (16 to 128 letters, digits and `-`). */
  nonce: string;
  /** Over the loopback port: {@link proofOf} the token, `client`, the port and the nonce. */
  proof?: string;
}

/** The supervisor's answer when the proof holds: go on with the hello. */
export interface AuthAnswer {
  codex_swarm_auth: number;
  /** Over the loopback port: {@link proofOf} the token, `supervisor`, the port and the nonce. */
  proof?: string;
}

/** Whose proof it is. */
export type ProofRole = "client" | "supervisor";

const NONCE = /^[A-Za-z0-9-]{16,128}$/;
const PROOF = /^[0-9a-f]{64}$/;
/** The longest version string (semver with a pre-release tag fits in far less). */
const MAX_VERSION_CHARS = 64;

/** The proof that `role` knows `token`, for `nonce` on `port`, as 64 hex digits (HMAC-SHA-256). */
export function proofOf(token: string, role: ProofRole, port: number, nonce: string): string {
  return createHmac("sha256", token).update(`codex-swarm ${role} ${port} ${nonce}`).digest("hex");
}

/** Whether `proof` is {@link proofOf} these (compared in constant time). */
export function proofHolds(
  proof: string,
  token: string,
  role: ProofRole,
  port: number,
  nonce: string,
): boolean {
  const wanted = Buffer.from(proofOf(token, role, port, nonce), "hex");
  return PROOF.test(proof) && timingSafeEqual(Buffer.from(proof, "hex"), wanted);
}

/**
 * Reads an auth line, or throws naming what is wrong with it: not JSON, a hello of protocol 1
 * (whose front-end sends its environment first), a missing, mistyped or unknown field.
 */
export function parseAuthLine(line: string, speaks: number): AuthLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error("Cannot read the first line: it is not JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("Cannot read the first line: it is not a JSON object");
  }
  const auth = value as Record<string, unknown>;
  if (auth.codex_swarm_auth === undefined) {
    const old = "codex_swarm_challenge" in auth || "codex_swarm_hello" in auth;
    throw new Error(
      old
        ? `Cannot serve hello protocol 1: this supervisor speaks ${speaks} (update the ` +
          `codex-swarm of this client)`
        : "Cannot read the first line: codex_swarm_auth is missing",
    );
  }
  const problem = (field: string, what: string) =>
    new Error(`Cannot read the first line: ${field} is not ${what}`);
  if (!Number.isSafeInteger(auth.codex_swarm_auth) || (auth.codex_swarm_auth as number) < 1) {
    throw problem("codex_swarm_auth", "a protocol number (an integer of at least 1)");
  }
  if (
    typeof auth.version !== "string" || auth.version === "" ||
    auth.version.length > MAX_VERSION_CHARS
  ) {
    throw problem("version", `a version (1 to ${MAX_VERSION_CHARS} characters)`);
  }
  if (typeof auth.nonce !== "string" || !NONCE.test(auth.nonce)) {
    throw problem("nonce", "16 to 128 letters, digits and -");
  }
  if (auth.proof !== undefined && (typeof auth.proof !== "string" || !PROOF.test(auth.proof))) {
    throw problem("proof", "64 lowercase hex digits");
  }
  const unknown = Object.keys(auth).filter(
    (key) => !["codex_swarm_auth", "version", "nonce", "proof"].includes(key),
  );
  if (unknown.length > 0) {
    throw new Error(`Cannot read the first line: unknown field ${JSON.stringify(unknown[0])}`);
  }
  return auth as unknown as AuthLine;
}
