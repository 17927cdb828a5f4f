import assert from "node:assert/strict";
import { Policy } from "../codex/policy.ts";
import { checkMayAct, grantWithin, mayBeAsked } from "./session_rights.ts";

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

Deno.test("grantWithin: no write or network under read-only; no write outside the roots", () => {
  const asked = {
    network: { enabled: true },
    fileSystem: {
      read: ["/etc"],
      write: ["/src/app", "/home/me/.ssh"],
      entries: [
        { path: { type: "path", path: "/src/lib" }, access: "write" },
        { path: { type: "glob_pattern", pattern: "**" }, access: "write" },
        { path: { type: "path", path: "/etc" }, access: "read" },
      ],
    },
  };
  const rooted = grantWithin(asked, new Policy({ allowRoots: ["/src"] }));
  assert.deepEqual(rooted.permissions, {
    network: { enabled: true },
    fileSystem: {
      read: ["/etc"],
      write: ["/src/app"],
      entries: [
        { path: { type: "path", path: "/src/lib" }, access: "write" },
        { path: { type: "path", path: "/etc" }, access: "read" },
      ],
    },
  });
  assert.deepEqual(rooted.dropped, ["write /home/me/.ssh", "write glob_pattern"]);
  const readOnly = grantWithin(asked, new Policy({ maxSandbox: "read-only" }));
  assert.deepEqual(readOnly.permissions.network, { enabled: false });
  assert.deepEqual((readOnly.permissions.fileSystem as { write: string[] }).write, []);
  assert.equal(grantWithin(asked, new Policy()).dropped.length, 0);
});
