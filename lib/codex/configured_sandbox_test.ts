import assert from "node:assert/strict";
import { git, makeRepo } from "../../tests/support/repo.ts";
import { withTempDir } from "../../tests/support/temp_dir.ts";
import { capSandbox, configuredSandbox, trustLevel } from "./configured_sandbox.ts";
import type { SandboxPolicy } from "./protocol/generated/v2/SandboxPolicy.ts";

Deno.test("trustLevel: the nearest entry from the cwd up to the project root, else the main repository's", () => {
  const trust = { "/r": "trusted", "/r/a/b": "untrusted", "/main/": "trusted", "/": "trusted" };
  assert.equal(trustLevel(trust, "/r", "/r"), "trusted");
  assert.equal(trustLevel(trust, "/r/a", "/r"), "trusted");
  assert.equal(trustLevel(trust, "/r/a/b/c", "/r"), "untrusted");
  // Not above the project root, nor above the cwd without one.
  assert.equal(trustLevel(trust, "/s/a", "/s"), null);
  assert.equal(trustLevel({ "/s": "trusted" }, "/s/a", null), null);
  assert.equal(trustLevel({ "/s/a": "trusted" }, "/s/a", null), "trusted");
  // A worktree's own directories first, then its main repository (keys as written, `/` or not).
  assert.equal(trustLevel(trust, "/wt/x", "/wt", "/main"), "trusted");
  assert.equal(trustLevel({ ...trust, "/wt": "untrusted" }, "/wt/x", "/wt", "/main"), "untrusted");
});

Deno.test("configuredSandbox: Codex's sandbox_mode, else workspace-write where the user trusts the project, else read-only", async () => {
  const config = (
    sandboxMode: "danger-full-access" | null,
    trust: Record<string, string> = {},
  ) => ({
    sandboxMode,
    trust,
  });
  assert.equal(
    await configuredSandbox(config("danger-full-access"), "/r/a", "/r"),
    "danger-full-access",
  );
  assert.equal(await configuredSandbox(config(null), "/r/a", "/r"), "read-only");
  assert.equal(
    await configuredSandbox(config(null, { "/r": "trusted" }), "/r/a", "/r"),
    "workspace-write",
  );
  assert.equal(
    await configuredSandbox(config(null, { "/r": "untrusted" }), "/r/a", "/r"),
    "read-only",
  );
  assert.equal(
    await configuredSandbox(config(null, { "/r": "trusted" }), "/q/a", "/q"),
    "read-only",
  );
});

Deno.test("configuredSandbox: a linked worktree of a repository the user trusts gets workspace-write", async () => {
  await withTempDir("configured-sandbox-test-", async (dir) => {
    const repo = await makeRepo(dir);
    await git(repo, "worktree", "add", "-q", "-b", "side", `${dir}/wt`);
    const trusted = { sandboxMode: null, trust: { [repo]: "trusted" } };
    assert.equal(await configuredSandbox(trusted, `${dir}/wt/sub`, `${dir}/wt`), "workspace-write");
    const other = { sandboxMode: null, trust: { [`${dir}/other`]: "trusted" } };
    assert.equal(await configuredSandbox(other, `${dir}/wt/sub`, `${dir}/wt`), "read-only");
  });
});

Deno.test("capSandbox: a wider sandbox than the ceiling becomes the ceiling's; within it stays", () => {
  const full: SandboxPolicy = { type: "dangerFullAccess" };
  const write: SandboxPolicy = {
    type: "workspaceWrite",
    writableRoots: [],
    networkAccess: true,
    excludeTmpdirEnvVar: false,
    excludeSlashTmp: false,
  };
  assert.deepEqual(capSandbox(full, "read-only", []), { type: "readOnly", networkAccess: false });
  assert.deepEqual(capSandbox(full, "workspace-write", ["/extra"]), {
    type: "workspaceWrite",
    writableRoots: ["/extra"],
    networkAccess: false,
    excludeTmpdirEnvVar: false,
    excludeSlashTmp: false,
  });
  assert.deepEqual(capSandbox(write, "read-only", []), { type: "readOnly", networkAccess: false });
  assert.equal(capSandbox(write, "workspace-write", []), null);
  assert.equal(capSandbox(full, null, []), null);
  assert.equal(
    capSandbox({ type: "externalSandbox", networkAccess: "enabled" }, "workspace-write", [])?.type,
    "workspaceWrite",
  );
});
