import assert from "node:assert/strict";
import { checkMayAct, mayBeAsked } from "./session_rights.ts";

Deno.test("a task session acts only on the tasks it started; a client on any", () => {
  const mine = { id: "t1", session: { id: "s-task" } };
  const other = { id: "t2", session: { id: "s-client" } };
  checkMayAct({ id: "s-task", kind: "task" }, mine, "cancel");
  checkMayAct({ id: "s-client", kind: "client" }, mine, "cancel");
  assert.throws(
    () => checkMayAct({ id: "s-task", kind: "task" }, other, "approve"),
    /Cannot approve task "t2" from session s-task, which a task's own process opened/,
  );
  assert.throws(() => checkMayAct({ id: "s-task", kind: "task" }, { id: "t3" }, "steer"));
  assert.equal(mayBeAsked({ id: "s", kind: "task" }), false);
  assert.equal(mayBeAsked({ id: "s", kind: "client" }), true);
});
