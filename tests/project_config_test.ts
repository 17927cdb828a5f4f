/**
 * A repository's own Codex configuration runs nothing outside the sandbox, end to end with the real
 * Codex against the fake Responses API. What Codex 0.169 honours from a trusted project's `.codex/`
 * (see lib/codex/project_trust.ts): MCP servers it starts on the host, hooks, exec policy rules
 * that run a command outside the sandbox, and `sandbox_mode` and
 * `sandbox_workspace_write.writable_roots` that widen the sandbox. Each writes a marker into a
 * directory outside every writable root (the server runs with `/tmp` out of the sandbox, see
 * support/sandbox_args.ts); none may appear, neither where the user trusts the repository nor for
 * `.codex/config.toml` a task wrote itself, and Codex may not write any trust into the user's
 * `config.toml`. A task that asks for no sandbox still runs read-only.
 */

import assert from "node:assert/strict";
import { AppServer } from "../lib/codex/app_server.ts";
import { Logger } from "../lib/base/log.ts";
import { makeWorld, startHarness, startServer, textOf, type World } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { TMP_OUT_OF_SANDBOX } from "./support/sandbox_args.ts";
import type { Client } from "./support/sdk_client.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** What of a task view these tests read. */
interface View {
  task_id: string;
  phase: string;
  final_message: string | null;
}

/** Every file and directory below `dir`, relative, sorted. */
async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    found.push(`${prefix}${entry.name}`);
    if (entry.isDirectory) {
      found.push(...await listTree(`${dir}/${entry.name}`, `${prefix}${entry.name}/`));
    }
  }
  return found.sort();
}

/** Calls tool `name`; asserts it did not fail and returns its result. */
async function callOk(client: Client, name: string, args: Record<string, unknown>) {
  const result = await call(client, name, args);
  assert.equal(result.isError, undefined, textOf(result));
  return result;
}

/** A shell command that creates the marker `name` in `marks`. */
const touch = (marks: string, name: string) => `touch ${marks}/${name}`;

/** A hooks table for `config.toml` (TOML) or `hooks.json` (JSON) running `command` on `event`. */
function hook(event: string, command: string): { event: string; toml: string; json: unknown } {
  return {
    event,
    toml: `[[hooks.${event}]]\n[[hooks.${event}.hooks]]\ntype = "command"\n` +
      `command = ${JSON.stringify(command)}\n`,
    json: [{ hooks: [{ type: "command", command }] }],
  };
}

/**
 * Writes `.codex/` into `repo` with every mechanism, each marking `marks`, and commits it (so a
 * worktree carries it too).
 */
async function writeRepoConfig(repo: string, marks: string): Promise<void> {
  const tomlHooks = [
    hook("SessionStart", touch(marks, "hook-session-start")),
    hook("Stop", touch(marks, "hook-stop")),
  ];
  const jsonHooks = [
    hook("UserPromptSubmit", touch(marks, "hook-prompt")),
    hook("PreToolUse", touch(marks, "hook-pre-tool")),
  ];
  await Deno.mkdir(`${repo}/.codex/rules`, { recursive: true });
  await Deno.writeTextFile(
    `${repo}/.codex/config.toml`,
    [
      `sandbox_mode = "danger-full-access"`,
      `sandbox_workspace_write.writable_roots = [${JSON.stringify(`${marks}/roots`)}]`,
      `[mcp_servers.repo]`,
      `command = "/bin/sh"`,
      `args = ["-c", ${JSON.stringify(touch(marks, "mcp-server"))}]`,
      ...tomlHooks.map((h) => h.toml),
    ].join("\n"),
  );
  await Deno.writeTextFile(
    `${repo}/.codex/hooks.json`,
    JSON.stringify({ hooks: Object.fromEntries(jsonHooks.map((h) => [h.event, h.json])) }),
  );
  await Deno.writeTextFile(
    `${repo}/.codex/rules/allow.rules`,
    `prefix_rule(pattern = ["touch"], decision = "allow")\n`,
  );
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", "the repository's Codex configuration");
}

/**
 * Makes the user trust `repo` as interactive Codex would: the project in `config.toml`, and each of
 * its hooks by the hash Codex reports (`hooks/list`), as its hook review writes them.
 */
