import assert from "node:assert/strict";
import { compareVersions, PRETEND_VERSION_ENV, programVersion } from "./version.ts";

Deno.test("versions compare numerically; a pre-release sorts before its release", () => {
  assert.equal(compareVersions("0.10.0", "0.9.1"), 1);
  assert.equal(compareVersions("0.1.0", "0.1.0"), 0);
  assert.equal(compareVersions("0.1", "0.1.0"), 0);
  assert.equal(compareVersions("1.0.0-rc.1", "1.0.0"), -1);
  assert.equal(compareVersions("1.0.0", "1.0.0-rc.1"), 1);
  assert.equal(compareVersions("0.1.0", "99.0.0"), -1);
});

Deno.test("the hidden pretend version overrides the real one when set", () => {
  assert.equal(programVersion("0.1.0", {}), "0.1.0");
  assert.equal(programVersion("0.1.0", { [PRETEND_VERSION_ENV]: "" }), "0.1.0");
  assert.equal(programVersion("0.1.0", { [PRETEND_VERSION_ENV]: "9.9.9" }), "9.9.9");
});
