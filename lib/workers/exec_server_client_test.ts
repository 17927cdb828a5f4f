import assert from "node:assert/strict";
import { startExecServer } from "../../tests/support/exec_server.ts";
import { codexUnderTest } from "../../tests/support/codex_versions.ts";
import { ExecServerClient, fileUri, parseInitialize, pathOfUri } from "./exec_server_client.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);

Deno.test("fileUri and pathOfUri round-trip a path with spaces and refuse a relative one", () => {
  assert.equal(fileUri("/tmp/a b/c#d"), "file:///tmp/a%20b/c%23d");
  assert.equal(pathOfUri(fileUri("/tmp/a b/c#d")), "/tmp/a b/c#d");
  assert.equal(pathOfUri("http://x/y"), null);
  assert.throws(
    () => fileUri("tmp/x"),
    /Cannot use path "tmp\/x" on a worker as it is not absolute/,
  );
});

Deno.test("parseInitialize reads the handshake and tolerates missing fields", () => {
  const info = parseInitialize({
    sessionId: "s",
    environmentInfo: {
      shell: { name: "bash", path: "/bin/bash" },
      executorVersion: "0.169.0",
      cwd: "file:///srv/w",
      userHomeDir: "file:///home/u",
      tempDir: "file:///tmp",
      platformOs: "linux",
    },
  });
  assert.deepEqual(info, { executorVersion: "0.169.0", cwd: "/srv/w", tempDir: "/tmp" });
  assert.equal(parseInitialize({}).executorVersion, "");
});

Deno.test("ExecServerClient against the real codex exec-server", async (t) => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "exec-client-" }));
  try {
    await using server = await startExecServer({ cwd: root, env: { WORKER_MARKER: "on-worker" } });
    await using client = await ExecServerClient.connect(server.url, {
      token: server.token,
      name: "w1",
    });

    await t.step("initialize gives the version, cwd and temporary directory", () => {
      assert.equal(client.info.executorVersion, codexUnderTest().version);
      assert.equal(client.info.cwd, root);
      assert.ok((client.info.tempDir ?? "").length > 0);
    });

    await t.step(
      "run passes env and stdin and returns the exit code and both streams",
      async () => {
        const result = await client.run(
          ["/bin/sh", "-c", 'cat; echo "$FOO/$WORKER_MARKER" >&2; pwd; exit 3'],
          { cwd: root, env: { FOO: "bar" }, stdin: bytes("hello\n") },
        );
        assert.equal(result.exitCode, 3);
        assert.equal(result.signal, null);
        assert.equal(text(result.stdout), `hello\n${root}\n`);
        assert.equal(text(result.stderr), "bar/\n"); // the server's environment is not inherited
        const inherited = await client.run(["/bin/sh", "-c", 'echo "$WORKER_MARKER"'], {
          cwd: root,
          inheritEnv: true,
        });
        assert.equal(text(inherited.stdout), "on-worker\n");
      },
    );

    await t.step("a run leaves nothing waiting on the connection's end", async () => {
      // A run that subscribed to `closed` would hold on to it for as long as the connection lasts.
      const closed = client.closed;
      let subscribed = 0;
      const counting = {
        then: (...args: Parameters<typeof closed.then>) => (subscribed++, closed.then(...args)),
      };
      Object.defineProperty(client, "closed", { value: counting });
      try {
        await client.run(["true"], { cwd: root, env: { PATH: "/usr/bin:/bin" } });
        assert.equal(subscribed, 0);
      } finally {
        Object.defineProperty(client, "closed", { value: closed });
      }
    });

    await t.step("run keeps output past what process/read retains (3 MB)", async () => {
      const result = await client.run(["/bin/sh", "-c", "head -c 3000000 /dev/zero; echo end"], {
        cwd: root,
      });
      assert.equal(result.exitCode, 0);
      assert.equal(result.stdout.length, 3_000_004);
      assert.equal(text(result.stdout.subarray(3_000_000)), "end\n");
    });

    await t.step("run terminates at its timeout", async () => {
      const result = await client.run(["sleep", "30"], {
        cwd: root,
        env: { PATH: "/usr/bin:/bin" },
        timeoutMs: 300,
      });
      assert.equal(result.signal, "SIGKILL");
      assert.equal(result.exitCode, null);
    });

    await t.step("aborting a run terminates the process and rejects with the reason", async () => {
      const controller = new AbortController();
      const running = client.run(["/bin/sh", "-c", "echo $$ > pid; exec sleep 30"], {
        cwd: root,
        env: { PATH: "/usr/bin:/bin" },
        signal: controller.signal,
      });
      while (!(await Deno.stat(`${root}/pid`).catch(() => null))?.size) {
        await new Promise((r) => setTimeout(r, 20));
      }
      controller.abort(new Error("stop it"));
      await assert.rejects(running, /stop it/);
      const pid = Number((await Deno.readTextFile(`${root}/pid`)).trim());
      const alive = new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" })
        .outputSync().success;
      assert.equal(alive, false);
    });

    await t.step("a missing program is an error naming it and the worker", async () => {
      await assert.rejects(
        client.run(["no-such-program-x"], { cwd: root }),
        /Cannot run "no-such-program-x" on worker "w1" \(ws:\/\/127\.0\.0\.1:\d+\): .*process\/start/,
      );
    });

    await t.step("files: write, create a directory, remove", async () => {
      await client.createDirectory(`${root}/a b/c`);
      await client.writeFile(`${root}/a b/c/f.bin`, new Uint8Array([0, 1, 255]));
      assert.deepEqual(await Deno.readFile(`${root}/a b/c/f.bin`), new Uint8Array([0, 1, 255]));
      await client.remove(`${root}/a b`, { recursive: true });
      await assert.rejects(Deno.stat(`${root}/a b`), Deno.errors.NotFound);
      await client.remove(`${root}/never-there`);
      await assert.rejects(
        client.writeFile(`${root}/never-there/f`, new Uint8Array([1])),
        /Cannot use ".*never-there\/f": worker "w1" .* answered fs\/writeFile with error/,
      );
    });

    await t.step("a wrong token is refused at the upgrade, naming the worker", async () => {
      await assert.rejects(
        ExecServerClient.connect(server.url, { token: "wrong", name: "w1" }),
        /Cannot connect to worker "w1" \(ws:\/\/127\.0\.0\.1:\d+\): the server refused the token \(HTTP 401/,
      );
      await assert.rejects(
        ExecServerClient.connect(server.url, { name: "w1" }),
        /refused the token/,
      );
    });

    await t.step(
      "killing the server ends closed with an error and fails a running command",
      async () => {
        const running = client.run(["sleep", "30"], { cwd: root, env: { PATH: "/usr/bin:/bin" } });
        const failed = assert.rejects(running, /Cannot (run|finish) .*worker "w1"/);
        await server.kill();
        const error = await client.closed;
        assert.ok(error instanceof Error);
        assert.match(error.message, /worker "w1" \(ws:\/\/127\.0\.0\.1:\d+\)/);
        await failed;
        await assert.rejects(client.createDirectory(`${root}/x`), /connection is closed/);
      },
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ExecServerClient.close resolves closed with null", async () => {
  await using server = await startExecServer();
  const client = await ExecServerClient.connect(server.url, { token: server.token });
  await client.close();
  assert.equal(await client.closed, null);
});
