import assert from "node:assert/strict";
import { findReviewRollouts, findThreadRollout, lastTokenUsage } from "./codex_threads.ts";

Deno.test("a thread is found by its rollout file; an unknown one is not", async () => {
  const home = await Deno.makeTempDir();
  try {
    const id = "01a23379-8b64-73e0-b586-c4440ada693c";
    await Deno.mkdir(`${home}/sessions/2026/12/01`, { recursive: true });
    const file = `${home}/sessions/2026/12/01/rollout-2026-12-01T21-18-53-${id}.jsonl`;
    await Deno.writeTextFile(file, "{}\n");
    assert.equal(findThreadRollout(home, id), file);
    assert.equal(findThreadRollout(home, "01a23379-8b64-73e0-b586-c4440ada6930"), null);
    assert.equal(findThreadRollout(`${home}/nothing`, id), null);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("findReviewRollouts and lastTokenUsage: the reviewer's rollout of a thread, its usage", async () => {
  const home = await Deno.makeTempDir({ prefix: "codex-home-" });
  const day = `${home}/sessions/2026/12/02`;
  await Deno.mkdir(day, { recursive: true });
  const meta = (id: string, extra: Record<string, unknown>) =>
    JSON.stringify({ type: "session_meta", payload: { id, ...extra } });
  const usage = (input: number) =>
    JSON.stringify({
      type: "event_msg",
      payload: {
        type: "token_count",
        info: {
          total_token_usage: { input_tokens: input, cached_input_tokens: 1, output_tokens: 5 },
        },
      },
    });
  const parent = "01a2-parent";
  await Deno.writeTextFile(`${day}/rollout-a-${parent}.jsonl`, meta(parent, { source: "vscode" }));
  await Deno.writeTextFile(
    `${day}/rollout-b-sub.jsonl`,
    [
      meta("sub", { parent_thread_id: parent, source: { subagent: "review" } }),
      usage(10),
      usage(20),
    ]
      .join("\n"),
  );
  await Deno.writeTextFile(
    `${day}/rollout-c-other.jsonl`,
    meta("other", { parent_thread_id: "someone-else", source: { subagent: "review" } }),
  );
  const found = await findReviewRollouts(home, parent, 0);
  assert.deepEqual(found, [`${day}/rollout-b-sub.jsonl`]);
  assert.deepEqual(await lastTokenUsage(found[0]!), {
    inputTokens: 20,
    cachedInputTokens: 1,
    outputTokens: 5,
    reasoningOutputTokens: 0,
  });
  assert.deepEqual(await findReviewRollouts(home, parent, Date.now() + 60_000), []);
  assert.equal(await lastTokenUsage(`${day}/rollout-a-${parent}.jsonl`), null);
  await Deno.remove(home, { recursive: true });
});
