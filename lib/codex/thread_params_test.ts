import assert from "node:assert/strict";
import { throwsWith } from "../../tests/support/assert.ts";
import {
  checkAddDirsSandbox,
  placeThread,
  type ThreadParams,
  threadSettings,
  withDeveloperSection,
} from "./thread_params.ts";
import type { RunOptions, ServerDefaults } from "./codex_args.ts";

/** The parameters of `run` in `where.cwd`, as the engine makes them. */
function buildThreadParams(
  run: RunOptions,
  defaults: ServerDefaults,
  where: { cwd: string; codexHome: string },
): ThreadParams {
  return placeThread(threadSettings(run, defaults, where.codexHome), where.cwd);
}
import { untrustedProjects } from "./project_trust.ts";

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
    projects: untrustedProjects("/repo"),
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

Deno.test("buildThreadParams: images follow the prompt; add_dirs join the writable roots", () => {
  const where = { cwd: "/repo", codexHome: "/nonexistent" };
  const plain = { overrides: [], skipGitRepoCheck: false, ephemeral: false };
  const p = buildThreadParams(
    { prompt: "look", images: ["/repo/a.png", "/b.jpg"], addDirs: ["/shared"] },
    plain,
    where,
  );
  assert.deepEqual(p.input, [
    { type: "text", text: "look", text_elements: [] },
    { type: "localImage", path: "/repo/a.png" },
    { type: "localImage", path: "/b.jpg" },
  ]);
  assert.deepEqual(p.thread.config, {
    "sandbox_workspace_write.writable_roots": ["/shared"],
    projects: untrustedProjects("/repo"),
  });
  // After the roots the config lists, dotted or as a table.
  const dotted = buildThreadParams(
    {
      prompt: "p",
      sandbox: "workspace-write",
      config: { sandbox_workspace_write: { writable_roots: ["/a"] } },
      addDirs: ["/b"],
    },
    plain,
    where,
  );
  assert.deepEqual(dotted.thread.config["sandbox_workspace_write.writable_roots"], ["/a", "/b"]);
  const table = buildThreadParams({ prompt: "p", addDirs: ["/b"] }, {
    ...plain,
    overrides: [{ key: "sandbox_workspace_write", value: '{ writable_roots = ["/a"] }' }],
  }, where);
  assert.deepEqual(table.thread.config, {
    sandbox_workspace_write: { writable_roots: ["/a", "/b"] },
    projects: untrustedProjects("/repo"),
  });
  // A read-only sandbox would ignore them: refused, from the field or the config.
  throwsWith(
    () => buildThreadParams({ prompt: "p", sandbox: "read-only", addDirs: ["/b"] }, plain, where),
    "add_dirs[0]",
  );
  throwsWith(
    () =>
      buildThreadParams({ prompt: "p", addDirs: ["/b"] }, {
        ...plain,
        overrides: [{ key: "sandbox_mode", value: '"read-only"' }],
      }, where),
    "read-only",
  );
  assert.equal(
    buildThreadParams({ prompt: "p", addDirs: [] }, plain, where).thread.config[
      "sandbox_workspace_write.writable_roots"
    ],
    undefined,
  );
});

Deno.test("buildThreadParams: the cwd's project is untrusted, whatever a session or a call sets", () => {
  const p = buildThreadParams(
    { prompt: "p", config: { projects: { "/src/app": { trust_level: "trusted" } } } },
    {
      overrides: [{ key: "projects./src/app.trust_level", value: '"trusted"' }],
      skipGitRepoCheck: false,
      ephemeral: false,
    },
    { cwd: "/src/app", codexHome: "/nonexistent" },
  );
  assert.deepEqual(p.thread.config, { projects: untrustedProjects("/src/app") });
});

Deno.test("checkAddDirsSandbox: a read-only thread cannot take add_dirs", () => {
  const readOnly = { type: "readOnly", networkAccess: false } as const;
  checkAddDirsSandbox(undefined, readOnly);
  checkAddDirsSandbox([], readOnly);
  checkAddDirsSandbox(["/b"], { type: "dangerFullAccess" });
  throwsWith(() => checkAddDirsSandbox(["/b"], readOnly), 'add_dirs[0] "/b"');
});

Deno.test("withDeveloperSection: the project's instructions after the call's or session's developer instructions", () => {
  const thread = { cwd: "/repo", config: {} };
  assert.deepEqual(withDeveloperSection(thread, null), thread);
  assert.deepEqual(withDeveloperSection(thread, "# AGENTS.md"), {
    ...thread,
    developerInstructions: "# AGENTS.md",
  });
  assert.deepEqual(
    withDeveloperSection({ ...thread, developerInstructions: "be brief" }, "# AGENTS.md"),
    { ...thread, developerInstructions: "be brief\n\n# AGENTS.md" },
  );
  assert.deepEqual(
    withDeveloperSection({ ...thread, developerInstructions: "" }, "# AGENTS.md")
      .developerInstructions,
    "# AGENTS.md",
  );
});
