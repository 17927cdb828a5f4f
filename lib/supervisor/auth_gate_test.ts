import assert from "node:assert/strict";
import { AuthGate, REFUSAL_LOG_EVERY_MS } from "./auth_gate.ts";

Deno.test("at most max connections wait; a release frees one slot, once", () => {
  const gate = new AuthGate(2);
  const a = gate.enter();
  const b = gate.enter();
  assert.ok(a && b);
  assert.equal(gate.enter(), null);
  a();
  a();
  // One slot freed, not two.
  assert.ok(gate.enter());
  assert.equal(gate.enter(), null);
});

Deno.test("refusals are logged at once, then one line per period with the count", () => {
  const gate = new AuthGate(16);
  assert.match(gate.refused(1000) ?? "", /^Closed 1 connection\(s\) at once: 16 connections/);
  assert.equal(gate.refused(1001), null);
  assert.equal(gate.refused(1002), null);
  assert.match(gate.refused(1000 + REFUSAL_LOG_EVERY_MS) ?? "", /^Closed 3 connection/);
});
