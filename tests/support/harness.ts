/**
 * End-to-end test harness: a fake Responses API, a temporary CODEX_HOME and task directory, and the
 * server spawned as a user would run it, driven through the MCP SDK's `Client` over stdio.
 *
 * Every server is a front-end: the first one of a world starts the world's supervisor, which
 * the world stops when it is disposed (and fails the test if it cannot).
 *
 * @example Not run: it starts codex-swarm and the real Codex (the end-to-end tests run it).
 * ```ts ignore
 * await using h = await startHarness();
 * const result = await h.client.callTool({ name: "codex", arguments: { prompt: "hi" } });
 * ```
 * @module
 */

import { SERVER_PERMISSIONS } from "../../lib/supervisor/permissions.ts";
import {
  Client,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  StdioClientTransport,
} from "./sdk_client.ts";
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
  /** The supervisor's files (socket, info.json, token). */
  supervisorDir: string;
  /** The running supervisor's `info.json`, or null. */
  supervisorInfo(): SupervisorInfoFile | null;
  /** The log file every front-end and the supervisor write. */
  logFile: string;
  /** Stops the world's supervisor (SIGTERM, then SIGKILL) and waits until it is gone. */
  stopSupervisor(): Promise<void>;
}

/** What a supervisor's `info.json` holds. */
export interface SupervisorInfoFile {
  pid: number;
  version: string;
  started_at: string;
  socket: string;
  port: number;
  unix: string | null;
}

/** Every live process below `pids` (children, their children...), from `ps`. */
export function descendantsOf(pids: number[]): number[] {
  const out = new Deno.Command("ps", {
    args: ["-A", "-o", "pid=,ppid=,stat="],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const children = new Map<number, number[]>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)/.exec(line);
    if (!m || m[3]!.startsWith("Z")) continue;
    const list = children.get(Number(m[2])) ?? [];
    list.push(Number(m[1]));
    children.set(Number(m[2]), list);
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  pids.forEach(walk);
  return found;
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** The live supervisor processes of `taskDir`. */
export function supervisorsOf(taskDir: string): Array<{ pid: number; cmdline: string }> {
  return processesMatching(`supervisor --task-dir ${taskDir} `);
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

/**
 * A HOME for a world's servers and Codex: empty but for the git identity of the real one (tasks
 * commit in worktrees) and Deno's cache location, which stays where it is.
 */
export async function testHome(base: string): Promise<string> {
  const home = `${base}/home`;
  await Deno.mkdir(home, { recursive: true });
  const real = Deno.env.get("HOME");
  if (real) await Deno.copyFile(`${real}/.gitconfig`, `${home}/.gitconfig`).catch(() => {});
  return home;
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
    // A HOME of its own: Codex runs commands in login shells, which would read the machine's
    // ~/.bashrc (slow; and a shell killed in it can leave a lock that stalls the next ones).
    HOME: await testHome(base),
    CODEX_HOME: codexHome,
    MOCK_API_KEY: "test-key",
    CODEX_SWARM_TASK_DIR: taskDir,
    CODEX_SWARM_WORKTREE_DIR: worktreeDir,
    CODEX_SWARM_LOG_LEVEL: "debug",
    // The world stops its supervisor; this only bounds what a crashed test leaves behind.
    CODEX_SWARM_IDLE_EXIT: "120",
  };
  for (const name of ["DENO_DIR", "DENO_TLS_CA_STORE", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value) env[name] = value;
  }
  env.DENO_DIR ??= `${Deno.env.get("HOME") ?? base}/.cache/deno`;
  const supervisorDir = `${taskDir}/.supervisor`;
  const supervisorInfo = () => {
    try {
      return JSON.parse(Deno.readTextFileSync(`${supervisorDir}/info.json`)) as SupervisorInfoFile;
    } catch {
      return null;
    }
  };
  /** What the supervisors started (app-servers, their commands), as they stop. */
  const started = new Set<number>();
  const stopSupervisor = async () => {
    for (const pid of descendantsOf(supervisorsOf(taskDir).map((p) => p.pid))) started.add(pid);
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      for (const p of supervisorsOf(taskDir)) {
        try {
          Deno.kill(p.pid, signal);
        } catch {
          // Gone already.
        }
      }
      if (await eventually(() => supervisorsOf(taskDir).length === 0, 10_000)) return;
    }
    throw new Error(`The supervisor of ${taskDir} is still running after SIGKILL`);
  };
  return {
    fake,
    codexHome,
    taskDir,
    worktreeDir,
    env,
    supervisorDir,
    supervisorInfo,
    logFile: `${base}/server.log`,
    stopSupervisor,
    async [Symbol.asyncDispose]() {
      const left = supervisorsOf(taskDir).length;
      await stopSupervisor();
      // A test may run a supervisor of another task directory of this world's (`tasks-2`).
      for (const p of processesMatching(`supervisor --task-dir ${base}/`)) {
        for (const pid of descendantsOf([p.pid])) started.add(pid);
        try {
          Deno.kill(p.pid, "SIGTERM");
        } catch {
          // Gone already.
        }
      }
      await eventually(() => processesMatching(`supervisor --task-dir ${base}/`).length === 0);
      // An app-server exits within a second or two of its supervisor; nothing may stay after.
      await eventually(() => [...started].every((pid) => !alive(pid)), 10_000);
      const codex = [...started].filter(alive);
      for (const pid of codex) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      await fake[Symbol.asyncDispose]();
      await Deno.remove(base, { recursive: true }).catch(() => {});
      await Deno.remove(codexHome, { recursive: true }).catch(() => {});
      if (left > 1) throw new Error(`${left} supervisors ran for one task directory`);
      if (codex.length > 0) {
        throw new Error(`The test left Codex running (killed now): ${JSON.stringify(codex)}`);
      }
    },
  };
}

/** Options for {@link startServer}. */
export interface ServerOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Run this file instead of main.ts (e.g. the bundle). */
  entry?: string;
  /** Run this executable with `args` instead of `deno run <permissions> <entry>` (e.g. an
   * installed `codex-swarm`). */
  executable?: string;
  /** Let the server use the supervisor's Unix socket (`--allow-net=unix:<path>`). */
  unixSocket?: boolean;
  /** The server's working directory (default: the repository). */
  cwd?: string;
  /** Directories the client offers as its MCP roots (none: no roots capability). */
  roots?: string[];
  /** Answers the server's elicitations (none: no elicitation capability). */
  elicit?: (params: { message: string; requestedSchema?: unknown }) => Promise<{
    action: "accept" | "decline" | "cancel";
    content?: Record<string, string>;
  }>;
}

