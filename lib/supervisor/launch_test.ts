import assert from "node:assert/strict";
import { parseCli } from "./cli.ts";
import { isBundled, isCompiled, selfCommand, supervisorArgs } from "./launch.ts";

Deno.test("the supervisor gets the starting front-end's settings spelled out", () => {
  const parsed = parseCli(
    [
      "--max-parallel",
      "2",
      "-c",
      'model="m"',
      "--ephemeral",
      "--log-file",
      "none",
      "--worktree-setup",
      "npm ci",
    ],
    { HOME: "/home/u" },
    { os: "linux", cwd: "/w" },
  );
  if (parsed.kind !== "run") throw new Error("unreachable");
  const args = supervisorArgs(parsed.config);
  assert.deepEqual(args.slice(0, 3), ["supervisor", "--task-dir", parsed.config.taskDir]);
  assert.ok(args.join(" ").includes("--max-parallel 2"));
  assert.ok(args.join(" ").includes('-c model="m"'));
  assert.ok(args.includes("--ephemeral") && !args.includes("--skip-git-repo-check"));
  assert.ok(args.join(" ").includes("--log-file none"));
  // Parsing them again gives the same settings.
  const again = parseCli(args.slice(1), {}, { os: "linux", cwd: "/elsewhere" });
  assert.deepEqual(again.kind === "run" ? again.config : null, parsed.config);
});

Deno.test("the supervisor gets the starting front-end's policy flags: its ceiling", () => {
  const flags = [
    "--max-sandbox",
    "workspace-write",
    "--allow-root",
    "/src",
    "--allow-config",
    "sandbox_workspace_write.network_access",
    "--pass-env",
    "NPM_TOKEN",
  ];
  const parsed = parseCli(flags, { HOME: "/home/u" }, { os: "linux", cwd: "/w" });
  if (parsed.kind !== "run") throw new Error("unreachable");
  const args = supervisorArgs(parsed.config);
  for (let i = 0; i < flags.length; i += 2) {
    assert.ok(args.join(" ").includes(`${flags[i]} ${flags[i + 1]}`), flags[i]);
  }
  const again = parseCli(args.slice(1), {}, { os: "linux", cwd: "/elsewhere" });
  assert.deepEqual(
    again.kind === "run" ? again.config.policy.toJSON() : null,
    parsed.config.policy.toJSON(),
  );
});

Deno.test("under deno run the supervisor is this module again, with the permissions", () => {
  assert.equal(isCompiled("/usr/bin/deno"), false);
  assert.equal(isCompiled("C:\\deno\\deno.exe"), false);
  assert.equal(isCompiled("/usr/local/bin/codex-swarm"), true);
  const { args } = selfCommand(["supervisor"], "/s/sock");
  assert.ok(args.includes("--allow-run"));
  assert.ok(args.includes("--allow-net=127.0.0.1,unix:/s/sock"), args.join(" "));
  assert.deepEqual(args.slice(-2), [Deno.mainModule, "supervisor"]);
  // From source, main.ts needs deno.json's imports: no --no-config.
  assert.equal(args.includes("--no-config"), false);
});

Deno.test("only a bundle (this module inside the main module) counts as bundled", () => {
  assert.equal(isBundled("file:///p/dist/codex-swarm.js", "file:///p/dist/codex-swarm.js"), true);
  assert.equal(isBundled("file:///p/lib/supervisor/launch.ts", "file:///p/main.ts"), false);
  assert.equal(isBundled(), false);
});

Deno.test("the supervisor gets the starting front-end's workers", () => {
  const flags = ["--worker", "box=ssh://box", "--worker-token-file", "box=/t", "--no-local"];
  const parsed = parseCli(flags, { HOME: "/home/u" }, { os: "linux", cwd: "/w" });
  if (parsed.kind !== "run") throw new Error("unreachable");
  const args = supervisorArgs(parsed.config);
  assert.ok(
    args.join(" ").endsWith("--worker box=ssh://box --worker-token-file box=/t --no-local"),
  );
  const again = parseCli(args.slice(1), {}, { os: "linux", cwd: "/elsewhere" });
  assert.deepEqual(
    again.kind === "run" ? again.config.workerFlags : null,
    parsed.config.workerFlags,
  );
});
