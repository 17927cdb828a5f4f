/**
 * Proves the MCP SDK's types are real under `deno check`: its `.js` subpath imports would type-check
 * as `any` without the hints in lib/mcp/sdk.ts, and then a deliberate type error would pass.
 */

import assert from "node:assert/strict";

const root = new URL("../", import.meta.url).pathname;

async function check(source: string): Promise<{ ok: boolean; output: string }> {
  const path = `${root}tests/.type_probe_${crypto.randomUUID().slice(0, 8)}.ts`;
  await Deno.writeTextFile(path, source);
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", path],
      cwd: root,
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    return { ok: out.success, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
  } finally {
    await Deno.remove(path);
  }
}

const header = `import { McpServer } from "../lib/mcp/sdk.ts";\n` +
  `import { Client } from "./support/sdk_client.ts";\n`;

Deno.test("a deliberate type error in SDK use fails deno check; correct use passes", async () => {
  const good = await check(
    header +
      `const server = new McpServer({ name: "x", version: "1" });\n` +
      `const client = new Client({ name: "y", version: "1" });\n` +
      `export const ok: boolean = server.isConnected() && client.getServerVersion() === undefined;\n`,
  );
  assert.ok(good.ok, good.output);
  const bad = await check(
    header +
      `const server = new McpServer({ name: "x", version: "1" });\n` +
      `export const n: number = server.isConnected();\n` +
      `// @ts-expect-error McpServer has no such method: fails only if the types are real.\n` +
      `server.noSuchMethod();\n`,
  );
  assert.equal(bad.ok, false, "deno check accepted a type error: the SDK types are any");
  assert.match(bad.output, /TS2322/);
  assert.doesNotMatch(bad.output, /TS2578/, "the expected error did not happen: types are any");
});