/** The permission flags a server of `world` runs with. */
export function serverPermissions(world: World, unixSocket = false): string[] {
  return SERVER_PERMISSIONS.map((flag) =>
    unixSocket && flag.startsWith("--allow-net=")
      ? `${flag},unix:${world.supervisorDir}/sock`
      : flag
  );
}

/** Spawns the server in `world` and connects a client. */
export async function startServer(world: World, options: ServerOptions = {}): Promise<Harness> {
  const transport = new StdioClientTransport({
    command: options.executable ?? Deno.execPath(),
    args: [
      ...(options.executable !== undefined ? [] : [
        "run",
        "--quiet",
        ...serverPermissions(world, options.unixSocket),
        options.entry ?? `${ROOT}main.ts`,
      ]),
      ...(options.args ?? []),
    ],
    env: { ...world.env, ...options.env },
    stderr: "pipe",
    cwd: options.cwd ?? ROOT,
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array | string) => {
    stderr += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const client = new Client({ name: "codex-swarm-tests", version: "0.0.0" }, {
    capabilities: {
      ...(options.roots ? { roots: { listChanged: true } } : {}),
      ...(options.elicit ? { elicitation: { form: {} } } : {}),
    },
  });
  if (options.elicit) {
    const elicit = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, (request) => elicit(request.params as never));
  }
  if (options.roots) {
    const roots = options.roots;
    client.setRequestHandler(ListRootsRequestSchema, () => ({
      roots: roots.map((dir) => ({ uri: `file://${dir}`, name: dir })),
    }));
  }
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

/**
 * The live processes (zombies excluded) whose command line contains `needle`, from `ps`. A child
 * with its parent's command line is left out: a process forked that has not yet run its program
 * (a supervisor starting git or Codex, for a moment; longer on a loaded machine).
 */
export function processesMatching(needle: string): Array<{ pid: number; cmdline: string }> {
  const out = new Deno.Command("ps", {
    args: ["-A", "-o", "pid=,ppid=,stat=,args="],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const rows: Array<{ pid: number; ppid: number; cmdline: string }> = [];
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!match || match[3]!.startsWith("Z")) continue;
    const pid = Number(match[1]);
    if (pid === Deno.pid || match[4]!.startsWith("ps -A")) continue;
    if (match[4]!.includes(needle)) rows.push({ pid, ppid: Number(match[2]), cmdline: match[4]! });
  }
  const forked = (row: (typeof rows)[number]) =>
    rows.some((parent) => parent.pid === row.ppid && parent.cmdline === row.cmdline);
  return rows.filter((row) => !forked(row)).map(({ pid, cmdline }) => ({ pid, cmdline }));
}

/** An MCP `initialize` request (id 1) as one line of the stdio transport, for raw stdin writes. */
export function initializeLine(clientName: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: clientName, version: "0" },
      },
    }) + "\n",
  );
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
