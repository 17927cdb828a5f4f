/**
 * Inputs end to end, with the real Codex against the fake Responses API: an image given in
 * `images` reaches the model as an `input_image` holding the file's bytes, also on `codex-reply`;
 * `add_dirs` lets a command Codex runs write into a directory beside the task's cwd, and without
 * it the sandbox denies that write; on a thread Codex makes read-only the task fails before any
 * model call.
 *
 * The server runs with `/tmp` and `$TMPDIR` out of the sandbox (see support/sandbox_args.ts).
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import { startHarness, textOf } from "./support/harness.ts";
import { TMP_OUT_OF_SANDBOX } from "./support/sandbox_args.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** A real 1x1 PNG (signature, IHDR, IDAT, IEND). */
export const TINY_PNG = new Uint8Array([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  0x00,
  0x00,
  0x00,
  0x0d,
  0x49,
  0x48,
  0x44,
  0x52,
  0x00,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x08,
  0x02,
  0x00,
  0x00,
  0x00,
  0x90,
  0x77,
  0x53,
  0xde,
  0x00,
  0x00,
  0x00,
  0x0c,
  0x49,
  0x44,
  0x41,
  0x54,
  0x78,
  0x9c,
  0x63,
  0xf8,
  0xcf,
  0xc0,
  0x00,
  0x00,
  0x03,
  0x01,
  0x01,
  0x00,
  0xc9,
  0xfe,
  0x92,
  0xef,
  0x00,
  0x00,
  0x00,
  0x00,
  0x49,
  0x45,
  0x4e,
  0x44,
  0xae,
  0x42,
  0x60,
  0x82,
]);

type Run = { threadId: string; content: string };

async function run(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool(
    { name, arguments: args },
    undefined,
    { timeout: 90_000 },
  );
  return result;
}

/** The `input_image` URLs of the newest user message of a request the fake saw. */
function imagesOf(body: Record<string, unknown>): string[] {
  const input = (body.input ?? []) as Array<{ role?: string; content?: unknown }>;
  const user = input.filter((i) => i.role === "user").at(-1);
  const parts = Array.isArray(user?.content) ? user.content as Array<Record<string, unknown>> : [];
  return parts.filter((p) => p.type === "input_image").map((p) => String(p.image_url));
}

Deno.test("images reach the model; add_dirs makes a directory writable", e2e, async (t) => {
  await using h = await startHarness({
    // Every task stops within a minute: Codex without network would retry forever.
    args: ["--task-timeout", "60", ...TMP_OUT_OF_SANDBOX],
  });
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "inputs-test-" }));
  const project = `${base}/project`;
  const shared = `${base}/shared`;
  await Deno.mkdir(`${project}/pics`, { recursive: true });
  await Deno.mkdir(shared);
  await Deno.writeFile(`${project}/pics/shot.png`, TINY_PNG);
  const dataUrl = `data:image/png;base64,${btoa(String.fromCharCode(...TINY_PNG))}`;
  try {
    let threadId = "";
    await t.step("codex: the image's bytes reach the model as an input_image", async () => {
      const before = h.world.fake.requests.length;
      const result = await run(h.client, "codex", {
        prompt: "describe the picture",
        cwd: project,
        images: ["pics/shot.png"],
      });
      assert.equal(result.isError, undefined, textOf(result));
      threadId = (result.structuredContent as Run).threadId;
      const seen = h.world.fake.requests.slice(before);
      assert.ok(seen.length > 0, "the model got no request");
      assert.deepEqual(imagesOf(seen[0]!.body), [dataUrl]);
      assert.equal(seen[0]!.prompt.split("\n")[0], "describe the picture");
    });

    await t.step("codex-reply: an image attached to the next prompt", async () => {
      const before = h.world.fake.requests.length;
      const result = await run(h.client, "codex-reply", {
        threadId,
        prompt: "and this one",
        cwd: project,
        images: [`${project}/pics/shot.png`],
      });
      assert.equal(result.isError, undefined, textOf(result));
      assert.deepEqual(imagesOf(h.world.fake.requests[before]!.body), [dataUrl]);
    });

    const write = `RUN=echo written > ${shared}/out.txt; echo "exit=$?"`;
    await t.step("without add_dirs the sandbox denies a write beside cwd", async () => {
      const result = await run(h.client, "codex", {
        prompt: `write it ${write}`,
        cwd: project,
        sandbox: "workspace-write",
      });
      assert.equal(result.isError, undefined, textOf(result));
      const { content } = result.structuredContent as Run;
      assert.match(content, /exit=[1-9]/, content);
      assert.match(content, /Read-only file system|Permission denied/i, content);
      await assert.rejects(Deno.stat(`${shared}/out.txt`));
    });

    await t.step("with add_dirs the same command writes there", async () => {
      const result = await run(h.client, "codex", {
        prompt: `write it ${write}`,
        cwd: project,
        sandbox: "workspace-write",
        add_dirs: ["../shared"],
      });
      assert.equal(result.isError, undefined, textOf(result));
      const { content } = result.structuredContent as Run;
      assert.match(content, /exit=0/, content);
      assert.equal(await Deno.readTextFile(`${shared}/out.txt`), "written\n");
    });
    await t.step(
      "add_dirs on a thread Codex's config makes read-only fails before the model",
      async () => {
        const before = h.world.fake.requests.length;
        const result = await run(h.client, "codex", {
          prompt: `write it ${write}`,
          cwd: project,
          add_dirs: ["../shared"],
        });
        // This world's Codex config sets no sandbox: Codex picks read-only for the thread.
        assert.equal(result.isError, true);
        assert.match(textOf(result), /failed: Cannot add add_dirs\[0\] .*read-only/);
        assert.equal(h.world.fake.requests.length, before, "the model was called");
      },
    );
  } finally {
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
});
