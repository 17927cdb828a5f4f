import assert from "node:assert/strict";
import { proofHolds, proofOf } from "./auth.ts";
import { parseAuthLine } from "./hello_check.ts";

const NONCE = "0123456789abcdef-nonce";

Deno.test("a proof holds only for its token, role, port and nonce", async () => {
  const proof = await proofOf("tok", "client", 4000, NONCE);
  assert.match(proof, /^[0-9a-f]{64}$/);
  // HMAC-SHA-256 keyed by the token, of "codex-swarm <role> <port> <nonce>": what every version
  // of protocol 2 sends and checks.
  assert.equal(
    await proofOf("tok", "client", 4000, "abc"),
    "28727f2843dc28a4119c697ee649471603fbf262413bb3a7c2c1d745bc496cca",
  );
  assert.equal(await proofHolds(proof, "tok", "client", 4000, NONCE), true);
  assert.equal(await proofHolds(proof, "other", "client", 4000, NONCE), false);
  // The supervisor's proof is not the client's, nor is a proof for another port or nonce.
  assert.equal(await proofHolds(proof, "tok", "supervisor", 4000, NONCE), false);
  assert.equal(await proofHolds(proof, "tok", "client", 4001, NONCE), false);
  assert.equal(await proofHolds(proof, "tok", "client", 4000, `${NONCE}x`), false);
  assert.equal(await proofHolds("zz", "tok", "client", 4000, NONCE), false);
});

Deno.test("an auth line is read strictly, each problem naming its field", () => {
  const line = { codex_swarm_auth: 2, version: "1.0.0", nonce: NONCE, proof: "a".repeat(64) };
  assert.deepEqual(parseAuthLine(JSON.stringify(line)), line);
  const { proof: _, ...unix } = line;
  assert.deepEqual(parseAuthLine(JSON.stringify(unix)), unix);
  const refused = (value: unknown, message: RegExp) =>
    assert.throws(() => parseAuthLine(JSON.stringify(value)), message);
  assert.throws(() => parseAuthLine("{"), /Cannot read the first line: it is not JSON/);
  refused([1], /not a JSON object/);
  refused({}, /codex_swarm_auth is missing/);
  // What front-ends of protocol 1 send first: a challenge, or (over the Unix socket) the hello.
  refused({ codex_swarm_challenge: NONCE }, /Cannot serve hello protocol 1: .* speaks 2/);
  refused({ codex_swarm_hello: 1, env: {} }, /Cannot serve hello protocol 1/);
  refused({ ...line, codex_swarm_auth: "2" }, /codex_swarm_auth is not a protocol number/);
  refused({ ...line, version: 2 }, /version is not a version/);
  refused({ ...line, version: "1".repeat(65) }, /version is not a version \(1 to 64/);
  refused({ ...line, nonce: "short" }, /nonce is not 16 to 128/);
  refused({ ...line, proof: "A".repeat(64) }, /proof is not 64 lowercase hex digits/);
  refused({ ...line, token: "t" }, /unknown field "token"/);
});
