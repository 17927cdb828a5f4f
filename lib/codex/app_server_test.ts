import assert from "node:assert/strict";
import { Logger } from "../log.ts";
import { AppServer, AppServerError, compareVersions, versionOfUserAgent } from "./app_server.ts";

const log = new Logger({ level: "error", file: null, stderr: () => {} });
const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };

/** Writes an executable shell script standing in for `codex`; returns its path. */
async function fakeCodex(script: string, mode = 0o755): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fake-codex-" });
  const path = `${dir}/codex`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${script}\n`);
  await Deno.chmod(path, mode);
  return path;
}

async function startError(bin: string): Promise<AppServerError> {
  try {
    const server = await AppServer.start({ bin, env, log });
    await server.close();
  } catch (error) {
    assert.ok(error instanceof AppServerError, String(error));
    return error;
  }
  throw new Error("AppServer.start did not fail");
}

Deno.test("compareVersions and versionOfUserAgent", () => {
  assert.equal(compareVersions("0.169.0", "0.169.0"), 0);
  assert.equal(compareVersions("0.98.0", "0.169.0"), -1);
  assert.equal(compareVersions("1.0.0-alpha.1", "0.169.0"), 1);
  assert.equal(
    versionOfUserAgent("codex-swarm/0.169.0 (Debian 12.0.0; x86_64) unknown (codex-swarm; 0.1.0)"),
    "0.169.0",
  );
  assert.equal(versionOfUserAgent("garbage"), null);
});

Deno.test("AppServer.start: a missing binary is a clear error", async () => {
  const error = await startError("/nonexistent/codex");
  assert.equal(error.reason, "missing");
  assert.match(error.message, /was not found.*: binary is \/nonexistent\/codex$/);
});

Deno.test("AppServer.start: a binary that is not executable is a clear error", async () => {
  const bin = await fakeCodex("exit 0", 0o644);
  const error = await startError(bin);
  assert.equal(error.reason, "not_executable");
  assert.match(error.message, /is not executable/);
});

Deno.test("AppServer.start: a Codex without app-server is too old, with its version", async () => {
  const bin = await fakeCodex(
    `if [ "$1" = "--version" ]; then echo "codex-cli 0.98.0"; exit 0; fi
echo "error: unrecognized subcommand 'app-server'" >&2; exit 2`,
  );
  const error = await startError(bin);
  assert.equal(error.reason, "too_old");
  assert.equal(error.version, "0.98.0");
  assert.equal(
    error.message,
    `Cannot use Codex at ${bin} as its version is 0.98.0: codex-swarm needs 0.169.0 or newer (with \`codex app-server\`)`,
  );
});

Deno.test("AppServer.start: an app-server that exits early names its last error line", async () => {
  const bin = await fakeCodex(
    `echo "loading config" >&2; echo "Error: config.toml: invalid key at line 3" >&2; exit 1`,
  );
  const error = await startError(bin);
  assert.equal(error.reason, "exited");
  assert.match(
    error.message,
    /exited early \(code 1\): Error: config\.toml: invalid key at line 3$/,
  );
  assert.match(error.stderrTail, /loading config/);
});

Deno.test("AppServer.start: an app-server that reports an old version is too old", async () => {
  // Answers initialize with an old user agent, then waits for stdin to close.
  const bin = await fakeCodex(
    `read line; echo '{"id":1,"result":{"userAgent":"codex-swarm/0.150.2 (x)","codexHome":"/h"}}'; cat >/dev/null`,
  );
  const error = await startError(bin);
  assert.equal(error.reason, "too_old");
  assert.equal(error.version, "0.150.2");
});
