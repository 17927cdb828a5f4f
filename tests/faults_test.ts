/**
 * End-to-end faults (issue 10): a `codex` that is missing, not executable, exits at once, prints
 * garbage, hangs; the real app-server killed mid-turn; the model API answering 400, 429 and 500
 * (and the queue's back-off after 429); the task directory removed, read-only or full while tasks
 * run. Each ends in a clear final state naming its cause, and the tasks beside it are unaffected.
 *
 * The fake `codex` is a shell script for fault injection only: it runs the real Codex unless the
 * session's model credential (`OPENAI_API_KEY`, the one thing a session brings to the app-server)
 * names a fault, so a healthy session shares its supervisor.
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import { eventually, makeWorld, startServer, textOf, type World } from "./support/harness.ts";
import { call, startTask } from "./support/tool_calls.ts";
import { codexUnderTest } from "./support/codex_versions.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const CODEX = codexUnderTest();
const NATIVE_PACKAGE = CODEX.packageDir;
const NATIVE = `${CODEX.prefix}/node_modules/@openai/codex-linux-x64/vendor/` +
  "x86_64-unknown-linux-musl/bin/codex";

type View = {
  task_id: string;
  phase: string;
  failure: string | null;
  final_message: string | null;
  started_at: string | null;
  ended_at: string | null;
  backoff_until: string | null;
};

function start(client: Client, prompt: string): Promise<string> {
  return startTask(client, { prompt });
}

async function view(client: Client, id: string): Promise<View> {
  const result = await call(client, "codex_status", { task_ids: [id], detail: "full" });
  assert.equal(result.isError, undefined, textOf(result));
  return (result.structuredContent as { tasks: View[] }).tasks[0]!;
}

async function waitFor(client: Client, id: string): Promise<View> {
  await call(client, "codex_wait", { task_ids: [id], timeout: 90 });
  return await view(client, id);
}

/**
 * A fake `codex` in a temp dir: `OPENAI_API_KEY=fault-<fault>` picks the fault (`exit`, `garbage`,
 * `hang`, `old`: a Codex 0.150.0 that answers initialize, `new...`: the real Codex claiming 0.999.0
 * in its initialize answer); without it the script runs the real (native) Codex.
 */
async function fakeCodex(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fake-codex-" });
  const bin = `${dir}/codex`;
  await Deno.writeTextFile(
    bin,
    `#!/bin/sh
case "$OPENAI_API_KEY" in
  fault-exit) echo "Error: fake codex fails at once" >&2; exit 3 ;;
  fault-garbage)
    printf 'this is not JSON\\n{"jsonrpc":"2.0","id":\\n\\x00\\xff garbage\\n{"partial":'
    echo "Error: fake codex printed garbage" >&2
    exit 4 ;;
  fault-hang) exec sleep 300 ;;
  fault-old)
    if [ "$1" = "--version" ]; then echo "codex-cli 0.150.0"; exit 0; fi
    read line
    echo '{"id":1,"result":{"userAgent":"codex-swarm/0.150.0 (fake)","codexHome":"/fake"}}'
    exec cat >/dev/null ;;
esac
export CODEX_MANAGED_PACKAGE_ROOT="${NATIVE_PACKAGE}" CODEX_MANAGED_BY_NPM=1
if [ "\${OPENAI_API_KEY#fault-new}" != "$OPENAI_API_KEY" ]; then
  "${NATIVE}" "$@" | sed -u '1s#"userAgent":"\\([^/"]*\\)/[0-9][0-9.]*#"userAgent":"\\1/0.999.0#'
  exit
fi
exec "${NATIVE}" "$@"
`,
  );
  await Deno.chmod(bin, 0o755);
  return bin;
}

/** A world whose servers run `bin` as Codex, with a healthy client and one with `fault`. */
async function faultyWorld(bin: string, fault: string | null, env: Record<string, string> = {}) {
  const world = await makeWorld();
  const args = ["--codex-bin", bin];
  const healthy = await startServer(world, { args, env });
  const faulty = fault === null
    ? healthy
    : await startServer(world, { args, env: { ...env, OPENAI_API_KEY: `fault-${fault}` } });
  return {
    world,
    healthy: healthy.client,
    faulty: faulty.client,
    async [Symbol.asyncDispose]() {
      await faulty.stop();
      await healthy.stop();
      await world[Symbol.asyncDispose]();
    },
  };
}

