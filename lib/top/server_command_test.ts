import assert from "node:assert/strict";
import { SERVER_PERMISSIONS, topPermissions } from "../supervisor/permissions.ts";
import { cannotRun, serverCommand } from "./server_command.ts";

Deno.test("serverCommand: deno run with the server's permissions, or the compiled binary", () => {
  const fromSource = serverCommand(["--max-parallel", "2"], {
    standalone: false,
    execPath: "/opt/deno",
    mainModule: "file:///repo/main.ts",
  });
  assert.deepEqual(fromSource, {
    command: "/opt/deno",
    args: ["run", "--quiet", ...SERVER_PERMISSIONS, "file:///repo/main.ts", "--max-parallel", "2"],
  });
  const compiled = serverCommand(["--task-dir", "/t"], {
    standalone: true,
    execPath: "/usr/local/bin/codex-swarm",
    mainModule: "file:///ignored.ts",
  });
  assert.deepEqual(compiled, { command: "/usr/local/bin/codex-swarm", args: ["--task-dir", "/t"] });
  // The bundle (the npm package's) must not read a deno.json found above it.
  const bundle = serverCommand([], {
    standalone: false,
    execPath: "/n/deno",
    mainModule: "file:///n/codex-swarm.js",
    bundled: true,
  });
  assert.deepEqual(bundle.args.slice(0, 3), ["run", "--quiet", "--no-config"]);
});

Deno.test("topPermissions: the server's, able to run top's own program", () => {
  const flags = topPermissions("/opt/deno");
  const run = flags.filter((f) => f === "--allow-run" || f.startsWith("--allow-run="));
  assert.equal(run.length, 1, flags.join(" "));
  // Unscoped --allow-run allows it already; a list must name it.
  assert.ok(
    run[0] === "--allow-run" || run[0]!.split("=")[1]!.split(",").includes("/opt/deno"),
    flags.join(" "),
  );
  assert.equal(flags.length, SERVER_PERMISSIONS.length);
});

Deno.test("cannotRun: says which program and how to allow it", async () => {
  // The tests run with --allow-all; a program is refused only where run permission is limited.
  assert.equal(await cannotRun(Deno.execPath()), null);
});