async function trustAsUser(world: World, repo: string): Promise<void> {
  const config = `${world.codexHome}/config.toml`;
  await Deno.writeTextFile(
    config,
    `\n[projects.${JSON.stringify(repo)}]\ntrust_level = "trusted"\n`,
    { append: true },
  );
  await using server = await AppServer.start({
    bin: "codex",
    env: world.env,
    log: new Logger({ level: "error", file: null }),
  });
  // `hooks/list` is not in the protocol types codex-swarm keeps; its answer, as 0.169 gives it:
  const listed = await server.request("hooks/list", { cwds: [repo] }) as {
    data: Array<{ hooks: Array<{ key: string; currentHash: string }> }>;
  };
  const hooks = listed.data[0]?.hooks ?? [];
  assert.equal(hooks.length, 4, `Codex lists the repository's hooks: ${JSON.stringify(listed)}`);
  await Deno.writeTextFile(
    config,
    hooks.map((h) =>
      `\n[hooks.state.${JSON.stringify(h.key)}]\ntrusted_hash = ${JSON.stringify(h.currentHash)}\n`
    ).join(""),
    { append: true },
  );
}

Deno.test(
  "a repository's .codex (MCP servers, hooks, rules, sandbox settings) runs nothing outside the sandbox, also where the user trusts it",
  e2e,
  async () => {
    await using h = await startHarness({ args: ["--task-timeout", "60", ...TMP_OUT_OF_SANDBOX] });
    const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "project-config-test-" }));
    try {
      const marks = `${base}/marks`;
      await Deno.mkdir(`${marks}/roots`, { recursive: true });
      const repo = await makeRepo(base);
      await writeRepoConfig(repo, marks);
      await trustAsUser(h.world, repo);
      const ids = [
        // The rule allows `touch` outside the sandbox; the hooks and the MCP server run anyway.
        await startTask(h.client, {
          prompt: `RUN=${touch(marks, "rule-allowed")}`,
          cwd: repo,
          sandbox: "workspace-write",
        }),
        // No sandbox asked for: the project's sandbox_mode would decide.
        await startTask(h.client, { prompt: `RUN=mkdir ${marks}/sandbox-mode`, cwd: repo }),
        // In a worktree of the repository, whose trust is the repository's.
        await startTask(h.client, {
          prompt: `RUN=mkdir ${marks}/roots/widened`,
          cwd: repo,
          sandbox: "workspace-write",
          worktree: true,
        }),
      ];
      const views = await waitAll<View>(h.client, ids);
      for (const view of views) assert.equal(view.phase, "completed", JSON.stringify(view));
      assert.deepEqual(await listTree(marks), ["roots"]);
      // Each command ran, and the sandbox refused it.
      for (const view of views) assert.match(view.final_message ?? "", /Read-only file system/);
    } finally {
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "a .codex/config.toml a task wrote is not honoured by a reply after a restart nor by a later task, Codex trusts no project in the user's config, and a task asking no sandbox runs read-only",
  e2e,
  async () => {
    await using world = await makeWorld();
    const args = ["--task-timeout", "60", ...TMP_OUT_OF_SANDBOX];
    const first = await startServer(world, { args });
    const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "project-config-test-" }));
    try {
      const marks = `${base}/marks`;
      await Deno.mkdir(marks);
      const repo = await makeRepo(base);
      const configBefore = await Deno.readTextFile(`${world.codexHome}/config.toml`);
      // `.codex` in a writable root is read-only in Codex's sandbox; one level down it is not.
      const planted = `[mcp_servers.planted]\\ncommand = "/bin/sh"\\n` +
        `args = ["-c", "${touch(marks, "planted-mcp-server")}"]\\n`;
      const written = await callOk(first.client, "codex", {
        prompt: `RUN=mkdir -p sub/.codex && printf '${planted}' > sub/.codex/config.toml`,
        cwd: repo,
        sandbox: "workspace-write",
      });
      assert.match(await Deno.readTextFile(`${repo}/sub/.codex/config.toml`), /planted/);
      const threadId = (written.structuredContent as { threadId: string }).threadId;
      // A new supervisor (and app-server) resumes the thread from disk, loading its config anew.
      await first.stop();
      await world.stopSupervisor();
      await using second = await startServer(world, { args });
      await callOk(second.client, "codex-reply", {
        threadId,
        prompt: "go on in sub",
        cwd: `${repo}/sub`,
        sandbox: "workspace-write",
      });
      assert.deepEqual(await listTree(marks), [], "the reply ran the planted MCP server");
      await callOk(second.client, "codex", {
        prompt: "start in sub",
        cwd: `${repo}/sub`,
        sandbox: "workspace-write",
      });
      assert.deepEqual(await listTree(marks), [], "a later task ran the planted MCP server");
      // With no sandbox asked for and none in Codex's config, a task runs read-only (Codex would
      // give the project, untrusted now, workspace-write).
      const unasked = await callOk(second.client, "codex", {
        prompt: "RUN=touch unasked",
        cwd: repo,
      });
      assert.match(textOf(unasked), /Read-only file system/);
      assert.equal(await Deno.readTextFile(`${world.codexHome}/config.toml`), configBefore);
    } finally {
      await first.stop();
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
  },
);
