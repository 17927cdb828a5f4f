/**
 * End-to-end: a task directory written by codex-swarm 0.1 (one `codex exec --json` per task, no
 * `engine` in `meta.json`) opens in this version. Its tasks are listed (one that had started and not
 * ended `interrupted`, not followed even while its process lives) with the thread id and final
 * message `meta.json` holds, `codex-reply` continues the thread its `codex exec` made, and a queued
 * one runs.
 */

import assert from "node:assert/strict";
import { makeWorld, startServer, textOf } from "./support/harness.ts";
import { v01Meta } from "./support/task_meta.ts";
import { call, type TaskView, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** Runs `codex exec --json` as codex-swarm 0.1 did; returns the id of the thread it made. */
async function execThread(env: Record<string, string>, prompt: string): Promise<string> {
  const out = await new Deno.Command("codex", {
    args: ["exec", "--json", "--skip-git-repo-check", "--", prompt],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const id = /"type":"thread\.started","thread_id":"([^"]+)"/.exec(stdout)?.[1];
  assert.ok(id, `codex exec made no thread: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  return id;
}

/** Writes a task directory as codex-swarm 0.1 did (lib/task.ts and lib/task_store.ts of 0.1.0). */
async function writeV01Task(taskDir: string, meta: Record<string, unknown>): Promise<void> {
  const dir = `${taskDir}/${meta.id}`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const full = v01Meta(meta.id as string, {
    request: { prompt: "0.1 prompt", cwd: Deno.cwd() },
    startedAt: "2026-01-01T00:00:01.000Z",
    cwd: Deno.cwd(),
    ...meta,
  });
  await Deno.writeTextFile(`${dir}/meta.json`, JSON.stringify(full, null, 2) + "\n");
  // What 0.1 kept beside it, which this version no longer reads.
  await Deno.writeTextFile(`${dir}/events.jsonl`, '{"type":"turn.started"}\n');
  await Deno.writeTextFile(`${dir}/stderr.log`, "");
}

Deno.test(
  "a task directory of codex-swarm 0.1 opens: listed, interrupted, continued",
  e2e,
  async () => {
    await using world = await makeWorld();
    const thread = await execThread(world.env, "begun under 0.1");
    // Stands for a 0.1 `codex exec` still running at the upgrade: this version does not follow it.
    const running = new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" })
      .spawn();
    try {
      await writeV01Task(world.taskDir, {
        id: "0a0a0a0a0a01",
        phase: "running",
        pid: running.pid,
        pidStartTime: "Thu Jan  1 00:00:01 2026",
        threadId: thread,
        owner: { pid: 1, startTime: null },
      });
      await writeV01Task(world.taskDir, {
        id: "0a0a0a0a0a02",
        phase: "completed",
        endedAt: "2026-01-01T00:01:00.000Z",
        threadId: thread,
        finalMessage: "MOCK-DONE begun under 0.1",
        exit: { code: 0, signal: null },
      });
      await writeV01Task(world.taskDir, { id: "0a0a0a0a0a03", phase: "lost", failure: "gone" });
      await writeV01Task(world.taskDir, {
        id: "0a0a0a0a0a04",
        phase: "queued",
        startedAt: null,
        request: { prompt: "queued under 0.1", cwd: Deno.cwd() },
      });
      await using server = await startServer(world);

      const listed = await call(server.client, "codex_list", {});
      assert.equal(listed.isError, undefined, textOf(listed));
      const ids = ["0a0a0a0a0a01", "0a0a0a0a0a02", "0a0a0a0a0a03"];
      for (const id of ids) assert.match(textOf(listed), new RegExp(id));
      const status = await call(server.client, "codex_status", { task_ids: ids, detail: "full" });
      assert.equal(status.isError, undefined, textOf(status));
      const [cut, done, lost] = (status.structuredContent as { tasks: TaskView[] }).tasks;
      // Listed at once as interrupted, while its process still lives: not followed.
      assert.equal(cut!.phase, "interrupted");
      assert.equal(cut!.thread_id, thread);
      assert.equal(
        cut!.failure,
        `Started by codex-swarm 0.1, whose codex exec (pid ${running.pid}) this version does not ` +
          `follow; its thread ${thread} can be continued with codex-reply`,
      );
      assert.equal(done!.phase, "completed");
      assert.equal(done!.thread_id, thread);
      assert.equal(done!.final_message, "MOCK-DONE begun under 0.1");
      assert.equal(lost!.phase, "interrupted");
      assert.match(lost!.failure ?? "", /^gone\. Started by codex-swarm 0\.1/);
      // The removed fields of 0.1's process are not shown.
      const view = (status.structuredContent as { tasks: Record<string, unknown>[] }).tasks[0]!;
      for (const field of ["pid", "exit", "stderr_tail"]) assert.ok(!(field in view), field);

      // A queued one (it never started) runs, for the supervisor's own session.
      const [queued] = await waitAll<TaskView>(server.client, ["0a0a0a0a0a04"]);
      assert.equal(queued!.phase, "completed", queued!.failure ?? "");
      assert.equal(queued!.final_message, "MOCK-DONE queued under 0.1");

      const reply = await call(server.client, "codex-reply", {
        threadId: thread,
        prompt: "go on after the upgrade",
      });
      assert.equal(reply.isError, undefined, textOf(reply));
      assert.match(textOf(reply), /^MOCK-DONE .*go on after the upgrade$/);
      // The reply continued the exec's thread: the model saw its history.
      const last = world.fake.requests.at(-1)!;
      assert.ok(
        last.conversation.some((m) => m.role === "user" && m.text.includes("begun under 0.1")),
        JSON.stringify(last.conversation),
      );
    } finally {
      running.kill("SIGKILL");
      await running.status;
    }
  },
);
