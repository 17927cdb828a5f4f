import assert from "node:assert/strict";
import type { AppServer } from "../codex/app_server.ts";
import { initialTurnState } from "../codex/turn_state.ts";
import { taskMeta } from "../../tests/support/task_meta.ts";
import { collectReview } from "./task_ending.ts";
import { TaskRecord } from "./task_record.ts";

Deno.test("collectReview keeps what Codex sent while the review's rollout was read", async () => {
  const home = await Deno.makeTempDir({ prefix: "codex-home-" });
  try {
    const threadId = "01a23379-8b64-73e0-b586-c4440ada693c";
    await Deno.mkdir(`${home}/sessions/2026/12/06`, { recursive: true });
    // The thread's rollout, its review not written yet: readReview waits for it (2 s).
    await Deno.writeTextFile(
      `${home}/sessions/2026/12/06/rollout-2026-12-06T00-00-00-${threadId}.jsonl`,
      JSON.stringify({ type: "session_meta", payload: { id: threadId } }) + "\n",
    );
    const meta = taskMeta("t1", {
      phase: "running",
      threadId,
      turnId: "turn-1",
      startedAt: new Date().toISOString(),
      request: { prompt: "review", review: { spec: { uncommitted: true } } },
    });
    const record = new TaskRecord(meta, null);
    record.server = { info: { codexHome: home } } as unknown as AppServer;
    const usage = {
      inputTokens: 10,
      cachedInputTokens: 0,
      outputTokens: 5,
      reasoningOutputTokens: 0,
    };
    record.run = { ...initialTurnState(), usage };
    // A warning after the turn ended, as event_routing.ts folds it into the run meanwhile.
    const late = setTimeout(() => {
      record.run = { ...record.run, warnings: ["late warning"] };
    }, 100);
    try {
      await collectReview(record);
    } finally {
      clearTimeout(late);
    }
    assert.deepEqual(record.run.warnings, ["late warning"]);
    assert.deepEqual(record.run.usage, usage);
    assert.deepEqual(record.run.usageTotal, usage);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
