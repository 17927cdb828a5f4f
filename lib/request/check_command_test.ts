import assert from "node:assert/strict";
import { checkCheckCommand, programOf } from "./check_command.ts";
import { RequestError } from "../tasks/request_error.ts";

const ENV = { PATH: "/nonexistent:/usr/bin:/bin" };

function refused(command: string, env: Record<string, string>, pattern: RegExp): void {
  assert.throws(() => checkCheckCommand(command, env), (error: unknown) => {
    assert.ok(error instanceof RequestError, String(error));
    assert.equal(error.field, "check");
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("programOf: the first plain word, not a builtin, path, assignment or expansion", () => {
  assert.equal(programOf("npm test"), "npm");
  assert.equal(programOf("  grep -q pass result.txt && echo ok"), "grep");
  assert.equal(programOf("test -f x"), null);
  assert.equal(programOf("[ -f x ]"), null);
  assert.equal(programOf("./run-tests"), null);
  assert.equal(programOf("CI=1 npm test"), null);
  assert.equal(programOf("$(which npm) test"), null);
  assert.equal(programOf("if true; then :; fi"), null);
});

Deno.test("checkCheckCommand: a program on the PATH, a builtin, a path are fine", () => {
  checkCheckCommand("grep -q pass result.txt", ENV);
  checkCheckCommand("sh -c 'exit 0'", ENV);
  checkCheckCommand("test -f result.txt", { PATH: "" });
  checkCheckCommand("./no-such-script", ENV);
});

Deno.test("checkCheckCommand: empty, NUL, a program not on the PATH are refused", () => {
  refused("", ENV, /check as it is empty/);
  refused("  \n", ENV, /check as it is empty/);
  refused("grep\0x", ENV, /NUL byte/);
  refused("no-such-program-xyz --all", ENV, /"no-such-program-xyz" is not on the session's PATH/);
  refused("grep x", { PATH: "" }, /PATH \(empty\)/);
});
