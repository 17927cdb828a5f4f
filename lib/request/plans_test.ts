import assert from "node:assert/strict";
import { checkAttempts } from "./plans.ts";
import { RequestError } from "../tasks/request_error.ts";

Deno.test("checkAttempts: range, worktree, no reply", () => {
  const refused = (attempts: number, request: object, part: string) =>
    assert.throws(() => checkAttempts({ prompt: "p", ...request }, attempts), (e: unknown) => {
      assert.ok(e instanceof RequestError);
      assert.equal(e.field, "attempts");
      assert.ok(e.message.includes(part), e.message);
      return true;
    });
  checkAttempts({ prompt: "p", worktree: true }, 2);
  checkAttempts({ prompt: "p", worktree: true }, 8);
  refused(1, { worktree: true }, "2 to 8");
  refused(9, { worktree: true }, "2 to 8");
  refused(2.5, { worktree: true }, "2 to 8");
  refused(4, {}, "worktree: true");
  refused(4, { worktree: true, threadId: "01a23379-8b64-73e0-b586-c4440ada693c" }, "reply");
});
