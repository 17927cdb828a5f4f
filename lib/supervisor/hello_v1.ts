/**
 * Hello protocol 1, as codex-swarm spoke it until protocol 2: over the loopback port the
 * front-end sends a challenge (a nonce), the supervisor answers SHA-256 of `token:nonce`, and the
 * front-end sends its hello with the token in it; over the Unix socket the hello comes first.
 *
 * A front-end speaks it only to a supervisor of protocol 1 (whose answer to the auth line has no
 * `protocol`), so that a newer codex-swarm still replaces an older supervisor that is idle, and is
 * served by one that is busy (as a newer version of the same protocol is), until it retires. The
 * supervisor never speaks it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // The front-end sends the challenge, and its hello (helloV1) once the proof is right.
 * const nonce = crypto.randomUUID();
 * assert.deepEqual(challengeV1(nonce), { codex_swarm_challenge: nonce });
 * const proof = await proofV1("token", nonce); // what a supervisor of protocol 1 answers
 * assert.match(proof, /^[0-9a-f]{64}$/);
 * ```
 * @module
 */

import type { Hello } from "./hello.ts";

/** The front-end's first line over the loopback port. */
export function challengeV1(nonce: string): { codex_swarm_challenge: string } {
  return { codex_swarm_challenge: nonce };
}

/** What a supervisor of protocol 1 answers a challenge: SHA-256 of `token:nonce`, hex. */
export async function proofV1(token: string, nonce: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${token}:${nonce}`),
  );
  return new Uint8Array(digest).toHex();
}

/** The hello of protocol 1: this hello, with the token over the loopback port. */
export function helloV1(hello: Hello, token: string | undefined): string {
  return JSON.stringify({ ...hello, codex_swarm_hello: 1, ...(token ? { token } : {}) });
}