/** The faulty task fails naming `cause`; a healthy task beside it completes; the server serves. */
async function assertFaultContained(
  w: { healthy: Client; faulty: Client },
  cause: RegExp,
): Promise<void> {
  const bad = await start(w.faulty, "fault please");
  const good = await start(w.healthy, "healthy beside the fault");
  const badView = await waitFor(w.faulty, bad);
  assert.equal(badView.phase, "failed");
  assert.match(badView.failure ?? "", cause);
  const goodView = await waitFor(w.healthy, good);
  assert.equal(goodView.phase, "completed", goodView.failure ?? "");
  assert.match(goodView.final_message ?? "", /MOCK-DONE healthy beside the fault/);
  // The server still serves the faulty session.
  const list = await call(w.faulty, "codex_list", {});
  assert.equal(list.isError, undefined, textOf(list));
}

Deno.test("faults of the codex binary end in failed tasks naming the cause", e2e, async (t) => {
  const bin = await fakeCodex();
  await t.step("missing", async () => {
    await using w = await faultyWorld(`${bin}-missing`, null);
    const id = await start(w.healthy, "missing codex");
    const task = await waitFor(w.healthy, id);
    assert.equal(task.phase, "failed");
    assert.match(task.failure ?? "", /codex-missing/);
    assert.match(task.failure ?? "", /not found|no such|does not exist|missing/i);
    const again = await waitFor(w.healthy, await start(w.healthy, "missing codex again"));
    assert.equal(again.phase, "failed");
  });
  await t.step("not executable", async () => {
    const plain = `${bin}-plain`;
    await Deno.copyFile(bin, plain);
    await Deno.chmod(plain, 0o644);
    await using w = await faultyWorld(plain, null);
    const task = await waitFor(w.healthy, await start(w.healthy, "plain file"));
    assert.equal(task.phase, "failed");
    assert.match(task.failure ?? "", /codex-plain/);
    assert.match(task.failure ?? "", /executable|permission/i);
  });
  await using w = await faultyWorld(bin, "exit");
  await t.step("exits at once", async () => {
    await assertFaultContained(w, /exited early \(code 3\).*fake codex fails at once/);
  });
  await using g = await faultyWorld(bin, "garbage");
  await t.step("prints garbage and partial JSON lines, then exits", async () => {
    await assertFaultContained(g, /exited early \(code 4\).*fake codex printed garbage/);
  });
  await using h = await faultyWorld(bin, "hang", { CODEX_SWARM_INITIALIZE_TIMEOUT_MS: "1500" });
  await t.step("hangs: never answers initialize", async () => {
    await assertFaultContained(h, /did not answer initialize within 1500 ms/);
  });
  await using o = await faultyWorld(bin, "old");
  await t.step("is older than the supported range: refused, naming both versions", async () => {
    await assertFaultContained(
      o,
      /its version is 0\.150\.0: codex-swarm needs 0\.169\.0 or newer \(tested up to 0\.171\.0\)/,
    );
  });
  await t.step(
    "is newer than the newest tested: runs, warned once in the log and server-info",
    async () => {
      await using n = await faultyWorld(bin, "new");
      // A second session with another key gets a server of its own: still one warning.
      await using other = await startServer(n.world, {
        args: ["--codex-bin", bin],
        env: { OPENAI_API_KEY: "fault-new-other" },
      });
      const warning = "Codex 0.999.0 is newer than the newest codex-swarm was tested with " +
        "(0.171.0); it runs, but report what fails";
      for (const client of [n.faulty, other.client]) {
        const task = await waitFor(client, await start(client, "on an untested Codex"));
        assert.equal(task.phase, "completed", task.failure ?? "");
      }
      const info = await serverInfo(other.client);
      assert.equal(info.supervisor.codex.filter((c) => c.version === "0.999.0").length, 2);
      assert.deepEqual(info.warnings.filter((w) => w.includes("0.999.0")), [warning]);
      const log = await Deno.readTextFile(n.world.logFile);
      assert.equal(log.split(warning).length - 1, 1, "the warning is logged once");
    },
  );
  await Deno.remove(bin.replace(/\/codex$/, ""), { recursive: true });
});

/** The `codex-swarm://server-info` JSON. */
async function serverInfo(client: Client): Promise<{
  supervisor: { codex: Array<{ pid: number; version: string }> };
  warnings: string[];
}> {
  const resource = await client.readResource({ uri: "codex-swarm://server-info" });
  return JSON.parse((resource.contents[0] as { text: string }).text);
}

