/**
 * End-to-end: the single-file bundle (`deno bundle --platform deno`, as `deno task bundle` makes it)
 * answers MCP exactly like the source: the same server info, tools (names, schemas, annotations)
 * and resources as a server started from `main.ts`, and a real `codex` call through it works.
 *
 * @module
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { SERVER_PERMISSIONS } from "../lib/supervisor/permissions.ts";
import { bundleTaskArgs } from "../.github/scripts/npm_package.ts";
import type { Client } from "./support/sdk_client.ts";
import { makeWorld, startServer, textOf } from "./support/harness.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

const ROOT = new URL("../", import.meta.url).pathname;

/** A bundle of main.ts in a temporary directory, removed on dispose. */
interface Bundle extends AsyncDisposable {
  dir: string;
  path: string;
}

/** Bundles main.ts with the flags of the deno.json `bundle` task (only the output path differs). */
async function bundleMain(): Promise<Bundle> {
  const dir = await Deno.makeTempDir({ prefix: "codex-swarm-bundle-" });
  const path = `${dir}/codex-swarm.js`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: bundleTaskArgs(path),
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dispose = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  if (!out.success) {
    await dispose();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    throw new Error(
      `deno bundle exited ${out.code}:\n${decode(out.stdout)}\n${decode(out.stderr)}`,
    );
  }
  return { dir, path, [Symbol.asyncDispose]: dispose };
}

/** Everything a client learns from a server without running a tool. */
async function surface(client: Client) {
  const tools = (await client.listTools()).tools.toSorted((a, b) => a.name.localeCompare(b.name));
  const resources = (await client.listResources()).resources;
  const templates = (await client.listResourceTemplates()).resourceTemplates;
  return {
    serverInfo: client.getServerVersion(),
    capabilities: client.getServerCapabilities(),
    instructions: client.getInstructions(),
    tools,
    resources,
    templates,
  };
}

Deno.test("the bundle answers MCP exactly like main.ts", e2e, async (t) => {
  await using bundle = await bundleMain();

  await t.step("the bundle imports nothing but Node built-ins", async () => {
    const code = await Deno.readTextFile(bundle.path);
    const specifiers = [...code.matchAll(
      // Static imports start a line (the words "from" or "import" inside strings do not count).
      /^\s*(?:import|export)\b[^;"]*?\bfrom\s+"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)/gm,
    )]
      .map((m) => m[1] ?? m[2] ?? "");
    assert.ok(specifiers.length > 0, "no imports found: has the bundle format changed?");
    // ink loads its React DevTools module (which needs the optional react-devtools-core) only
    // when DEV=true and that package resolves; the bundle task keeps it out (--external).
    const foreign = specifiers.filter((s) => !s.startsWith("node:") && s !== "./devtools.js");
    assert.deepEqual(foreign, [], "the bundle must be self-contained");
    const shebang = code.split("\n", 1)[0];
    assert.equal(
      shebang,
      `#!/usr/bin/env -S deno run ${SERVER_PERMISSIONS.join(" ")}`,
      "the bundle's shebang (from main.ts) must carry the server's permissions",
    );
  });

  await t.step("deno run <bundle> --version prints the version from deno.json", async () => {
    // Outside the repository, without its config and with an empty DENO_DIR: nothing to fetch.
    const denoDir = `${bundle.dir}/deno-dir`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-config", ...SERVER_PERMISSIONS, bundle.path, "--version"],
      cwd: bundle.dir,
      env: { DENO_DIR: denoDir, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout).trim(), `codex-swarm ${denoJson.version}`);
  });

  // One world each: the bundle must run its own supervisor, not relay to main.ts's.
  await using world = await makeWorld();
  await using bundleWorld = await makeWorld();
  await using source = await startServer(world);
  await using bundled = await startServer(bundleWorld, { entry: bundle.path });

  await t.step("same server info, capabilities, tools and resources as main.ts", async () => {
    const expected = await surface(source.client);
    const actual = await surface(bundled.client);
    assert.equal(actual.serverInfo?.version, denoJson.version);
    assert.deepEqual(
      actual.tools.map((tool) => tool.name),
      expected.tools.map((tool) => tool.name),
    );
    for (const [i, tool] of actual.tools.entries()) {
      assert.deepEqual(tool.inputSchema, expected.tools[i]!.inputSchema, `${tool.name} input`);
    }
    assert.ok(actual.tools.some((tool) => tool.name === "codex"));
    assert.deepEqual(actual, expected);
  });

  await t.step("a codex call through the bundle runs Codex to its end", async () => {
    const prompt = "hello from the bundle";
    const result = await bundled.client.callTool(
      { name: "codex", arguments: { prompt } },
      undefined,
      { timeout: 120_000 },
    );
    assert.equal(result.isError, undefined, `${textOf(result)}\n${bundled.stderr().slice(-3000)}`);
    assert.equal(textOf(result), `MOCK-DONE ${prompt}`);
    const structured = result.structuredContent as { threadId: string; content: string };
    assert.equal(structured.content, `MOCK-DONE ${prompt}`);
    assert.match(structured.threadId, /^[0-9a-f-]{36}$/);
  });

  await t.step(
    "codex-swarm top --once runs from the bundle (its own server) and lists it",
    async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-config",
          ...SERVER_PERMISSIONS,
          bundle.path,
          "top",
          "--once",
        ],
        cwd: bundle.dir,
        env: bundleWorld.env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      assert.equal(out.code, 0, decode(out.stderr));
      assert.match(decode(out.stdout), /^codex-swarm top · 1 task ·/);
      assert.match(decode(out.stdout), /completed .*MOCK-DONE hello from the bundle/);
    },
  );
});
