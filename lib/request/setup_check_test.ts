import assert from "node:assert/strict";
import { checkCopyPatterns, planSetup } from "./setup_check.ts";
import { hasSetup } from "../git/worktree_setup.ts";
import { RequestError } from "../tasks/request_error.ts";

function refused(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RequestError, String(error));
    assert.equal(error.field, field, error.message);
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("planSetup: the call's command, else the session's; none for \"\" or no new worktree", () => {
  assert.deepEqual(planSetup({}, undefined, "new"), {});
  assert.deepEqual(planSetup({}, "npm ci", "new"), { setup: "npm ci" });
  assert.deepEqual(planSetup({ setup: "make" }, "npm ci", "new"), { setup: "make" });
  assert.deepEqual(planSetup({ setup: "" }, "npm ci", "new"), {});
  assert.deepEqual(planSetup({ copyIgnored: [".env"] }, undefined, "new"), {
    copyIgnored: [".env"],
  });
  // The session's default never applies without a new worktree; an explicit ask is an error.
  assert.deepEqual(planSetup({}, "npm ci", "none"), {});
  assert.deepEqual(planSetup({}, "npm ci", "inherited"), {});
  assert.deepEqual(planSetup({ setup: "", copyIgnored: [] }, "npm ci", "none"), {});
  refused(() => planSetup({ setup: "make" }, undefined, "none"), "setup", /worktree: true/);
  refused(
    () => planSetup({ setup: "make" }, undefined, "inherited"),
    "setup",
    /continues in the worktree of its thread/,
  );
  refused(
    () => planSetup({ copyIgnored: [".env"] }, undefined, "none"),
    "copy_ignored",
    /only into a new worktree/,
  );
  refused(() => planSetup({ setup: "a\0b" }, undefined, "new"), "setup", /NUL/);
  assert.equal(hasSetup({}), false);
  assert.equal(hasSetup({ copyIgnored: [] }), false);
  assert.equal(hasSetup({ setup: "x" }), true);
});

Deno.test("checkCopyPatterns: relative globs inside the repository only", () => {
  checkCopyPatterns([".env", "node_modules/**", "./config/*.json", "build/"]);
  refused(() => checkCopyPatterns([".env", ""]), "copy_ignored[1]", /not a glob/);
  refused(() => checkCopyPatterns(["./"]), "copy_ignored[0]", /not a glob/);
  refused(() => checkCopyPatterns(["/etc/passwd"]), "copy_ignored[0]", /absolute/);
  refused(() => checkCopyPatterns(["C:/x"]), "copy_ignored[0]", /absolute/);
  refused(() => checkCopyPatterns(["a/../../b"]), "copy_ignored[0]", /".."/);
  refused(() => checkCopyPatterns(["..\\b"]), "copy_ignored[0]", /".."/);
  refused(() => checkCopyPatterns(["a\0"]), "copy_ignored[0]", /NUL/);
});