Deno.test(
  "the app-server killed mid-turn fails its task; the next starts a new one",
  e2e,
  async () => {
    await using world = await makeWorld();
    await using server = await startServer(world);
    const id = await start(server.client, "slow one SLEEP=15000");
    let pid = 0;
    assert.ok(
      await eventually(async () => {
        pid = (await serverInfo(server.client)).supervisor.codex[0]?.pid ?? 0;
        return pid !== 0 && world.fake.requests.length > 0;
      }, 60_000),
      "the app-server never asked the model",
    );
    Deno.kill(pid, "SIGKILL");
    const task = await waitFor(server.client, id);
    assert.equal(task.phase, "failed");
    assert.match(
      task.failure ?? "",
      new RegExp(`app-server \\(pid ${pid}\\) exited \\(SIGKILL\\)`),
    );
    const next = await waitFor(server.client, await start(server.client, "after the kill"));
    assert.equal(next.phase, "completed", next.failure ?? "");
    assert.match(next.final_message ?? "", /MOCK-DONE after the kill/);
  },
);

Deno.test("the model API answering 400, 429 and 500 fails each task naming it", e2e, async () => {
  await using world = await makeWorld();
  await using server = await startServer(world);
  // Codex 0.169 names a 400 by the API's own error body only (codexErrorInfo "other").
  const causes: Array<[number, RegExp]> = [
    [400, /mock model error: STATUS directive/],
    [500, /internalServerError: the model API answered a server error, HTTP 5xx/],
    [429, /429/],
  ];
  for (const [status, cause] of causes) {
    const id = await start(server.client, `api fault STATUS=${status}`);
    const task = await waitFor(server.client, id);
    assert.equal(task.phase, "failed", `status ${status}`);
    assert.match(task.failure ?? "", cause, `status ${status}`);
  }
  const ok = await waitFor(server.client, await start(server.client, "fine after faults"));
  assert.equal(ok.phase, "completed", ok.failure ?? "");
});

Deno.test("after a 429 the queue holds back starts, shows it, then runs them", e2e, async () => {
  await using world = await makeWorld();
  await using server = await startServer(world, { args: ["--max-parallel", "1"] });
  const limited = await start(server.client, "rate limited STATUS=429");
  const queued = [
    await start(server.client, "queued after 429 one"),
    await start(server.client, "queued after 429 two"),
  ];
  const first = await waitFor(server.client, limited);
  assert.equal(first.phase, "failed");
  assert.match(first.failure ?? "", /429/);
  // The next start is held back: the queued task shows until when, in both views.
  const held = await view(server.client, queued[0]!);
  assert.equal(held.phase, "queued", "the queued task started with no back-off");
  assert.ok(held.backoff_until !== null, "no backoff_until in the full view");
  assert.ok(Date.parse(held.backoff_until!) > Date.parse(first.ended_at!));
  const list = await call(server.client, "codex_list", {});
  assert.match(
    textOf(list) + JSON.stringify(list.structuredContent),
    /429 rate limit: held back until/,
  );
  assert.match(JSON.stringify(list.structuredContent), /"backoff_until":"/);
  for (const id of queued) {
    const task = await waitFor(server.client, id);
    assert.equal(task.phase, "completed", task.failure ?? "");
    assert.ok(Date.parse(task.started_at!) >= Date.parse(held.backoff_until!));
  }
  // The success reset the back-off: nothing queued shows one.
  const after = await view(server.client, queued[1]!);
  assert.equal(after.backoff_until, null);
});

/** Runs `body` with the world's task directory on a small tmpfs (root only), then unmounts it. */
async function onTmpfs(world: World, body: () => Promise<void>): Promise<boolean> {
  await Deno.mkdir(world.taskDir, { recursive: true });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=2m", "tmpfs", world.taskDir],
    stderr: "null",
  }).output();
  if (!mount.success) return false;
  try {
    await body();
  } finally {
    await world.stopSupervisor();
    // The tmpfs, and a bind mount over it if any.
    while (
      (await new Deno.Command("umount", { args: ["-l", world.taskDir], stderr: "null" })
        .output()).success
    );
  }
  return true;
}

