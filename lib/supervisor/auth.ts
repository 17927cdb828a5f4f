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
 * import { parseAuthLine } from "./hello_check.ts";
 *
 * const token = "the supervisor's token";
 * const port = 38839;
 * const nonce = crypto.randomUUID();
 * const proof = await proofOf(token, "client", port, nonce);
 * const line = { codex_swarm_auth: HELLO_PROTOCOL, version: "0.3.0", nonce, proof };
 * assert.deepEqual(parseAuthLine(JSON.stringify(line)), line); // the supervisor reads it
 * assert.ok(await proofHolds(proof, token, "client", port, nonce));
 * assert.ok(!await proofHolds(proof, token, "supervisor", port, nonce)); // not the other side's
 * ```
 * @module
 */

/**
 * The longest auth line, in bytes: the line holds a version, a nonce and a 64-digit proof (about
 * 160 bytes), so 4 KB is ample, and 16 connections waiting for auth hold at most 64 KB.
 */
export const AUTH_LINE_MAX_BYTES = 4096;

/** The supervisor's answer when the proof holds: go on with the hello. */
export interface AuthAnswer {
  codex_swarm_auth: number;
  /** Over the loopback port: {@link proofOf} the token, `supervisor`, the port and the nonce. */
  proof?: string;
}

/** Whose proof it is. */
export type ProofRole = "client" | "supervisor";

/** A proof: 64 lowercase hex digits. */
export const PROOF = /^[0-9a-f]{64}$/;

function hmacKey(token: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(token),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

function proofMessage(role: ProofRole, port: number, nonce: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`codex-swarm ${role} ${port} ${nonce}`);
}

/** The proof that `role` knows `token`, for `nonce` on `port`, as 64 hex digits. */
export async function proofOf(
  token: string,
  role: ProofRole,
  port: number,
  nonce: string,
): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(token),
    proofMessage(role, port, nonce),
  );
  return new Uint8Array(mac).toHex();
}

/** Whether `proof` is {@link proofOf} these (compared in constant time). */
export async function proofHolds(
  proof: string,
  token: string,
  role: ProofRole,
  port: number,
  nonce: string,
): Promise<boolean> {
  if (!PROOF.test(proof)) return false;
  return await crypto.subtle.verify(
    "HMAC",
    await hmacKey(token),
    Uint8Array.fromHex(proof),
    proofMessage(role, port, nonce),
  );
}
