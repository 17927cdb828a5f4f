import assert from "node:assert/strict";
import { throwsWith } from "../../tests/support/assert.ts";
import { buildThreadParams, tomlTextToJson } from "./thread_params.ts";

const defaults = {
  overrides: [{ key: "model", value: '"server-model"' }, {
    key: "sandbox_workspace_write.network_access",
    value: "true",
  }],
  skipGitRepoCheck: false,
  ephemeral: true,
};

Deno.test("buildThreadParams: typed fields win over config, config over server defaults", () => {
  const p = buildThreadParams(
    {
      prompt: "hi",
      config: {
        model_reasoning_effort: "high",
        sandbox_workspace_write: { network_access: false },
      },
      sandbox: "workspace-write",
      approvalPolicy: "on-failure",
      developerInstructions: "be brief",
      compactPrompt: "sum up",
    },
    defaults,
    { cwd: "/repo", codexHome: "/nonexistent" },
  );
  assert.equal(p.thread.model, "server-model");
  assert.equal(p.thread.sandbox, "workspace-write");
  // Codex 0.169 has no on-failure: on-request is the closest.
  assert.equal(p.thread.approvalPolicy, "on-request");
  assert.equal(p.thread.developerInstructions, "be brief");
  assert.equal(p.thread.ephemeral, true);
  assert.deepEqual(p.thread.config, {
    "sandbox_workspace_write.network_access": false,
    model_reasoning_effort: "high",
    compact_prompt: "sum up",
  });
  assert.deepEqual(p.input, [{ type: "text", text: "hi", text_elements: [] }]);
});

Deno.test("buildThreadParams: a call's model replaces the server's", () => {
  const p = buildThreadParams({ prompt: "x", model: "mine" }, defaults, {
    cwd: "/r",
    codexHome: "/nonexistent",
  });
  assert.equal(p.thread.model, "mine");
  assert.equal("model" in p.thread.config, false);
});

Deno.test("buildThreadParams: a profile's file is layered in; a missing one is a clear error", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${home}/fast.config.toml`,
      'model = "profile-model"\n[tools]\nweb = true\n',
    );
    const p = buildThreadParams({ prompt: "x", profile: "fast" }, { ...defaults, overrides: [] }, {
      cwd: "/r",
      codexHome: home,
    });
    assert.equal(p.thread.model, "profile-model");
    assert.equal(p.thread.config["tools.web"], true);
    throwsWith(
      () =>
        buildThreadParams({ prompt: "x", profile: "nope" }, defaults, {
          cwd: "/r",
          codexHome: home,
        }),
      'Cannot use profile "nope" as its file does not exist',
      `${home}/nope.config.toml`,
    );
    throwsWith(
      () =>
        buildThreadParams({ prompt: "x", profile: "../x" }, defaults, {
          cwd: "/r",
          codexHome: home,
        }),
      "a profile name has only letters",
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("tomlTextToJson reads TOML values and keeps other text as a string", () => {
  assert.equal(tomlTextToJson("42"), 42);
  assert.deepEqual(tomlTextToJson('["a", 1]'), ["a", 1]);
  assert.equal(tomlTextToJson("not toml at all"), "not toml at all");
  assert.deepEqual(tomlTextToJson("{ a = { b = true } }"), { a: { b: true } });
});