Deno.test("the task directory removed, read-only or full while tasks run", e2e, async (t) => {
  await t.step("removed: the running task finishes and is reported", async () => {
    await using world = await makeWorld();
    await using server = await startServer(world);
    const id = await start(server.client, "outlive the dir SLEEP=3000");
    assert.ok(await eventually(() => world.fake.requests.length > 0, 60_000));
    await Deno.remove(world.taskDir, { recursive: true });
    const task = await waitFor(server.client, id);
    assert.equal(task.phase, "completed", task.failure ?? "");
    assert.match(task.final_message ?? "", /MOCK-DONE outlive the dir/);
    // A new task is refused with an error naming the cause; the server keeps serving.
    const result = await call(server.client, "codex", { prompt: "after the dir went" });
    assert.equal(result.isError, true, textOf(result));
    assert.match(textOf(result), /Cannot start task "\w+" as its state cannot be written/);
    assert.match(textOf(result), /No such file or directory/);
    assert.equal((await call(server.client, "codex_list", {})).isError, undefined);
  });
  for (const fault of ["read-only", "full"] as const) {
    await t.step(`${fault}: the running task's result still reaches its client`, async () => {
      await using world = await makeWorld();
      const mounted = await onTmpfs(world, async () => {
        await using server = await startServer(world);
        const id = await start(server.client, `state ${fault} SLEEP=3000`);
        assert.ok(await eventually(() => world.fake.requests.length > 0, 60_000));
        if (fault === "read-only") {
          // A remount of the tmpfs is refused while the supervisor holds files open for writing:
          // a read-only bind mount over it has no writers (theirs stay on the tmpfs below).
          for (const args of [["--bind"], ["-o", "remount,bind,ro"]]) {
            const ro = await new Deno.Command("mount", {
              args: [...args, ...(args[0] === "--bind" ? [world.taskDir] : []), world.taskDir],
            }).output();
            assert.ok(ro.success, `cannot mount read-only: ${new TextDecoder().decode(ro.stderr)}`);
          }
          const probe = await Deno.writeTextFile(`${world.taskDir}/probe`, "x").then(
            () => "",
            String,
          );
          assert.match(probe, /read-only/i, "the task directory is still writable");
        } else {
          await new Deno.Command("sh", {
            args: ["-c", `dd if=/dev/zero of=${world.taskDir}/fill bs=64k 2>/dev/null; true`],
          }).output();
        }
        const task = await waitFor(server.client, id);
        assert.equal(task.phase, "completed", task.failure ?? "");
        assert.match(task.final_message ?? "", new RegExp(`MOCK-DONE state ${fault}`));
        // A new task is refused with an error naming the cause; the server keeps serving.
        const result = await call(server.client, "codex_async", { prompt: "on a bad disk" });
        assert.equal(result.isError, true, textOf(result));
        assert.match(textOf(result), /Cannot start task "\w+" as its state cannot be written/);
        assert.match(textOf(result), fault === "full" ? /No space left/ : /Read-only file system/);
        assert.equal((await call(server.client, "codex_list", {})).isError, undefined);
      });
      if (!mounted) console.warn(`skipped ${fault}: mounting a tmpfs is not permitted here`);
    });
  }
});

Deno.test(
  "a record that cannot be written for want of space is written once there is",
  e2e,
  async () => {
    await using world = await makeWorld();
    const mounted = await onTmpfs(world, async () => {
      const server = await startServer(world);
      const id = await start(server.client, "record me SLEEP=3000");
      assert.ok(await eventually(() => world.fake.requests.length > 0, 60_000));
      const fill = `${world.taskDir}/fill`;
      await new Deno.Command("sh", {
        args: ["-c", `dd if=/dev/zero of=${fill} bs=64k 2>/dev/null; true`],
      }).output();
      const task = await waitFor(server.client, id);
      assert.equal(task.phase, "completed", task.failure ?? "");
      const full = await call(server.client, "codex_status", { task_ids: [id], detail: "full" });
      const lagging = (full.structuredContent as { tasks: Array<{ record_error: string | null }> })
        .tasks[0]!.record_error;
      assert.match(lagging ?? "", /Cannot write the task's record: .*No space left/);
      // Space again: the record is written within the retry's wait, and shows no error.
      await Deno.remove(fill);
      const meta = `${world.taskDir}/${id}/meta.json`;
      assert.ok(
        await eventually(async () => {
          const text = await Deno.readTextFile(meta).catch(() => "");
          return text !== "" && JSON.parse(text).phase === "completed";
        }, 40_000),
        "meta.json never said completed",
      );
      const tmp = [...Deno.readDirSync(`${world.taskDir}/${id}`)].filter((e) =>
        e.name.endsWith(".tmp")
      );
      assert.deepEqual(tmp, [], "a failed write left its temporary file");
      // A new supervisor reads the task as completed, with its result.
      await server.stop();
      await world.stopSupervisor();
      await using again = await startServer(world);
      const after = await view(again.client, id);
      assert.equal(after.phase, "completed");
      assert.match(after.final_message ?? "", /MOCK-DONE record me/);
    });
    if (!mounted) console.warn("skipped: mounting a tmpfs is not permitted here");
  },
);
