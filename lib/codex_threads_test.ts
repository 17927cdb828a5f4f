import assert from "node:assert/strict";
import { findThreadRollout } from "./codex_threads.ts";

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
