/**
 * End-to-end, table-driven: bad input to every tool, through the SDK client, against one server
 * started with a policy (`--max-sandbox workspace-write`, `--allow-root <dir>`). Each case must be
 * refused (an `isError` result or an invalid-params error) with a message naming the field and the
 * problem; afterwards the server still answers, and no task, worktree or branch was created. No
 * rejected input reaches the model.
 */

import assert from "node:assert/strict";
import { makeWorld, startServer, textOf } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type Args = Record<string, unknown>;
/** A case: a name, the tool, its arguments, and the parts the message must contain. */
type Case = [name: string, tool: string, args: Args, parts: string[]];

const UUID = "01a23379-8b64-73e0-b586-c4440ada693c";
/** The first bytes of a PNG: enough for the check, which reads no further. */
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const OVER = "x".repeat(1_048_577);

function cases(repo: string, outside: string): Case[] {
  const base: Args = { prompt: "hello", cwd: repo };
  const startTools = ["codex", "codex_async"];
  const perStartTool: Case[] = startTools.flatMap((tool): Case[] => [
    [`${tool}: prompt missing`, tool, { cwd: repo }, ["prompt"]],
    [`${tool}: prompt a number`, tool, { prompt: 42 }, ["prompt", "string"]],
    [`${tool}: prompt empty`, tool, { prompt: "" }, ["prompt"]],
    [`${tool}: prompt blank`, tool, { ...base, prompt: "  \n " }, ["prompt", "empty"]],
    [`${tool}: prompt over Codex's limit`, tool, { ...base, prompt: OVER }, [
      "prompt",
      "1048576",
    ]],
    [`${tool}: prompt with a NUL byte`, tool, { ...base, prompt: "a\0b" }, ["prompt", "NUL"]],
    [`${tool}: prompt with a lone surrogate`, tool, { ...base, prompt: "a\ud800b" }, [
      "prompt",
      "surrogate",
    ]],
    [`${tool}: unknown field`, tool, { ...base, promt: "typo" }, ["promt"]],
    [`${tool}: unknown sandbox`, tool, { ...base, sandbox: "open" }, ["sandbox"]],
    [`${tool}: sandbox above the ceiling`, tool, { ...base, sandbox: "danger-full-access" }, [
      "sandbox",
      "danger-full-access",
      "workspace-write",
    ]],
    [`${tool}: unknown approval policy`, tool, { ...base, "approval-policy": "always" }, [
      "approval-policy",
    ]],
    [`${tool}: worktree not a boolean`, tool, { ...base, worktree: "yes" }, ["worktree"]],
    [`${tool}: commit not a boolean`, tool, { ...base, commit: 1 }, ["commit"]],
    [`${tool}: timeout_s negative`, tool, { ...base, timeout_s: -1 }, ["timeout_s"]],
    [`${tool}: timeout_s fractional`, tool, { ...base, timeout_s: 1.5 }, ["timeout_s"]],
    [`${tool}: model empty`, tool, { ...base, model: "" }, ["model"]],
    [`${tool}: model with NUL`, tool, { ...base, model: "o3\0" }, ["model", "NUL"]],
    [`${tool}: cwd missing`, tool, { ...base, cwd: `${repo}/nope` }, ["cwd", "does not exist"]],
    [`${tool}: cwd outside the allowed roots`, tool, { ...base, cwd: outside }, [
      "cwd",
      "outside",
      "--allow-root",
    ]],
    [`${tool}: cwd with NUL`, tool, { ...base, cwd: `${repo}\0` }, ["cwd", "NUL"]],
    [`${tool}: base starting with -`, tool, { ...base, worktree: true, base: "--orphan" }, [
      "base",
    ]],
    [`${tool}: base unknown`, tool, { ...base, worktree: true, base: "no-such-ref" }, [
      "base",
      "not a commit",
    ]],
    [`${tool}: config not an object`, tool, { ...base, config: "model=o3" }, ["config"]],
    [`${tool}: config null leaf`, tool, { ...base, config: { model: null } }, [
      "config",
      "null",
    ]],
    [`${tool}: config lone surrogate`, tool, {
      ...base,
      config: { developer_instructions: "\udc00" },
    }, ["config", "surrogate"]],
    [`${tool}: config key not bare`, tool, { ...base, config: { "a b": 1 } }, [
      "config",
      '"a b"',
    ]],
    [`${tool}: config notify`, tool, { ...base, config: { notify: ["sh", "-c", "id"] } }, [
      "notify",
      "--allow-config",
    ]],
    [`${tool}: config mcp_servers command`, tool, {
      ...base,
      config: { mcp_servers: { evil: { command: "sh" } } },
    }, ["mcp_servers.evil.command", "policy"]],
    [`${tool}: config model_provider`, tool, { ...base, config: { model_provider: "evil" } }, [
      "model_provider",
      "policy",
    ]],
    [`${tool}: config model_providers`, tool, {
      ...base,
      config: { model_providers: { evil: { base_url: "http://evil" } } },
    }, ["model_providers.evil.base_url"]],
    [`${tool}: config sandbox_mode above the ceiling`, tool, {
      ...base,
      config: { sandbox_mode: "danger-full-access" },
    }, ["config.sandbox_mode", "workspace-write"]],
    [`${tool}: config shell environment`, tool, {
      ...base,
      config: { shell_environment_policy: { inherit: "all" } },
    }, ["shell_environment_policy.inherit"]],
    [`${tool}: threadId not a thread`, tool, { ...base, threadId: "not-a-thread" }, [
      "threadId",
    ]],
    [`${tool}: images not a list`, tool, { ...base, images: "shot.png" }, ["images"]],
    [`${tool}: images[0] missing`, tool, { ...base, images: ["nope.png"] }, [
      "images[0]",
      "does not exist",
      `${repo}/nope.png`,
    ]],
    [`${tool}: images[0] a directory`, tool, { ...base, images: ["sub"] }, [
      "images[0]",
      "not a file",
    ]],
    [`${tool}: images[1] not an image`, tool, { ...base, images: ["shot.png", "fake.png"] }, [
      "images[1]",
      "not an image",
      "PNG",
    ]],
    [`${tool}: images[0] outside the allowed roots`, tool, {
      ...base,
      images: [`${outside}/pic.png`],
    }, ["images[0]", "outside", "--allow-root"]],
    [`${tool}: add_dirs[0] missing`, tool, { ...base, add_dirs: ["nope"] }, [
      "add_dirs[0]",
      "does not exist",
    ]],
    [`${tool}: add_dirs[0] a file`, tool, { ...base, add_dirs: ["shared.txt"] }, [
      "add_dirs[0]",
      "is a file",
    ]],
    [`${tool}: add_dirs[1] outside the allowed roots`, tool, {
      ...base,
      add_dirs: ["sub", outside],
    }, ["add_dirs[1]", "outside", "--allow-root"]],
    [`${tool}: add_dirs with a read-only sandbox`, tool, {
      ...base,
      sandbox: "read-only",
      add_dirs: ["sub"],
    }, ["add_dirs[0]", "read-only"]],
    [`${tool}: setup without a worktree`, tool, { ...base, setup: "npm ci" }, [
      "setup",
      "worktree: true",
    ]],
    [`${tool}: setup not a string`, tool, { ...base, worktree: true, setup: ["npm", "ci"] }, [
      "setup",
    ]],
    [`${tool}: setup with NUL`, tool, { ...base, worktree: true, setup: "npm\0ci" }, [
      "setup",
      "NUL",
    ]],
    [`${tool}: copy_ignored without a worktree`, tool, { ...base, copy_ignored: [".env"] }, [
      "copy_ignored",
      "worktree: true",
    ]],
    [`${tool}: copy_ignored absolute`, tool, {
      ...base,
      worktree: true,
      copy_ignored: [".env", "/etc/passwd"],
    }, ["copy_ignored[1]", "absolute"]],
    [`${tool}: copy_ignored with ..`, tool, {
      ...base,
      worktree: true,
      copy_ignored: ["../other/.env"],
    }, ["copy_ignored[0]", '".."']],
    [`${tool}: check empty`, tool, { ...base, worktree: true, check: "" }, ["check", "empty"]],
    [`${tool}: check blank`, tool, { ...base, worktree: true, check: " \n" }, ["check", "empty"]],
    [`${tool}: check with NUL`, tool, { ...base, worktree: true, check: "npm\0test" }, [
      "check",
      "NUL",
    ]],
    [`${tool}: check program not on the PATH`, tool, {
      ...base,
      worktree: true,
      check: "no-such-program-7 test",
    }, ["check", '"no-such-program-7"', "PATH"]],
    [`${tool}: check without worktree`, tool, { ...base, check: "true" }, [
      "check",
      "worktree: true",
    ]],
    [`${tool}: check not a string`, tool, { ...base, worktree: true, check: ["npm", "test"] }, [
      "check",
    ]],
  ]);
  const attempts: Case[] = [
    ["codex_async: attempts without worktree", "codex_async", { ...base, attempts: 4 }, [
      "attempts",
      "worktree: true",
    ]],
    ["codex_async: attempts over 8", "codex_async", { ...base, worktree: true, attempts: 9 }, [
      "attempts",
      "2 to 8",
    ]],
    ["codex_async: attempts 1", "codex_async", { ...base, worktree: true, attempts: 1 }, [
      "attempts",
      "2 to 8",
    ]],
    ["codex_async: attempts fractional", "codex_async", {
      ...base,
      worktree: true,
      attempts: 2.5,
    }, ["attempts"]],
    ["codex_async: attempts on a reply", "codex_async", {
      ...base,
      worktree: true,
      attempts: 2,
      threadId: UUID,
    }, ["attempts", "reply"]],
    ["codex_async: attempts with a check that cannot start", "codex_async", {
      ...base,
      worktree: true,
      attempts: 3,
      check: "no-such-program-7",
    }, ["check", "PATH"]],
    ["codex: attempts", "codex", { ...base, worktree: true, attempts: 2 }, ["attempts"]],
    ["codex_wait: unknown group", "codex_wait", { task_ids: ["g-0123456789ab"], timeout: 0 }, [
      "g-0123456789ab",
      "no such task",
    ]],
    ["codex_worktree: discard of an unknown group", "codex_worktree", {
      task_id: "g-0123456789ab",
      action: "discard",
    }, ["g-0123456789ab", "no such group"]],
  ];
  const reply: Case[] = ["codex-reply"].flatMap((tool): Case[] => [
    [`${tool}: threadId missing`, tool, { prompt: "again" }, ["threadId"]],
    [`${tool}: threadId --last`, tool, { prompt: "again", threadId: "--last" }, [
      "--last",
      "thread",
    ]],
    [`${tool}: threadId -`, tool, { prompt: "again", threadId: "-" }, ['"-"', "thread"]],
    [`${tool}: threadId unknown UUID`, tool, { prompt: "again", threadId: UUID }, [
      UUID,
      "no such thread",
    ]],
    [`${tool}: conversationId not a thread`, tool, {
      prompt: "again",
      conversationId: "../x",
    }, ["../x", "thread"]],
    [`${tool}: prompt empty`, tool, { prompt: "", threadId: UUID }, ["prompt"]],
    [`${tool}: unknown field`, tool, { prompt: "again", threadId: UUID, worktree: true }, [
      "worktree",
    ]],
    [`${tool}: sandbox above the ceiling`, tool, {
      prompt: "again",
      threadId: UUID,
      sandbox: "danger-full-access",
    }, ["sandbox", "workspace-write"]],
    [`${tool}: setup (replies never set up)`, tool, {
      prompt: "again",
      threadId: UUID,
      setup: "npm ci",
    }, ["setup"]],
  ]);
  const forkArgs: Args = { thread_id: UUID, prompts: ["one", "two"] };
  const fork: Case[] = [
    ["codex_fork: thread_id missing", "codex_fork", { prompts: ["one"] }, ["thread_id"]],
    ["codex_fork: thread_id not a thread", "codex_fork", {
      ...forkArgs,
      thread_id: "not-a-thread",
    }, ["thread_id", "not a Codex thread id"]],
    ["codex_fork: thread_id unknown", "codex_fork", forkArgs, [
      "thread_id",
      UUID,
      "no such thread",
    ]],
    ["codex_fork: prompts missing", "codex_fork", { thread_id: UUID }, ["prompts"]],
    ["codex_fork: prompts not a list", "codex_fork", { ...forkArgs, prompts: "one" }, [
      "prompts",
    ]],
    ["codex_fork: prompts empty", "codex_fork", { ...forkArgs, prompts: [] }, ["prompts"]],
    ["codex_fork: nine prompts", "codex_fork", {
      ...forkArgs,
      prompts: Array.from({ length: 9 }, (_, i) => `p${i}`),
    }, ["prompts", "8"]],
    ["codex_fork: an empty prompt", "codex_fork", { ...forkArgs, prompts: ["one", ""] }, [
      "prompts",
    ]],
    ["codex_fork: a blank prompt", "codex_fork", { ...forkArgs, prompts: ["one", " \n"] }, [
      "prompts[1]",
      "empty",
    ]],
    ["codex_fork: a prompt with a NUL byte", "codex_fork", {
      ...forkArgs,
      prompts: ["a\0b"],
    }, ["prompts[0]", "NUL"]],
    ["codex_fork: a prompt over Codex's limit", "codex_fork", {
      ...forkArgs,
      prompts: ["one", "two", OVER],
    }, ["prompts[2]", "1048576"]],
    ["codex_fork: sandbox above the ceiling", "codex_fork", {
      ...forkArgs,
      sandbox: "danger-full-access",
    }, ["sandbox", "workspace-write"]],
    ["codex_fork: config notify", "codex_fork", {
      ...forkArgs,
      config: { notify: ["sh", "-c", "id"] },
    }, ["notify", "--allow-config"]],
    ["codex_fork: worktree not a boolean", "codex_fork", { ...forkArgs, worktree: "yes" }, [
      "worktree",
    ]],
    ["codex_fork: unknown field (no cwd: forks run where the thread ran)", "codex_fork", {
      ...forkArgs,
      cwd: repo,
    }, ["cwd"]],
  ];
  const ids: Case[] = [
    ["codex_status: id with ../", "codex_status", { task_ids: ["../x"] }, ["task_ids", "task id"]],
    ["codex_status: absolute id", "codex_status", { task_ids: ["/etc/passwd"] }, ["task_ids"]],
    ["codex_status: id with NUL", "codex_status", { task_ids: ["a\0b"] }, ["task_ids"]],
    ["codex_status: unknown id", "codex_status", { task_ids: ["0123456789ab"] }, [
      "0123456789ab",
      "no such task",
    ]],
    ["codex_status: ids not an array", "codex_status", { task_ids: "abc" }, ["task_ids"]],
    ["codex_status: empty id list", "codex_status", { task_ids: [] }, ["task_ids"]],
    ["codex_status: unknown field", "codex_status", { task_id: "abc" }, ["task_id"]],
    ["codex_wait: id with ../", "codex_wait", { task_ids: ["../../etc"] }, ["task_ids"]],
    ["codex_wait: unknown id", "codex_wait", { task_ids: ["0123456789ab"], timeout: 0 }, [
      "0123456789ab",
    ]],
    ["codex_wait: negative timeout", "codex_wait", { task_ids: ["abc"], timeout: -5 }, [
      "timeout",
    ]],
    ["codex_wait: timeout a string", "codex_wait", { timeout: "10" }, ["timeout"]],
    ["codex_wait: unknown mode", "codex_wait", { mode: "some" }, ["mode"]],
    ["codex_wait: unknown field", "codex_wait", { wait: 1 }, ["wait"]],
    ["codex_cancel: nothing given", "codex_cancel", {}, ["task_id"]],
    ["codex_cancel: id with ../", "codex_cancel", { task_id: "../x" }, ["task_id", "task id"]],
    ["codex_cancel: absolute id", "codex_cancel", { task_ids: ["/tmp"] }, ["task_ids"]],
    ["codex_cancel: unknown id", "codex_cancel", { task_id: "0123456789ab" }, [
      "0123456789ab",
      "no such task",
    ]],
    ["codex_cancel: id a number", "codex_cancel", { task_id: 7 }, ["task_id"]],
    ["codex_list: unknown phase", "codex_list", { phases: ["done"] }, ["phases"]],
    ["codex_list: limit zero", "codex_list", { limit: 0 }, ["limit"]],
    ["codex_list: limit a string", "codex_list", { limit: "5" }, ["limit"]],
    ["codex_list: unknown field", "codex_list", { all: true }, ["all"]],
    ["codex_worktree: task_id missing", "codex_worktree", { action: "diff" }, ["task_id"]],
    ["codex_worktree: action missing", "codex_worktree", { task_id: "abc" }, ["action"]],
    ["codex_worktree: unknown action", "codex_worktree", { task_id: "abc", action: "push" }, [
      "action",
    ]],
    ["codex_worktree: id with ../", "codex_worktree", { task_id: "../abc", action: "diff" }, [
      "task_id",
    ]],
    ["codex_worktree: absolute id", "codex_worktree", { task_id: "/abc", action: "discard" }, [
      "task_id",
    ]],
    ["codex_worktree: id with NUL", "codex_worktree", { task_id: "ab\0c", action: "merge" }, [
      "task_id",
    ]],
    ["codex_worktree: unknown id", "codex_worktree", {
      task_id: "0123456789ab",
      action: "merge",
      target: "main",
    }, ["0123456789ab", "no such task"]],
    ["codex_worktree: unknown field", "codex_worktree", {
      task_id: "abc",
      action: "diff",
      force: true,
    }, ["force"]],
    ["unknown tool", "codex_push", { prompt: "x" }, ["codex_push"]],
  ];
  const main = { cwd: repo, target: { base: "main" } };
  const review: Case[] = [
    ["codex_review: target missing", "codex_review", { cwd: repo }, ["target"]],
    ["codex_review: target not an object", "codex_review", { ...main, target: "main" }, [
      "target",
    ]],
    ["codex_review: target with no key", "codex_review", { ...main, target: {} }, [
      "target",
      "no key",
      "exactly one of",
    ]],
    ["codex_review: target with two keys", "codex_review", {
      ...main,
      target: { base: "main", commit: "HEAD" },
    }, ["target", "2 keys (base, commit)"]],
    ["codex_review: target with an unknown key", "codex_review", {
      ...main,
      target: { branch: "main" },
    }, ["branch"]],
    ["codex_review: branch unknown", "codex_review", { ...main, branch: "no-such" }, [
      "branch",
      '"no-such"',
      "names no branch or commit",
    ]],
    ["codex_review: branch with target.uncommitted", "codex_review", {
      cwd: repo,
      branch: "main",
      target: { uncommitted: true },
    }, ["branch", "target.uncommitted", "no uncommitted changes"]],
    ["codex_review: branch starting with -", "codex_review", { ...main, branch: "--all" }, [
      "branch",
      "starts with",
    ]],
    ["codex_review: uncommitted false", "codex_review", {
      ...main,
      target: { uncommitted: false },
    }, ["uncommitted"]],
    ["codex_review: base unknown", "codex_review", { ...main, target: { base: "no-such" } }, [
      "target.base",
      '"no-such"',
      "no branch or commit",
    ]],
    ["codex_review: base starting with -", "codex_review", {
      ...main,
      target: { base: "--all" },
    }, ["target.base", "-"]],
    ["codex_review: commit unknown", "codex_review", {
      ...main,
      target: { commit: "0123456789abcdef" },
    }, ["target.commit", "0123456789abcdef", "no commit"]],
    ["codex_review: commit empty", "codex_review", { ...main, target: { commit: "" } }, [
      "target.commit",
      "empty",
    ]],
    ["codex_review: task_id unknown", "codex_review", {
      ...main,
      target: { task_id: "0123456789ab" },
    }, ["0123456789ab", "no such task"]],
    ["codex_review: task_id not a task id", "codex_review", {
      ...main,
      target: { task_id: "../x" },
    }, ["target.task_id", "task id"]],
    ["codex_review: instructions with NUL", "codex_review", {
      ...main,
      target: { instructions: "a\0b" },
    }, ["target.instructions", "NUL"]],
    ["codex_review: not a git repository", "codex_review", {
      cwd: `${repo}/..`,
      target: { uncommitted: true },
    }, ["cwd", "not inside a git checkout"]],
    ["codex_review: cwd missing", "codex_review", { ...main, cwd: `${repo}/nope` }, [
      "cwd",
      "does not exist",
    ]],
    ["codex_review: cwd outside the allowed roots", "codex_review", { ...main, cwd: outside }, [
      "cwd",
      "outside",
      "--allow-root",
    ]],
    ["codex_review: unknown field", "codex_review", { ...main, worktree: true }, ["worktree"]],
    ["codex_review: timeout_s negative", "codex_review", { ...main, timeout_s: -1 }, [
      "timeout_s",
    ]],
  ];
  return [...perStartTool, ...attempts, ...reply, ...fork, ...ids, ...review];
}

