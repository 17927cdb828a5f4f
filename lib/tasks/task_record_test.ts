import assert from "node:assert/strict";
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

Deno.test("a session's kind and task survive its record (a queued task after a restart)", () => {
  const back = sessionFromRecord(JSON.parse(JSON.stringify(sessionRecord(session))));
  assert.deepEqual(back, session);
  const fromTask = { ...session, kind: "task" as const, taskId: "66fa23f826e6" };
  assert.deepEqual(sessionFromRecord(sessionRecord(fromTask)), fromTask);
});

Deno.test("a record without a kind (written before sessions had one) reads as a task's", () => {
  const { kind: _, taskId: __, maxSandbox: ___, ...old } = sessionRecord(session);
  assert.deepEqual(sessionFromRecord(old), { ...session, kind: "task", taskId: null });
});
