import assert from "node:assert/strict";
import { throwsWith } from "../../tests/support/assert.ts";
import { DEFAULT_ALLOWED_CONFIG_KEYS, parseSandboxMode, Policy, PolicyError } from "./policy.ts";

Deno.test("config keys: the defaults shape the model's work; where programs run is refused", () => {
  const policy = new Policy();
  policy.checkConfigKeys(["model_reasoning_effort", "model_verbosity", "instructions"]);
  for (
    const key of [
      "notify",
      "mcp_servers.evil.command",
      "model_providers.x.base_url",
      "model_provider",
      "sandbox_mode",
      "shell_environment_policy.inherit",
      "sandbox_workspace_write.network_access",
    ]
  ) {
    throwsWith(() => policy.checkConfigKeys([key]), `"${key}"`, "--allow-config");
  }
  assert.ok(!DEFAULT_ALLOWED_CONFIG_KEYS.includes("notify"));
});

Deno.test("--allow-config widens: a key covers those below it, * covers all", () => {
  const policy = new Policy({ allowConfig: ["mcp_servers"] });
  policy.checkConfigKeys(["mcp_servers.a.command"]);
  throwsWith(() => policy.checkConfigKeys(["mcp_serversX"]), "mcp_serversX");
  new Policy({ allowConfig: ["*"] }).checkConfigKeys(["notify", "a.b.c"]);
  // A key below an allowed one does not allow the table above it.
  throwsWith(
    () => new Policy({ allowConfig: ["tools.web_search"] }).checkConfigKeys(["tools"]),
    '"tools"',
  );
});

Deno.test("the sandbox ceiling refuses a higher mode, naming both", () => {
  const policy = new Policy({ maxSandbox: "workspace-write" });
  policy.checkSandbox("read-only", "sandbox");
  policy.checkSandbox("workspace-write", "sandbox");
  policy.checkSandbox(undefined, "sandbox");
  throwsWith(
    () => policy.checkSandbox("danger-full-access", "sandbox"),
    "sandbox",
    '"danger-full-access"',
    '"workspace-write"',
  );
  new Policy().checkSandbox("danger-full-access", "sandbox");
});

Deno.test("allowed roots confine paths; a sibling with the same prefix is outside", () => {
  const policy = new Policy({ allowRoots: ["/src/a", "/src/b/"] });
  policy.checkPath("/src/a", "cwd");
  policy.checkPath("/src/a/deep/er", "cwd");
  policy.checkPath("/src/b/x", "cwd");
  throwsWith(() => policy.checkPath("/src/ab", "cwd"), 'cwd "/src/ab"', "/src/a, /src/b");
  throwsWith(() => policy.checkPath("/src/a/../c", "cwd"), "outside");
  new Policy().checkPath("/anywhere", "cwd");
});

Deno.test("narrow: a session may tighten every limit and widen none", () => {
  const operator = new Policy({
    allowConfig: ["mcp_servers"],
    maxSandbox: "workspace-write",
    allowRoots: ["/src"],
    passEnv: ["LICENSE_KEY"],
  });
  const session = operator.narrow({
    maxSandbox: "read-only",
    allowRoots: ["/src/project"],
    allowConfig: ["model"],
    passEnv: [],
  });
  assert.equal(session.maxSandbox, "read-only");
  assert.deepEqual(session.allowRoots, ["/src/project"]);
  assert.deepEqual(session.allowConfig, ["model"]);
  throwsWith(() => session.checkConfigKeys(["model_verbosity"]), "model_verbosity");
  // Absent fields keep the operator's values.
  const same = operator.narrow({});
  assert.equal(same.maxSandbox, "workspace-write");
  assert.deepEqual(same.allowConfig, operator.allowConfig);

  const refusals: Array<[Parameters<Policy["narrow"]>[0], string]> = [
    [{ maxSandbox: "danger-full-access" }, "above the server's sandbox ceiling"],
    [{ allowRoots: ["/etc"] }, "outside"],
    [{ allowConfig: ["notify"] }, '"notify"'],
    [{ allowConfig: ["*"] }, '"*"'],
    [{ passEnv: ["GITHUB_TOKEN"] }, "GITHUB_TOKEN"],
  ];
  for (const [limits, part] of refusals) {
    let caught: unknown;
    try {
      operator.narrow(limits);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof PolicyError, JSON.stringify(limits));
    assert.ok(caught.message.includes(part), caught.message);
  }
  // Without a ceiling any session ceiling narrows.
  assert.equal(new Policy().narrow({ maxSandbox: "read-only" }).maxSandbox, "read-only");
});

Deno.test("parseSandboxMode takes quoted TOML strings and names the source otherwise", () => {
  assert.equal(parseSandboxMode('"read-only"', "-c sandbox_mode"), "read-only");
  assert.equal(parseSandboxMode("workspace-write", "--max-sandbox"), "workspace-write");
  throwsWith(() => parseSandboxMode("full", "--max-sandbox"), "--max-sandbox", '"full"');
});