Deno.test("bad input: every case is refused clearly and creates nothing", e2e, async (t) => {
  await using world = await makeWorld();
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "bad-input-root-" }));
  const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "bad-input-outside-" }));
  const repo = await makeRepo(root);
  // An image, a text file named like one, and an image outside the allowed roots.
  await Deno.writeFile(`${repo}/shot.png`, PNG);
  await Deno.writeTextFile(`${repo}/fake.png`, "not an image\n");
  await Deno.writeFile(`${outside}/pic.png`, PNG);
  await using server = await startServer(world, {
    args: ["--max-sandbox", "workspace-write", "--allow-root", root],
  });
  const { client } = server;
  const table = cases(repo, outside);
  assert.ok(table.length >= 60, `only ${table.length} cases`);
  try {
    for (const [name, tool, args, parts] of table) {
      await t.step(name, async () => {
        let message: string;
        try {
          const result = await client.callTool({ name: tool, arguments: args }, undefined, {
            timeout: 30_000,
          });
          assert.equal(result.isError, true, `accepted: ${textOf(result).slice(0, 300)}`);
          message = textOf(result);
        } catch (error) {
          // Invalid params come back as a JSON-RPC error.
          message = error instanceof Error ? error.message : String(error);
          assert.match(message, /-32602|Invalid|not found/i, message);
        }
        if (Deno.env.get("BAD_INPUT_PRINT")) console.log(`${name}: ${message.slice(0, 300)}`);
        for (const part of parts) {
          assert.ok(
            message.toLowerCase().includes(part.toLowerCase()),
            `message lacks ${JSON.stringify(part)}: ${message.slice(0, 600)}`,
          );
        }
      });
    }

    await t.step("afterwards the server answers and nothing was created", async () => {
      const list = await client.callTool({ name: "codex_list", arguments: {} });
      assert.equal(textOf(list), "No tasks.");
      const tasks = await Array.fromAsync(Deno.readDir(world.taskDir)).catch(() => []);
      // The supervisor's own directory (`.supervisor`) is no task.
      assert.deepEqual(tasks.map((e) => e.name).filter((n) => !n.startsWith(".")), []);
      const worktrees = await Array.fromAsync(Deno.readDir(world.worktreeDir)).catch(() => []);
      assert.deepEqual(
        worktrees.filter((e) => e.name !== ".threads").map((e) => e.name),
        [],
        "worktree directories were made",
      );
      assert.equal(await git(repo, "branch", "--list", "codex-swarm/*"), "");
      assert.equal(
        await git(repo, "worktree", "list", "--porcelain").then((o) =>
          o.split("\n").filter((l) => l.startsWith("worktree ")).length
        ),
        1,
      );
      assert.equal(world.fake.requests.length, 0, "rejected input reached the model");
    });
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    await Deno.remove(outside, { recursive: true }).catch(() => {});
  }
});

