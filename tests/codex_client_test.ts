/**
 * End-to-end with Codex as the MCP client: an outer `codex exec` with codex-swarm in its
 * `[mcp_servers]`, whose model (the fake Responses API, scripted by `MCP=` lines) calls the tools
 * in the namespace `mcp__codex_swarm`. The inner tasks run the real Codex against the same fake.
 * The server entry is the snippet of docs/install.md as written, so the tests try it too. The
 * tests check what reached the outer model: the tools it was offered, the size of each tool
 * output, the errors, and that a client-side `tool_timeout_sec` cancels the inner task.
 */

import assert from "node:assert/strict";
import { SERVER_PERMISSIONS } from "../lib/supervisor/permissions.ts";
import { MCP_NAMESPACE, writeCodexHome } from "./support/fake_responses.ts";
import { eventually, makeWorld, processesMatching, type World } from "./support/harness.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** What the outer model was offered and what came back from each of its tool calls. */
interface OuterRun {
  /** The outer thread id. */
  threadId: string;
  /** The tools of the `mcp__codex_swarm` namespace, as the outer model saw them. */
  tools: Array<{ name: string; description: string }>;
  /** Each call the outer model made, with the output it got back. */
  calls: Array<{ name: string; arguments: string; output: string }>;
  /** The outer `codex exec --json` lines. */
  events: Array<Record<string, unknown>>;
}

/** A tool output as text: a string, or the texts of its parts joined by newlines. */
function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (!Array.isArray(output)) return JSON.stringify(output);
  return output.map((part) => (part as { text?: string }).text ?? "").join("\n");
}

/** The JSON that a tool output carries after Codex's "Wall time ... Output:" header. */
function payload(output: string): string {
  const at = output.indexOf("Output:\n");
  return at >= 0 ? output.slice(at + "Output:\n".length) : output;
}

/** The `[mcp_servers.codex-swarm]` snippet for Codex in docs/install.md, as written. */
export async function installSnippet(): Promise<string> {
  const page = await Deno.readTextFile(new URL("../docs/install.md", import.meta.url));
  const block = /```toml\n(\[mcp_servers\.codex-swarm\][\s\S]*?\n)```/.exec(page);
  if (!block) throw new Error("docs/install.md has no [mcp_servers.codex-swarm] snippet");
  return block[1]!;
}

/**
 * Writes an outer CODEX_HOME holding the install page's snippet as written (with `replace`
 * applied to it) and a `codex-swarm` on PATH that runs this checkout's server in the test world,
 * with an `npx` beside it that runs that `codex-swarm` for the snippet's `npx -y codex-swarm`. The
 * inner Codex gets a home of its own, without the MCP server. Returns the home and the PATH to run
 * with.
 */
