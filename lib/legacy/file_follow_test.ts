import assert from "node:assert/strict";
import { followFile } from "./file_follow.ts";

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  return text;
}

Deno.test("followFile reads what is appended after it started, then closes on finish", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/out.txt`;
  const follower = followFile(path, { pollMs: 5 });
  const done = collect(follower.readable);
  await new Promise((r) => setTimeout(r, 30));
  await Deno.writeTextFile(path, "one\n");
  await new Promise((r) => setTimeout(r, 30));
  await Deno.writeTextFile(path, "two\n", { append: true });
  follower.finish();
  assert.equal(await done, "one\ntwo\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("followFile closes at once on abort", async () => {
  const dir = await Deno.makeTempDir();
  const controller = new AbortController();
  const follower = followFile(`${dir}/never.txt`, { pollMs: 10_000, signal: controller.signal });
  const done = collect(follower.readable);
  controller.abort();
  assert.equal(await done, "");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("followFile of a missing file closes when finished", async () => {
  const follower = followFile("/nonexistent/codex-swarm/file", { pollMs: 5 });
  follower.finish();
  assert.equal(await collect(follower.readable), "");
});
