import assert from "node:assert/strict";
import { buildExecArgs, type RunOptions, type ServerDefaults } from "./codex_args.ts";
import { startFakeResponses, writeCodexHome } from "../tests/support/fake_responses.ts";
import { throwsWith } from "../tests/support/assert.ts";

const NONE: ServerDefaults = { overrides: [], skipGitRepoCheck: false, ephemeral: false };

/** The `key=value` texts of the `--config=` arguments, in order. */
function configs(args: string[]): string[] {
  return args.filter((a) => a.startsWith("--config=")).map((a) => a.slice("--config=".length));
}

Deno.test("a bare run is exec --json -- prompt", () => {
  assert.deepEqual(buildExecArgs({ prompt: "hello" }, NONE), ["exec", "--json", "--", "hello"]);
});

Deno.test("every option maps to its flag, all before the -- that ends options", () => {
  const args = buildExecArgs({
    prompt: "do it",
    model: "o3",
    profile: "fast",
    cwd: "/work/repo",
    approvalPolicy: "on-request",
    sandbox: "workspace-write",
    config: { model_reasoning_effort: "high" },
    baseInstructions: "base",
    developerInstructions: "dev",
    compactPrompt: "compact",
  }, {
    overrides: [{ key: "hide_agent_reasoning", value: "true" }],
    skipGitRepoCheck: true,
    ephemeral: true,
  });
  assert.deepEqual(args, [
    "exec",
    "--json",
    "--skip-git-repo-check",
    "--ephemeral",
    "--model=o3",
    "--profile=fast",
    "--sandbox=workspace-write",
    "--cd=/work/repo",
    "--config=hide_agent_reasoning=true",
    '--config=model_reasoning_effort="high"',
    '--config=approval_policy="on-request"',
    '--config=instructions="base"',
    '--config=developer_instructions="dev"',
    '--config=compact_prompt="compact"',
    "--",
    "do it",
  ]);
});

Deno.test("values starting with - stay attached to their flag", () => {
  const args = buildExecArgs({ prompt: "p", model: "-m", profile: "-p", cwd: "/x" }, {
    ...NONE,
    overrides: [{ key: "-k", value: "1" }],
  });
  assert.deepEqual(args.slice(2, 6), ["--model=-m", "--profile=-p", "--cd=/x", "--config=-k=1"]);
});

Deno.test("a prompt that looks like a flag comes after -- and last", () => {
  for (const prompt of ["-x", "--help", " -", "--", "-c model=x", ""]) {
    const args = buildExecArgs({ prompt, model: "m" }, NONE);
    assert.equal(args.at(-1), prompt);
    assert.equal(args.at(-2), "--");
    assert.equal(args.indexOf("--"), args.length - 2, "only one --, right before the prompt");
  }
});

Deno.test("a prompt of exactly - is refused (codex would read stdin)", () => {
  throwsWith(() => buildExecArgs({ prompt: "-" }, NONE), 'prompt of exactly "-"');
  throwsWith(() => buildExecArgs({ prompt: "-", resumeThreadId: "t" }, NONE), "read stdin");
});

Deno.test("resume puts flags before the subcommand and -- before the thread id", () => {
  const args = buildExecArgs(
    {
      prompt: "-continue",
      resumeThreadId: "0199a213-81c0-7800-8aa1-bbab2a035a53",
      model: "o3",
      sandbox: "read-only",
      cwd: "/w",
      config: { a: 1 },
    },
    { overrides: [], skipGitRepoCheck: true, ephemeral: false },
  );
  assert.deepEqual(args, [
    "exec",
    "--json",
    "--skip-git-repo-check",
    "--model=o3",
    "--sandbox=read-only",
    "--cd=/w",
    "--config=a=1",
    "resume",
    "--",
    "0199a213-81c0-7800-8aa1-bbab2a035a53",
    "-continue",
  ]);
});

Deno.test("a thread name starting with - is still the thread id", () => {
  assert.deepEqual(buildExecArgs({ prompt: "p", resumeThreadId: "-name" }, NONE).slice(2), [
    "resume",
    "--",
    "-name",
    "p",
  ]);
});

