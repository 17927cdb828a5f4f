import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import { Policy } from "../codex/policy.ts";
import { OperatorCeiling, parseSettings, settingsPath } from "./settings.ts";

const log = new Logger({ level: "error", file: null, stderr: () => {} });

Deno.test("settingsPath: XDG_CONFIG_HOME, else ~/.config, else none", () => {
  assert.equal(settingsPath({ XDG_CONFIG_HOME: "/x", HOME: "/h" }), "/x/codex-swarm/config.toml");
  assert.equal(settingsPath({ HOME: "/h" }), "/h/.config/codex-swarm/config.toml");
  assert.equal(settingsPath({}), null);
});

Deno.test("parseSettings: [policy] sets the ceiling; a bad key or value names the field", () => {
  const limits = parseSettings(
    `[policy]\nmax_sandbox = "workspace-write"\nallow_roots = ["/nonexistent/src"]\n` +
      `allow_config = ["sandbox_workspace_write.network_access"]\npass_env = ["NPM_TOKEN"]\n`,
    "/c.toml",
  );
  assert.deepEqual(limits, {
    maxSandbox: "workspace-write",
    allowRoots: ["/nonexistent/src"],
    allowConfig: ["sandbox_workspace_write.network_access"],
    passEnv: ["NPM_TOKEN"],
  });
  assert.deepEqual(parseSettings("", "/c.toml"), {});
  const bad: Array<[string, RegExp]> = [
    ["[policy", /\/c\.toml: it is not TOML/],
    ['policy = "x"', /policy is not a table/],
    ['[policy]\nmax_sandbox = "all"', /policy\.max_sandbox "all": expected one of read-only/],
    ['[policy]\nallow_roots = ["src"]', /policy\.allow_roots holds a relative path, src/],
    ["[policy]\npass_env = [1]", /policy\.pass_env is not a list of non-empty strings/],
    ["[policy]\nmax_sandox = 'read-only'", /policy\.max_sandox is not a setting/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseSettings(text, "/c.toml"), message, text);
  }
});

Deno.test("OperatorCeiling: the file when there is one, read again when it changes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "settings-" });
  const path = `${dir}/config.toml`;
  const flags = new Policy({ maxSandbox: "danger-full-access" });
  try {
    const ceiling = new OperatorCeiling(path, flags, log);
    const now = () => {
      const c = ceiling.current();
      return "error" in c ? c.error : c.policy.maxSandbox;
    };
    assert.equal(now(), "danger-full-access", "no file: the flags");
    await Deno.writeTextFile(path, '[policy]\nmax_sandbox = "read-only"\n');
    assert.equal(now(), "read-only");
    await Deno.writeTextFile(path, '[policy]\nmax_sandbox = "workspace-write"\n# changed\n');
    assert.equal(now(), "workspace-write");
    await Deno.writeTextFile(path, "[policy]\nmax_sandbox = 3\n");
    assert.match(now() ?? "", /policy\.max_sandbox is not text/, "a broken file: no ceiling");
    await Deno.remove(path);
    assert.equal(now(), "danger-full-access");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
