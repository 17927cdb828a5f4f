import assert from "node:assert/strict";
import { Policy } from "../codex/policy.ts";
import type { Session } from "./engine_api.ts";
import { sessionFromRecord, sessionRecord } from "./task_record.ts";

const session: Session = {
  id: "s-1",
  kind: "client",
  taskId: null,
  defaults: { overrides: [], skipGitRepoCheck: false, ephemeral: false },
  taskTimeoutS: 60,
  cwd: "/repo",
  env: { PATH: "/bin" },
};

/** The operator's policy: no ceiling, no roots. */
const operator = new Policy();

/** A session's policy after a restart: its sandbox ceiling, no roots. */
const ceiling = (maxSandbox: "read-only" | null) => new Policy({ maxSandbox });

Deno.test("a session's kind and task survive its record (a queued task after a restart)", () => {
  const back = sessionFromRecord(JSON.parse(JSON.stringify(sessionRecord(session))), operator);
  assert.deepEqual(back, { ...session, policy: ceiling(null) });
  const fromTask = { ...session, kind: "task" as const, taskId: "66fa23f826e6" };
  assert.deepEqual(sessionFromRecord(sessionRecord(fromTask), operator), {
    ...fromTask,
    policy: ceiling(null),
  });
  const narrowed = { ...session, policy: ceiling("read-only") };
  assert.equal(
    sessionFromRecord(sessionRecord(narrowed), operator).policy?.maxSandbox,
    "read-only",
  );
});

Deno.test("a record without a kind (written before sessions had one) reads as a task's", () => {
  const { kind: _, taskId: __, maxSandbox: ___, ...old } = sessionRecord(session);
  assert.deepEqual(sessionFromRecord(old, operator), {
    ...session,
    kind: "task",
    taskId: null,
    policy: ceiling(null),
  });
});

Deno.test("a session's roots and ceiling hold after a restart; an old record takes the operator's", () => {
  const narrowed = { ...session, policy: new Policy({ allowRoots: ["/repo"] }) };
  const back = sessionFromRecord(JSON.parse(JSON.stringify(sessionRecord(narrowed))), operator);
  assert.deepEqual(back.policy.allowRoots, ["/repo"]);
  const strict = new Policy({ maxSandbox: "read-only", allowRoots: ["/srv"] });
  const { allowRoots: _, ...old } = sessionRecord({ ...session, policy: ceiling(null) });
  const upgraded = sessionFromRecord(old, strict);
  assert.deepEqual(upgraded.policy.allowRoots, ["/srv"]);
  assert.equal(upgraded.policy.maxSandbox, "read-only");
});