Deno.test("empty model, profile, cwd or thread id is refused, naming the field", () => {
  for (const field of ["model", "profile", "cwd", "resumeThreadId"] as const) {
    const run: RunOptions = { prompt: "p", [field]: "" };
    throwsWith(() => buildExecArgs(run, NONE), `${field} is empty`);
  }
});

Deno.test("config objects become dotted --config entries with TOML values", () => {
  const args = buildExecArgs({
    prompt: "p",
    config: {
      sandbox_workspace_write: { network_access: true, writable_roots: ["/a", "/b c"] },
      model_providers: { "my.provider": { name: "X" } },
      tool_output_token_limit: 1000,
    },
  }, NONE);
  assert.deepEqual(configs(args), [
    "sandbox_workspace_write.network_access=true",
    'sandbox_workspace_write.writable_roots=["/a", "/b c"]',
    'model_providers={ "my.provider" = { name = "X" } }',
    "tool_output_token_limit=1000",
  ]);
});

Deno.test("instruction strings are escaped as one-line TOML strings", () => {
  const args = buildExecArgs({
    prompt: "p",
    developerInstructions: 'say "hi"\nthen \\ leave\u0001',
  }, NONE);
  assert.deepEqual(configs(args), [
    'developer_instructions="say \\"hi\\"\\nthen \\\\ leave\\u0001"',
  ]);
});

Deno.test("a bad config value is refused, naming its key", () => {
  throwsWith(
    () => buildExecArgs({ prompt: "p", config: { a: { b: null } } }, NONE),
    'at "a.b": null',
  );
  throwsWith(() => buildExecArgs({ prompt: "p", config: { "a b": 1 } }, NONE), '"a b"');
});

Deno.test("server defaults come first, in order, and a per-call key drops them", () => {
  const defaults: ServerDefaults = {
    overrides: [
      { key: "model_reasoning_effort", value: '"low"' },
      { key: "z", value: "1" },
      { key: "sandbox_workspace_write.network_access", value: "false" },
      { key: "developer_instructions", value: '"server"' },
      { key: "shell_environment_policy", value: '{ inherit = "none", set = { A = "1" } }' },
      { key: "a", value: "1" },
    ],
    skipGitRepoCheck: false,
    ephemeral: false,
  };
  const args = buildExecArgs({
    prompt: "p",
    config: {
      model_reasoning_effort: "high",
      sandbox_workspace_write: { network_access: true },
      shell_environment_policy: { set: { B: "2" } },
    },
    developerInstructions: "call",
  }, defaults);
  assert.deepEqual(configs(args), [
    "z=1",
    // Kept: the call sets only a key under it, and Codex applies -c entries in order.
    'shell_environment_policy={ inherit = "none", set = { A = "1" } }',
    "a=1",
    'model_reasoning_effort="high"',
    "sandbox_workspace_write.network_access=true",
    'shell_environment_policy.set.B="2"',
    'developer_instructions="call"',
  ]);
  // The caller's defaults are left alone.
  assert.equal(defaults.overrides.length, 6);
});

Deno.test("setting a table per call drops server defaults under it", () => {
  const args = buildExecArgs({ prompt: "p", config: { sandbox_workspace_write: {} } }, {
    ...NONE,
    overrides: [
      { key: "sandbox_workspace_write.network_access", value: "true" },
      { key: "sandbox_workspace_write_other", value: "1" },
    ],
  });
  assert.deepEqual(configs(args), [
    "sandbox_workspace_write_other=1",
    "sandbox_workspace_write={}",
  ]);
});

Deno.test("typed fields win over the same key in the call's config", () => {
  const args = buildExecArgs({
    prompt: "p",
    config: { instructions: "from config", compact_prompt: "from config", other: 1 },
    baseInstructions: "typed",
    compactPrompt: "typed too",
  }, NONE);
  assert.deepEqual(configs(args), [
    "other=1",
    'instructions="typed"',
    'compact_prompt="typed too"',
  ]);
});