async function outerHome(
  world: World,
  replace: (snippet: string) => string = (s) => s,
): Promise<{ home: string; path: string } & AsyncDisposable> {
  const home = await writeCodexHome(world.fake.url);
  const bin = await Deno.makeTempDir({ prefix: "codex-swarm-bin-" });
  const env: Record<string, string> = {
    CODEX_HOME: world.codexHome,
    MOCK_API_KEY: "test-key",
    CODEX_SWARM_TASK_DIR: world.taskDir,
    CODEX_SWARM_WORKTREE_DIR: world.worktreeDir,
  };
  // Deno's cache is the world's (its HOME is one of its own), whatever Codex passes on.
  for (const name of ["DENO_DIR", "DENO_TLS_CA_STORE", "XDG_CACHE_HOME"]) {
    const value = world.env[name] ?? Deno.env.get(name);
    if (value) env[name] = value;
  }
  const quote = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;
  await Deno.writeTextFile(
    `${bin}/codex-swarm`,
    [
      "#!/bin/sh",
      ...Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`),
      `exec ${quote(Deno.execPath())} run --quiet ${SERVER_PERMISSIONS.join(" ")} ` +
      `${quote(MAIN)} --skip-git-repo-check "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  // The snippet's `npx -y codex-swarm` runs that checkout server, not the published package.
  await Deno.writeTextFile(
    `${bin}/npx`,
    [
      "#!/bin/sh",
      `[ "$1" = -y ] && [ "$2" = codex-swarm ] || { echo "unexpected: npx $*" >&2; exit 64; }`,
      "shift 2",
      `exec ${quote(`${bin}/codex-swarm`)} "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const entry = replace(await installSnippet());
  await Deno.writeTextFile(`${home}/config.toml`, `\n${entry}`, { append: true });
  return {
    home,
    path: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(home, { recursive: true }).catch(() => {});
      await Deno.remove(bin, { recursive: true }).catch(() => {});
    },
  };
}

/** Runs the outer `codex exec` with `prompt` and reads what its model saw. */
async function runOuter(
  world: World,
  { home, path }: { home: string; path: string },
  prompt: string,
): Promise<OuterRun> {
  const before = world.fake.requests.length;
  const out = await new Deno.Command("codex", {
    args: ["exec", "--json", "--skip-git-repo-check", "--", prompt],
    env: {
      PATH: path,
      HOME: world.env.HOME!,
      CODEX_HOME: home,
      MOCK_API_KEY: "test-key",
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(150_000),
  }).output();
  const events = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const threadId = String(events.find((e) => e.type === "thread.started")?.thread_id ?? "");
  // The outer model's requests are those that offer the codex-swarm namespace.
  const outer = world.fake.requests.slice(before).filter((r) =>
    (r.body.tools as Array<{ name?: string }> | undefined)?.some((t) => t.name === MCP_NAMESPACE)
  );
  assert.ok(
    outer.length > 0,
    `the outer model never saw the tools: ${new TextDecoder().decode(out.stderr).slice(-2000)}`,
  );
  const namespace = (outer[0]!.body.tools as Array<
    { name?: string; tools?: Array<{ name: string; description: string }> }
  >).find((t) => t.name === MCP_NAMESPACE)!;
  type Item = {
    type?: string;
    call_id?: string;
    name?: string;
    arguments?: string;
    output?: unknown;
  };
  const last = (outer.at(-1)!.body.input ?? []) as Item[];
  const outputs = new Map(
    last.filter((i) => i.type === "function_call_output").map((
      i,
    ) => [i.call_id, outputText(i.output)]),
  );
  const calls = last.filter((i) => i.type === "function_call").map((i) => ({
    name: i.name ?? "",
    arguments: i.arguments ?? "",
    output: outputs.get(i.call_id) ?? "",
  }));
  return { threadId, tools: namespace.tools ?? [], calls, events };
}

Deno.test(
  "Codex as the client: compact results, one reply tool, the caller's sandbox",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    await using home = await outerHome(world);
    const run = await runOuter(
      world,
      home,
      [
        "outer collects three",
        'MCP=codex_async {"prompt":"inner a"}',
        'MCP=codex_async {"prompt":"inner b"}',
        'MCP=codex_async {"prompt":"inner c"}',
        'MCP=codex_wait {"task_ids":"$TASK_IDS","timeout":60}',
        'MCP=codex_status {"task_ids":"$TASK_IDS","detail":"full"}',
        'MCP=codex_async {"prompt":"escalate","sandbox":"danger-full-access"}',
      ].join("\n"),
    );

    await t.step("the outer model sees one reply tool, without a hashed name", () => {
      const names = run.tools.map((x) => x.name).sort();
      assert.deepEqual(names, [
        "codex",
        "codex_approve",
        "codex_async",
        "codex_cancel",
        "codex_diff",
        "codex_fork",
        "codex_list",
        "codex_merge",
        "codex_reply",
        "codex_review",
        "codex_status",
        "codex_steer",
        "codex_wait",
        "codex_worktree",
      ]);
    });

    await t.step("every call was answered, within its budget", () => {
      assert.deepEqual(run.calls.map((c) => c.name), [
        "codex_async",
        "codex_async",
        "codex_async",
        "codex_wait",
        "codex_status",
        "codex_async",
      ]);
      for (const c of run.calls.slice(0, 3)) {
        assert.ok(payload(c.output).length <= 300, c.output);
        assert.match(payload(c.output), /"next":"codex_wait/);
      }
      const waited = JSON.parse(payload(run.calls[3]!.output));
      assert.equal(waited.satisfied, true);
      assert.deepEqual(
        waited.tasks.map((x: { final_message: string }) => x.final_message),
        ["MOCK-DONE inner a", "MOCK-DONE inner b", "MOCK-DONE inner c"],
      );
      assert.ok(payload(run.calls[3]!.output).length <= 800, run.calls[3]!.output);
    });

    await t.step("inner tasks run in the caller's sandbox and name it as parent", () => {
      const full = JSON.parse(payload(run.calls[4]!.output));
      assert.equal(full.tasks.length, 3);
      for (const task of full.tasks) {
        assert.equal(task.parent_thread_id, run.threadId);
        assert.equal(task.caller_sandbox, "read-only");
        assert.equal(task.sandbox, "read-only");
      }
    });

    await t.step("a more permissive sandbox reaches the model as an error naming both", () => {
      const refused = run.calls[5]!.output;
      assert.match(refused, /sandbox "danger-full-access"/);
      assert.match(refused, /runs in sandbox "read-only"/);
    });
  },
);

Deno.test("Codex as the client: its tool_timeout_sec cancels the inner task", e2e, async () => {
  await using world = await makeWorld();
  await using home = await outerHome(
    world,
    (snippet) => snippet.replace(/^tool_timeout_sec = \d+/m, "tool_timeout_sec = 3"),
  );
  const marker = "inner slow SLEEP=9000";
  // After the timeout the outer model waits for whatever is unfinished, then lists the tasks.
  const run = await runOuter(
    world,
    home,
    [
      "outer times out",
      `MCP=codex {"prompt":"${marker}"}`,
      'MCP=codex_wait {"timeout":20}',
      "MCP=codex_list {}",
    ].join("\n"),
  );
  assert.deepEqual(run.calls.map((c) => c.name), ["codex", "codex_wait", "codex_list"]);
  assert.match(run.calls[0]!.output, /timed out awaiting tools\/call after 3s/);
  // The task the call started was cancelled, and its Codex is gone.
  const listed = JSON.parse(payload(run.calls[2]!.output));
  assert.equal(listed.tasks.length, 1);
  assert.equal(listed.tasks[0].prompt, marker);
  assert.equal(listed.tasks[0].phase, "cancelled");
  assert.ok(await eventually(() => processesMatching(marker).length === 0, 10_000));
});
