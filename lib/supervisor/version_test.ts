import assert from "node:assert/strict";
import { PRETEND_VERSION_ENV, programVersion } from "./version.ts";

Deno.test("the hidden pretend version overrides the real one when set", () => {
  assert.equal(programVersion("0.1.0", {}), "0.1.0");
  assert.equal(programVersion("0.1.0", { [PRETEND_VERSION_ENV]: "" }), "0.1.0");
  assert.equal(programVersion("0.1.0", { [PRETEND_VERSION_ENV]: "9.9.9" }), "9.9.9");
});
