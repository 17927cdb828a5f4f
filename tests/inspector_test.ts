/**
 * End-to-end with a third-party MCP client: the MCP Inspector CLI (fetched by `npx` from the npm
 * registry, pinned) launches the server over stdio, lists its tools and calls `codex`, which runs
 * the real Codex CLI against the fake Responses API.
 *
 * The Inspector is downloaded once into npm's cache. If it cannot be fetched or started, the test
 * fails (it never skips): a fresh machine with the npm registry reachable must pass it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SERVER_PERMISSIONS } from "../lib/supervisor/permissions.ts";
import { makeWorld, type World } from "./support/harness.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** The pinned Inspector release (`npm view @modelcontextprotocol/inspector version`). */
const INSPECTOR_VERSION = "2.12.0";
const INSPECTOR = `@modelcontextprotocol/inspector@${INSPECTOR_VERSION}`;

const ROOT = new URL("../", import.meta.url).pathname;

/** The first download takes a while on a slow link; later runs come from npm's cache. */
const DOWNLOAD_TIMEOUT_MS = 300_000;
const CALL_TIMEOUT_MS = 120_000;

/** What one run of the Inspector printed. */
interface InspectorRun {
  code: number;
  /** The signal that ended it (SIGTERM after a timeout). */
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Runs `npx -y <inspector> ...args` and returns what it printed; throws if it cannot be started. */
async function npxInspector(
  args: string[],
  options: { timeoutMs: number; scratch: string },
): Promise<InspectorRun> {
  const npx = Deno.build.os === "windows" ? "npx.cmd" : "npx";
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(npx, {
      args: ["-y", INSPECTOR, ...args],
      env: {
        // The Inspector declares a newer Node than some machines have; its CLI runs anyway.
        npm_config_engine_strict: "false",
        npm_config_update_notifier: "false",
        // Keep the Inspector's own files out of the user's home directory.
        MCP_CATALOG_PATH: `${options.scratch}/catalog.json`,
        MCP_CLIENT_CONFIG_PATH: `${options.scratch}/client.json`,
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.timeoutMs),
    }).output();
  } catch (error) {
    throw new Error(
      `Cannot start the MCP Inspector CLI: running \`${npx} -y ${INSPECTOR}\` failed ` +
        `(${error instanceof Error ? error.message : error}). The test needs Node's npx on PATH ` +
        "and the npm registry reachable.",
    );
  }
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    signal: output.signal,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}

/** Fetches the Inspector (once) and checks it is the pinned release; fails clearly if not. */
async function ensureInspector(scratch: string): Promise<void> {
  const run = await npxInspector(["--cli", "--version"], {
    timeoutMs: DOWNLOAD_TIMEOUT_MS,
    scratch,
  });
  if (run.code !== 0 || run.stdout.trim() !== INSPECTOR_VERSION) {
    const killed = run.signal
      ? `, killed by ${run.signal} at the ${DOWNLOAD_TIMEOUT_MS / 1000} s timeout`
      : "";
    throw new Error(
      `Cannot get the MCP Inspector CLI ${INSPECTOR_VERSION} with \`npx -y ${INSPECTOR}\` ` +
        `(exit code ${run.code}${killed}): is the npm registry reachable?\n` +
        `stdout: ${run.stdout.slice(-1000)}\nstderr: ${run.stderr.slice(-3000)}`,
    );
  }
}

/**
 * Runs the Inspector CLI against the server in `world`, started from main.ts in the repository like
 * the harness does (outside a git checkout Codex refuses to run without --skip-git-repo-check).
 */
async function inspect(world: World, scratch: string, method: string[]): Promise<unknown> {
  const env = Object.entries(world.env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
  const run = await npxInspector(
    [
      "--cli",
      ...env,
      "--cwd",
      ROOT,
      ...method,
      "--",
      Deno.execPath(),
      "run",
      "--quiet",
      ...SERVER_PERMISSIONS,
      `${ROOT}main.ts`,
    ],
    { timeoutMs: CALL_TIMEOUT_MS, scratch },
  );
  const ended = run.signal ? `exit code ${run.code} (${run.signal})` : `exit code ${run.code}`;
  const context = `${ended}\nstdout: ${run.stdout.slice(-3000)}\nstderr: ${
    run.stderr.slice(-5000)
  }`;
  assert.equal(run.code, 0, `the Inspector CLI failed: ${context}`);
  try {
    return JSON.parse(run.stdout);
  } catch {
    assert.fail(`the Inspector CLI printed no JSON: ${context}`);
  }
}

Deno.test("the MCP Inspector CLI lists the tools and calls codex", e2e, async (t) => {
  await using world = await makeWorld();
  const scratch = await Deno.makeTempDir({ prefix: "codex-swarm-inspector-" });
  try {
    await ensureInspector(scratch);

    await t.step("tools/list lists codex and codex_async", async () => {
      const listed = await inspect(world, scratch, ["--method", "tools/list"]) as {
        tools: Array<{ name: string; inputSchema: { properties?: Record<string, unknown> } }>;
      };
      const names = listed.tools.map((tool) => tool.name);
      for (const name of ["codex", "codex_async", "codex_wait", "codex_status"]) {
        assert.ok(names.includes(name), `${name} missing from ${names.join(", ")}`);
      }
      const codex = listed.tools.find((tool) => tool.name === "codex")!;
      assert.ok(codex.inputSchema.properties?.prompt, "codex takes a prompt");
    });

    await t.step("tools/call codex returns the model's answer", async () => {
      const result = await inspect(world, scratch, [
        "--method",
        "tools/call",
        "--tool-name",
        "codex",
        "--tool-arg",
        "prompt=hello",
      ]) as {
        isError?: boolean;
        content: Array<{ type: string; text?: string }>;
        structuredContent?: { threadId?: string };
      };
      assert.notEqual(result.isError, true, JSON.stringify(result));
      assert.equal(result.content[0]?.text, "MOCK-DONE hello");
      if (result.structuredContent) {
        assert.match(result.structuredContent.threadId ?? "", /^[0-9a-f-]{36}$/);
      }
      assert.equal(world.fake.requests.at(-1)?.prompt, "hello");
    });
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
});
