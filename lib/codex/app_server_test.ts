import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import { withTimeout } from "../base/delay.ts";
import { AppServer } from "./app_server.ts";
import { AppServerError, AppServerRequestError, checkBinary } from "./app_server_errors.ts";

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

Deno.test("checkBinary: a missing or non-executable binary is a clear AppServerError", async () => {
  assert.throws(
    () => checkBinary("/nonexistent/codex", ""),
    (e: unknown) =>
      e instanceof AppServerError && e.reason === "missing" &&
      /was not found.*: binary is \/nonexistent\/codex$/.test(e.message),
  );
  assert.throws(() => checkBinary("no-such-codex-binary", "/usr/bin:/bin"), /was not found/);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/codex`, "#!/bin/sh\n", { mode: 0o644 });
  assert.throws(() => checkBinary(`${dir}/codex`, ""), /is not executable/);
  checkBinary("sh", Deno.env.get("PATH") ?? "/usr/bin:/bin");
  await Deno.remove(dir, { recursive: true });
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
    `Cannot use Codex at ${bin} as its version is 0.98.0: codex-swarm needs 0.169.0 or newer (tested up to 0.171.0)`,
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

/**
 * A fake app-server: answers initialize as Codex `version`, then runs `script` (sh) with
 * stdin/stdout still JSON lines.
 */
function fakeServer(script: string, version = "0.169.0"): Promise<string> {
  return fakeCodex(
    `read line
echo '{"id":1,"result":{"userAgent":"codex-swarm/${version} (fake)","codexHome":"/fake-home"}}'
read line
${script}`,
  );
}

/** The replies the fake server at `out` got, once there are `count` of them (10 s at most). */
// deno-lint-ignore no-explicit-any
async function repliesIn(out: string, count: number): Promise<any[]> {
  const lines = async () => (await Deno.readTextFile(out)).split("\n").filter(Boolean);
  const deadline = Date.now() + 10_000;
  while ((await lines()).length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return (await lines()).map((line) => JSON.parse(line));
}

Deno.test("AppServer: currentTime/read gets the clock from Codex 0.169 and 0.170, not from 0.171", async () => {
  for (const [version, answered] of [["0.169.0", true], ["0.170.0", true], ["0.171.0", false]]) {
    const out = await Deno.makeTempFile();
    const bin = await fakeServer(
      `echo '{"id":0,"method":"currentTime/read","params":{"threadId":"t"}}'
read reply; echo "$reply" >> ${out}
cat >/dev/null`,
      version as string,
    );
    await using server = await AppServer.start({ bin, env, log });
    const seen: string[] = [];
    server.setRequestHandler((request) => {
      seen.push(request.method);
      return Promise.resolve({});
    });
    const before = Math.floor(Date.now() / 1000);
    const [reply] = await repliesIn(out, 1);
    assert.equal(reply?.id, 0, version as string);
    if (answered) {
      assert.ok(
        reply.result.currentTimeAt >= before && reply.result.currentTimeAt <= before + 10,
        JSON.stringify(reply),
      );
    } else {
      assert.equal(reply.error.code, -32601, JSON.stringify(reply));
    }
    assert.deepEqual(seen, [], "no question is asked for the time");
  }
});

Deno.test("AppServer: every server request gets an answer: result, thrown error, unknown", async () => {
  const out = await Deno.makeTempFile();
  const bin = await fakeServer(`
echo '{"id":0,"method":"item/fileChange/requestApproval","params":{"threadId":"t","turnId":"u","itemId":"i"}}'
read reply; echo "$reply" >> ${out}
echo '{"id":1,"method":"item/commandExecution/requestApproval","params":{"threadId":"t","turnId":"u","itemId":"boom"}}'
read reply; echo "$reply" >> ${out}
echo '{"id":2,"method":"item/tool/call","params":{"threadId":"t"}}'
read reply; echo "$reply" >> ${out}
cat >/dev/null`);
  await using server = await AppServer.start({ bin, env, log });
  assert.equal(server.info.codexHome, "/fake-home");
  const seen: string[] = [];
  server.setRequestHandler((request) => {
    seen.push(request.method);
    if (request.method === "item/commandExecution/requestApproval") throw new Error("no way");
    return Promise.resolve({ decision: "accept" });
  });
  const replies = await repliesIn(out, 3);
  assert.deepEqual(replies[0], { id: 0, result: { decision: "accept" } });
  assert.equal(replies[1].id, 1);
  assert.equal(replies[1].error.code, -32603);
  assert.match(replies[1].error.message, /item\/commandExecution\/requestApproval: no way/);
  assert.equal(replies[2].id, 2);
  assert.equal(replies[2].error.code, -32601);
  assert.match(replies[2].error.message, /cannot answer item\/tool\/call/);
  // The unknown request never reached the handler.
  assert.deepEqual(seen, [
    "item/fileChange/requestApproval",
    "item/commandExecution/requestApproval",
  ]);
});

Deno.test("AppServer: errors, aborts, timeouts, and the exit rejecting what is pending", async () => {
  const bin = await fakeServer(`
read line; echo '{"id":2,"error":{"code":-32600,"message":"no rollout found","data":{"x":1}}}'
read line; read line; read line
echo "Error: something broke" >&2
exit 3`);
  await using server = await AppServer.start({ bin, env, log });
  const events: string[] = [];
  server.onEvent((event) => events.push(`${event.kind} ${event.method}`));
  await assert.rejects(
    server.request("thread/read", { threadId: "t", includeTurns: false }),
    (error) =>
      error instanceof AppServerRequestError && error.method === "thread/read" &&
      error.code === -32600 && error.message === "no rollout found" &&
      (error.data as { x: number }).x === 1,
  );
  const controller = new AbortController();
  const aborted = server.request("thread/resume", { threadId: "t" }, { signal: controller.signal });
  controller.abort(new Error("stop waiting"));
  await assert.rejects(aborted, /stop waiting/);
  await assert.rejects(
    server.request("turn/interrupt", { threadId: "t", turnId: "u" }, { timeoutMs: 20 }),
    (error) => error instanceof AppServerError && error.reason === "timeout",
  );
  // Still pending when the server exits.
  await assert.rejects(
    server.request("thread/read", { threadId: "t" }),
    (error) =>
      error instanceof AppServerError && error.reason === "exited" &&
      /exited \(code 3\): Error: something broke$/.test(error.message),
  );
  const exit = await server.exited;
  assert.equal(exit.code, 3);
  assert.match(exit.stderrTail, /something broke/);
});

Deno.test("AppServer: a message line over maxLineBytes stops the server; what was pending fails", async () => {
  // 2000 bytes and no newline yet: a broken server that would fill the supervisor's memory.
  const bin = await fakeServer(`
read line
printf '{"id":2,"result":"%02000d' 0
cat >/dev/null`);
  await using server = await AppServer.start({ bin, env, log, maxLineBytes: 1000 });
  // Without the cap the request waits for the rest of the line for ever: the guard turns that
  // into a failure ("timeout" is no rejection).
  const answer = withTimeout(
    server.request("thread/read", { threadId: "t", includeTurns: false }),
    10_000,
  );
  await assert.rejects(answer, /exited/);
  await server.exited;
});
