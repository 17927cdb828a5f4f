/**
 * End-to-end test harness: a fake Responses API, a temporary CODEX_HOME and task directory, and the
 * server spawned as a user would run it, driven through the MCP SDK's `Client` over stdio.
 *
 * @example
 * ```ts
 * await using h = await startHarness();
 * const result = await h.client.callTool({ name: "codex", arguments: { prompt: "hi" } });
 * ```
 * @module
 */

import { SERVER_PERMISSIONS } from "../../.github/scripts/permissions.ts";
import { Client, StdioClientTransport } from "./sdk_client.ts";
import { type FakeResponses, startFakeResponses, writeCodexHome } from "./fake_responses.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Shared state of one test's world. */
export interface World extends AsyncDisposable {
  fake: FakeResponses;
  codexHome: string;
  taskDir: string;
  worktreeDir: string;
  /** The environment the server gets. */
  env: Record<string, string>;
}

/** A running server with a connected client. */
export interface Harness extends AsyncDisposable {
  world: World;
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  /** Stops this server (its tasks keep running). */
  stop(): Promise<void>;
}

/** Makes a fresh world: fake API, CODEX_HOME, task and worktree directories. */
export async function makeWorld(): Promise<World> {
  const fake = startFakeResponses();
  const codexHome = await writeCodexHome(fake.url);
  const base = await Deno.makeTempDir({ prefix: "codex-swarm-test-" });
  const taskDir = `${base}/tasks`;
  const worktreeDir = `${base}/worktrees`;
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? base,
    CODEX_HOME: codexHome,
    MOCK_API_KEY: "test-key",
    CODEX_SWARM_TASK_DIR: taskDir,
    CODEX_SWARM_WORKTREE_DIR: worktreeDir,
    CODEX_SWARM_LOG_LEVEL: "debug",
  };
  for (const name of ["DENO_DIR", "DENO_TLS_CA_STORE", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value) env[name] = value;
  }
  return {
    fake,
    codexHome,
    taskDir,
    worktreeDir,
    env,
    async [Symbol.asyncDispose]() {
      await fake[Symbol.asyncDispose]();
      await Deno.remove(base, { recursive: true }).catch(() => {});
      await Deno.remove(codexHome, { recursive: true }).catch(() => {});
    },
  };
}

/** Options for {@link startServer}. */
export interface ServerOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Run this file instead of main.ts (e.g. the bundle). */
  entry?: string;
}

/** Spawns the server in `world` and connects a client. */
export async function startServer(world: World, options: ServerOptions = {}): Promise<Harness> {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: [
      "run",
      "--quiet",
      ...SERVER_PERMISSIONS,
      options.entry ?? `${ROOT}main.ts`,
      ...(options.args ?? []),
    ],
    env: { ...world.env, ...options.env },
    stderr: "pipe",
    cwd: ROOT,
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array | string) => {
    stderr += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const client = new Client({ name: "codex-swarm-tests", version: "0.0.0" }, {
    capabilities: {},
  });
  await client.connect(transport);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await client.close();
  };
  return {
    world,
    client,
    transport,
    stderr: () => stderr,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** A world and a server in it, disposed together. */
export async function startHarness(
  options: ServerOptions = {},
): Promise<Harness & { world: World }> {
  const world = await makeWorld();
  const harness = await startServer(world, options);
  return {
    ...harness,
    async [Symbol.asyncDispose]() {
      await harness.stop();
      await world[Symbol.asyncDispose]();
    },
  };
}

/** The live processes (zombies excluded) whose command line contains `needle`, from `ps`. */
export function processesMatching(needle: string): Array<{ pid: number; cmdline: string }> {
  const out = new Deno.Command("ps", {
    args: ["-A", "-o", "pid=,stat=,args="],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!match || match[2]!.startsWith("Z")) continue;
    const pid = Number(match[1]);
    if (pid === Deno.pid || match[3]!.startsWith("ps -A")) continue;
    if (match[3]!.includes(needle)) found.push({ pid, cmdline: match[3]! });
  }
  return found;
}

/** Polls `check` every 50 ms until it returns true or `ms` pass; returns its last answer. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return await check();
}

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? "").join("\n");
}
