import assert from "node:assert/strict";
import { startExecServer } from "../../tests/support/exec_server.ts";
import { ExecServerClient } from "./exec_server_client.ts";
import { copyIgnoredToWorker, prepareLines } from "./remote_copy.ts";
import { remoteScript } from "./remote_workspace.ts";

Deno.test("prepareLines checks each directory once, parents first, then lists the files", () => {
  assert.deepEqual(prepareLines(["a/b/x", "a/y", "z"]).slice(-5), [
    "checkdir 'a' 'a/b/x'",
    "checkdir 'a/b' 'a/b/x'",
    "there 'a/b/x'",
    "there 'a/y'",
    "there 'z'",
  ]);
  assert.throws(() => prepareLines(["../x"]), /"\.\." segment/);
});

Deno.test("copyIgnoredToWorker on the real exec-server: files, modes, links; never through a symlink there", async () => {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "remote-copy-" }));
  try {
    const [from, root, outside] = [`${base}/checkout`, `${base}/worker/wt`, `${base}/outside`];
    for (const dir of [`${from}/node_modules/dep`, root, outside]) {
      await Deno.mkdir(dir, { recursive: true });
    }
    await Deno.writeTextFile(`${from}/.env`, "SECRET=1\n");
    await Deno.writeTextFile(`${from}/node_modules/dep/run.sh`, "echo hi\n", { mode: 0o755 });
    await Deno.symlink("run.sh", `${from}/node_modules/dep/link`);
    await Deno.writeTextFile(`${from}/kept`, "from the checkout\n");
    await Deno.writeTextFile(`${root}/kept`, "already there\n");
    await using server = await startExecServer({ cwd: `${base}/worker` });
    await using channel = await ExecServerClient.connect(server.url, { token: server.token });

    const paths = [".env", "node_modules/dep/run.sh", "node_modules/dep/link", "kept"];
    assert.equal(await copyIgnoredToWorker(channel, from, root, paths), 3);
    assert.equal(await Deno.readTextFile(`${root}/.env`), "SECRET=1\n");
    assert.equal((await Deno.stat(`${root}/node_modules/dep/run.sh`)).mode! & 0o777, 0o755);
    assert.equal(await Deno.readLink(`${root}/node_modules/dep/link`), "run.sh");
    assert.equal(await Deno.readTextFile(`${root}/kept`), "already there\n"); // left alone
    assert.equal(await copyIgnoredToWorker(channel, from, root, paths), 0);

    // The worker's worktree (its base commit) has a symlinked directory pointing outside.
    await Deno.mkdir(`${from}/conf`);
    await Deno.writeTextFile(`${from}/conf/.env`, "SECRET=2\n");
    await Deno.symlink(outside, `${root}/conf`);
    await assert.rejects(
      copyIgnoredToWorker(channel, from, root, ["conf/.env"]),
      /Cannot copy the ignored file conf\/\.env into the worktree as conf is a symlink on the worker/,
    );
    assert.deepEqual([...Deno.readDirSync(outside)], [], "a file was written outside");
    // Nor through one of the checkout's.
    await Deno.symlink(outside, `${from}/linked`);
    await assert.rejects(
      copyIgnoredToWorker(channel, from, root, ["linked/x"]),
      /as linked is a symlink in the main checkout/,
    );

    // A script longer than one argument may be goes on stdin.
    const long = Array.from({ length: 4000 }, (_, i) => `: ${"x".repeat(40)} ${i}`);
    assert.equal(await remoteScript(channel, "run", [...long, "echo done"], root), "done\n");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