Deno.test(
  "bad input: codex_fork of a running thread, or into worktrees outside git, creates nothing",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    const plain = await Deno.realPath(await Deno.makeTempDir({ prefix: "bad-input-plain-" }));
    await using server = await startServer(world);
    const { client } = server;
    const call = (name: string, args: Args) =>
      client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
    const taskIds = async () => {
      const list = await call("codex_list", {});
      return (list.structuredContent as { tasks: Array<{ task_id: string }> }).tasks
        .map((task) => task.task_id).sort();
    };
    try {
      const parent = await call("codex", { prompt: "parent outside git", cwd: plain });
      assert.equal(parent.isError, undefined, textOf(parent));
      const threadId = (parent.structuredContent as { threadId: string }).threadId;
      const before = await taskIds();
      assert.equal(before.length, 1);

      await t.step("worktree: true when the thread has no worktree and no repository", async () => {
        const result = await call("codex_fork", {
          thread_id: threadId,
          prompts: ["fork one", "fork two"],
          worktree: true,
        });
        assert.equal(result.isError, true, textOf(result));
        assert.match(textOf(result), /worktree: true/);
        assert.ok(textOf(result).includes(plain), textOf(result));
        assert.match(textOf(result), /not in a git repository/);
        assert.deepEqual(await taskIds(), before);
      });

      await t.step("a fork of a thread whose task still runs names that task", async () => {
        // It waits for an approval nobody gives, until cancelled.
        const running = await call("codex_async", {
          prompt: "RUN=echo still going",
          threadId,
          "approval-policy": "untrusted",
        });
        const runningId = (running.structuredContent as { task_id: string }).task_id;
        try {
          const result = await call("codex_fork", { thread_id: threadId, prompts: ["fork"] });
          assert.equal(result.isError, true, textOf(result));
          assert.ok(textOf(result).includes(`task ${runningId}`), textOf(result));
          assert.match(textOf(result), /thread_id|thread "/);
          assert.match(textOf(result), /in progress/);
          assert.deepEqual(await taskIds(), [...before, runningId].sort());
        } finally {
          await call("codex_cancel", { task_id: runningId });
        }
      });

      await t.step("no fork prompt reached the model", () => {
        const prompts = world.fake.requests.map((r) => r.prompt);
        assert.ok(!prompts.some((p) => p.startsWith("fork")), JSON.stringify(prompts));
      });
    } finally {
      await Deno.remove(plain, { recursive: true }).catch(() => {});
    }
  },
);