Deno.test("later duplicate server defaults win over earlier ones", () => {
  const args = buildExecArgs({ prompt: "p" }, {
    ...NONE,
    overrides: [{ key: "m", value: "1" }, { key: "n", value: "2" }, { key: "m", value: "3" }],
  });
  assert.deepEqual(configs(args), ["n=2", "m=3"]);
});

function codexOnPath(): boolean {
  try {
    return new Deno.Command("codex", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** The texts of the request's developer messages. */
function developerTexts(body: Record<string, unknown>): string[] {
  const input = (body.input ?? []) as Array<{ role?: string; content?: Array<{ text?: unknown }> }>;
  return input.filter((item) => item.role === "developer")
    .flatMap((item) => item.content ?? [])
    .map((c) => (typeof c.text === "string" ? c.text : ""));
}

Deno.test({
  name: "the real codex takes these argv as meant: model, dash prompts, escapes, resume",
  ignore: !codexOnPath(),
  async fn() {
    await using fake = startFakeResponses();
    const home = await writeCodexHome(fake.url);
    const dir = await Deno.makeTempDir({ prefix: "codex-args-e2e-" });
    const run = async (args: string[]) => {
      const out = await new Deno.Command("codex", {
        args,
        env: { CODEX_HOME: home, MOCK_API_KEY: "k" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      const detail = `${stdout}\n${new TextDecoder().decode(out.stderr)}`;
      assert.equal(out.code, 0, detail);
      assert.match(stdout, /"type":"turn.completed"/, detail);
      return /"thread_id":"([^"]+)"/.exec(stdout)?.[1];
    };
    try {
      const tricky = 'quote " backslash \\ newline\nsecond line\ttab \u0001 del\u007f é 😀';
      const defaults: ServerDefaults = {
        overrides: [
          { key: "model", value: '"server-model"' },
          { key: "developer_instructions", value: '"SERVER-DEV"' },
        ],
        skipGitRepoCheck: true,
        ephemeral: false,
      };
      const thread = await run(buildExecArgs({
        prompt: "-dash prompt",
        model: "e2e-model",
        cwd: dir,
        sandbox: "read-only",
        developerInstructions: tricky,
        baseInstructions: "E2E-BASE-INSTRUCTIONS",
      }, defaults));
      assert.equal(fake.requests.length, 1);
      const first = fake.requests[0]!;
      assert.equal(first.model, "e2e-model");
      assert.equal(first.prompt, "-dash prompt");
      const dev = developerTexts(first.body);
      assert.ok(dev.includes(tricky), `developer messages: ${JSON.stringify(dev)}`);
      assert.ok(!dev.some((t) => t.includes("SERVER-DEV")), "the server default was dropped");
      // Codex puts its base instructions first; `instructions` replaced them.
      assert.equal(dev[0], "E2E-BASE-INSTRUCTIONS");
      assert.ok(thread, "a thread id");

      const resumed = await run(buildExecArgs({
        prompt: "--resumed prompt",
        model: "e2e-model-2",
        cwd: dir,
        resumeThreadId: thread,
      }, defaults));
      assert.equal(resumed, thread);
      const last = fake.requests.at(-1)!;
      assert.equal(last.model, "e2e-model-2");
      assert.equal(last.prompt, "--resumed prompt");
    } finally {
      await Deno.remove(home, { recursive: true }).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("promptOnStdin puts - on argv for any prompt, - itself included", () => {
  const defaults = { overrides: [], skipGitRepoCheck: false, ephemeral: false };
  assert.deepEqual(
    buildExecArgs({ prompt: "x".repeat(200_000) }, defaults, { promptOnStdin: true }),
    ["exec", "--json", "--", "-"],
  );
  assert.deepEqual(
    buildExecArgs({ prompt: "-", resumeThreadId: "t1" }, defaults, { promptOnStdin: true }),
    ["exec", "--json", "resume", "--", "t1", "-"],
  );
});
