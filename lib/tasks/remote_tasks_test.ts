/**
 * Tasks on workers, with the real app-server, two real `codex exec-server`s on 127.0.0.1 (each
 * in a root directory of its own, with a marker variable in its environment) and the fake
 * Responses API: placement, the workspace shipped and brought back, a lost worker (the pool's
 * verdict told as the pool tells it; tests/placement_test.ts drives the real pool through MCP).
 *
 * The workers are connected here as the pool connects them (../workers/worker_pool.ts); a
 * worker's loss is told to the engine as the pool tells it once its grace is over.
 */

import assert from "node:assert/strict";
import { git } from "../../tests/support/repo.ts";
import { type Rig, rig, startWorker } from "../../tests/support/worker_rig.ts";
import type { TaskSnapshot } from "./task.ts";
import { ensureEnvironment, RemoteTasks } from "./remote_tasks.ts";
import type { WorkerStatus } from "../workers/worker_pool.ts";
import { startTask } from "../request/plans.ts";
import type { Session } from "./engine_api.ts";
import { Policy } from "../codex/policy.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

async function run(
  r: Rig,
  prompt: string,
  extra: Record<string, unknown> = {},
  session: Session = r.session,
) {
  const task = await startTask(
    r.engine,
    { prompt, worktree: true, sandbox: "workspace-write", cwd: `${r.repo}/sub`, ...extra },
    session,
  );
  return task.meta.id;
}

function failureOf(task: TaskSnapshot): string {
  return `${task.meta.phase}: ${task.meta.failure ?? ""} ${task.run.finalMessage ?? ""}`;
}

Deno.test(
  "tasks on workers: the work is done there and comes back as the branch",
  e2e,
  async (t) => {
    await using r = await rig({ local: 1 });

    await t.step(
      "a pinned task runs on its worker: its output, its files, its branch",
      async () => {
        const id = await run(
          r,
          "on a RUN=echo $WORKER_MARKER > made.txt && pwd && cat made.txt",
          { worker: "a" },
        );
        const done = await r.engine.finished(id);
        assert.equal(done.meta.phase, "completed", failureOf(done));
        assert.equal(done.meta.worker, "a");
        const a = r.workers[0]!;
        // The command ran in the workspace under worker a's root, with a's environment.
        assert.ok(done.meta.remote!.cwd.startsWith(`${a.root}/.codex-swarm/worktrees/`));
        assert.ok(done.meta.remote!.cwd.endsWith("/sub"), done.meta.remote!.cwd);
        assert.match(done.run.finalMessage ?? "", /marker-a/);
        assert.ok((done.run.finalMessage ?? "").includes(done.meta.remote!.cwd), failureOf(done));
        // The branch came back: the local branch holds the file the worker wrote.
        const branch = done.meta.worktree!.branch;
        assert.equal(await git(r.repo, "show", `${branch}:sub/made.txt`), "marker-a");
        assert.equal(done.meta.worktreeOutcome?.commit, await git(r.repo, "rev-parse", branch));
        assert.deepEqual(done.meta.worktreeOutcome?.files.map((f) => f.path), ["sub/made.txt"]);

        // A reply runs on the same worker, in the same workspace, and its work comes back too.
        const reply = await startTask(
          r.engine,
          {
            prompt: "again RUN=cat made.txt && echo more > more.txt",
            threadId: done.meta.threadId!,
          },
          r.session,
        );
        const replied = await r.engine.finished(reply.meta.id);
        assert.equal(replied.meta.phase, "completed", failureOf(replied));
        assert.equal(replied.meta.worker, "a");
        assert.deepEqual(replied.meta.remote, done.meta.remote);
        assert.match(replied.run.finalMessage ?? "", /marker-a/);
        assert.equal(await git(r.repo, "show", `${branch}:sub/more.txt`), "more");
        assert.deepEqual(replied.meta.worktreeOutcome?.files.map((f) => f.path), ["sub/more.txt"]);
      },
    );

    await t.step("set-up and check run on the task's worker, in its workspace", async () => {
      const id = await run(r, "checked RUN=cat ready.txt && echo made > made.txt", {
        worker: "b",
        setup: "echo $WORKER_MARKER > ready.txt",
        check: "cat made.txt && echo check on $WORKER_MARKER && touch left.txt",
      });
      const done = await r.engine.finished(id);
      assert.equal(done.meta.phase, "completed", failureOf(done));
      assert.equal(done.meta.setup?.exitCode, 0, JSON.stringify(done.meta.setup));
      assert.match(done.run.finalMessage ?? "", /marker-b/);
      assert.equal(done.meta.check?.passed, true, JSON.stringify(done.meta.check));
      assert.match(done.meta.check?.tail ?? "", /made\ncheck on marker-b/);
      // What the check left was dropped there, never committed.
      assert.deepEqual(done.meta.check?.dropped, ["sub/left.txt"]);
      assert.equal(statSync(`${done.meta.remote!.cwd}/left.txt`), false);
    });

    // Worker a's root, beside the tasks' worktrees there. /tmp and $TMPDIR out of the sandbox (the
    // workers' roots are in /tmp): only the task's cwd is writable.
    const root = r.workers[0]!.root;
    const overrides = [
      { key: "sandbox_workspace_write.exclude_slash_tmp", value: "true" },
      { key: "sandbox_workspace_write.exclude_tmpdir_env_var", value: "true" },
    ];
    const noTmp = { ...r.session, defaults: { ...r.session.defaults, overrides } };

    await t.step("a check on a worker writes in its worktree, not beside it", async () => {
      const done = await r.engine.finished(
        await run(r, "sandboxed", {
          worker: "a",
          check: `echo in > inside.txt && echo inside-ok && echo out > ${root}/escaped.txt`,
        }, noTmp),
      );
      assert.equal(done.meta.phase, "completed", failureOf(done));
      assert.equal(done.meta.check?.passed, false, JSON.stringify(done.meta.check));
      assert.match(done.meta.check?.tail ?? "", /inside-ok\n[^]*Read-only file system/);
      assert.deepEqual(done.meta.check?.dropped, ["sub/inside.txt"]); // it wrote inside
      assert.equal(statSync(`${root}/escaped.txt`), false, "the check wrote outside its worktree");
    });

    await t.step("a set-up on a worker cannot write beside its worktree", async () => {
      const done = await r.engine.finished(
        await run(r, "never runs", {
          worker: "a",
          setup: `echo out > ${root}/escaped-setup.txt`,
        }, noTmp),
      );
      assert.equal(done.meta.phase, "failed", failureOf(done));
      assert.match(done.meta.setup?.tail ?? "", /Read-only file system/);
      assert.equal(statSync(`${root}/escaped-setup.txt`), false, "the set-up wrote outside");
    });

    await t.step("a read-only task's check on a worker writes nothing, not even /tmp", async () => {
      const done = await r.engine.finished(
        await run(r, "sandboxed", {
          worker: "a",
          sandbox: "read-only",
          check: `echo x > inside.txt; echo x > ${root}/escaped-ro.txt`,
        }),
      );
      assert.equal(done.meta.phase, "completed", failureOf(done));
      assert.equal(done.meta.check?.passed, false, JSON.stringify(done.meta.check));
      assert.match(done.meta.check?.tail ?? "", /inside.txt: Read-only file system/);
      assert.equal(statSync(`${done.meta.remote!.cwd}/inside.txt`), false);
      assert.equal(statSync(`${root}/escaped-ro.txt`), false, "a read-only check wrote");
    });

    await t.step("a reply's check on a worker holds to its session's ceiling", async () => {
      const first = await r.engine.finished(await run(r, "writable", { worker: "a" }));
      assert.equal(first.meta.phase, "completed", failureOf(first));
      // The thread is workspace-write; a read-only session's reply is capped, its check too.
      const narrow = { ...r.session, policy: new Policy({ maxSandbox: "read-only" }) };
      const reply = await startTask(
        r.engine,
        {
          prompt: "capped",
          threadId: first.meta.threadId!,
          worktree: true,
          check: "echo x > capped.txt",
        },
        narrow,
      );
      const done = await r.engine.finished(reply.meta.id);
      assert.equal(done.meta.worker, "a");
      assert.equal(done.meta.check?.passed, false, JSON.stringify(done.meta.check));
      assert.match(done.meta.check?.tail ?? "", /capped.txt: Read-only file system/);
      assert.equal(statSync(`${done.meta.remote!.cwd}/capped.txt`), false);
    });

    await t.step("copy_ignored copies into the task's worktree on its worker", async () => {
      await Deno.writeTextFile(`${r.repo}/.gitignore`, ".env\n");
      await git(r.repo, "add", ".gitignore");
      await git(r.repo, "commit", "-qm", "ignore .env");
      await Deno.writeTextFile(`${r.repo}/.env`, "SECRET=42\n");
      const done = await r.engine.finished(
        await run(r, "copied", { worker: "b", copyIgnored: [".env"], check: "cat ../.env" }),
      );
      assert.equal(done.meta.phase, "completed", failureOf(done));
      assert.equal(done.meta.setup?.copied, 1, JSON.stringify(done.meta.setup));
      assert.equal(done.meta.check?.passed, true, JSON.stringify(done.meta.check));
      assert.equal(done.meta.check?.tail, "SECRET=42\n");
      assert.equal(await Deno.readTextFile(`${done.meta.remote!.path}/.env`), "SECRET=42\n");
      assert.equal(
        done.meta.worktreeOutcome?.commit ?? null,
        null,
        "the ignored file was committed",
      );
    });

    await t.step("a cancel stops a set-up on the worker, and the task ends cancelled", async () => {
      const id = await run(r, "never runs", {
        worker: "a",
        setup: "touch setup-started && sleep 30",
      });
      await waitUntil(() => {
        const remote = r.engine.get(id)?.meta.remote;
        return remote !== undefined && statSync(`${remote.cwd}/setup-started`);
      });
      const cancelled = await r.engine.cancel(id);
      assert.equal(cancelled.task.meta.phase, "cancelled", failureOf(cancelled.task));
      assert.equal(cancelled.task.meta.setup?.exitCode, 137, JSON.stringify(cancelled.task.meta));
    });

    await t.step("an unknown worker is refused, naming the known ones", async () => {
      await assert.rejects(
        run(r, "nowhere", { worker: "nope" }),
        /worker "nope" as no such worker is configured: worker is one of "local", "a", "b"/,
      );
    });

    await t.step("tasks on two workers overlap in time", async () => {
      // Each waits on its worker for a flag the test sets once both started: they must overlap.
      const flagDir = await Deno.makeTempDir({ prefix: "overlap-" });
      const flag = `${flagDir}/go`;
      const wait = `touch started && while [ ! -f ${flag} ]; do sleep 0.1; done`;
      const ids = [
        await run(r, `slow a RUN=${wait} && echo $WORKER_MARKER`, { worker: "a" }),
        await run(r, `slow b RUN=${wait} && echo $WORKER_MARKER`, { worker: "b" }),
      ];
      await waitUntil(() =>
        ids.every((id) => {
          const remote = r.engine.get(id)?.meta.remote;
          return remote !== undefined && statSync(`${remote.cwd}/started`);
        }), 60_000);
      await Deno.writeTextFile(flag, "");
      const done = await Promise.all(ids.map((id) => r.engine.finished(id)));
      await Deno.remove(flagDir, { recursive: true });
      const [ta, tb] = done;
      for (const task of [ta!, tb!]) assert.equal(task.meta.phase, "completed", failureOf(task));
      assert.match(ta!.run.finalMessage ?? "", /marker-a/);
      assert.match(tb!.run.finalMessage ?? "", /marker-b/);
      // Each started before the other ended.
      const [sa, ea, sb, eb] = [
        ta!.meta.startedAt!,
        ta!.meta.endedAt!,
        tb!.meta.startedAt!,
        tb!.meta.endedAt!,
      ];
      assert.ok(sa < eb && sb < ea, JSON.stringify({ sa, ea, sb, eb }));
    });

    await t.step(
      "a lost worker fails its task naming it; its work comes back with it",
      async () => {
        const id = await run(r, "long on b RUN=echo partial > partial.txt && sleep 20", {
          worker: "b",
        });
        const b = r.workers[1]!;
        await waitUntil(() => {
          const remote = r.engine.get(id)?.meta.remote;
          return remote !== undefined && statSync(`${remote.cwd}/partial.txt`);
        });
        // Worker b's second slot taken, a third task pinned there waits for it.
        const second = await run(r, "second on b RUN=sleep 20", { worker: "b" });
        const waiting = await run(r, "third on b RUN=sleep 20", { worker: "b" });
        await waitUntil(() => r.engine.get(second)?.meta.phase === "running");
        assert.equal(r.engine.get(waiting)?.meta.phase, "queued");
        await b.server.kill();
        r.dir.lose("b", "exec-server environment is recovering");
        for (const other of [second, waiting]) {
          const ended = await r.engine.finished(other);
          assert.equal(ended.meta.phase, "failed");
          assert.match(ended.meta.failure ?? "", /^worker b lost: exec-server environment/);
        }
        assert.equal(r.engine.get(waiting)?.meta.startedAt, null);
        const done = await r.engine.finished(id);
        assert.equal(done.meta.phase, "failed");
        assert.match(
          done.meta.failure ?? "",
          /^worker b lost: exec-server environment is recovering/,
        );
        assert.equal(done.meta.worktreeOutcome?.commit ?? null, null);
        // The next task runs elsewhere.
        const next = await r.engine.finished(await run(r, "after RUN=echo $WORKER_MARKER"));
        assert.equal(next.meta.phase, "completed", failureOf(next));
        assert.notEqual(next.meta.worker, "b");
        // Worker b comes back (a new exec-server on the same machine and root).
        r.dir.back(await startWorker("b", b.root));
        await waitUntil(() => r.engine.get(id)?.meta.recovered === true);
        const recovered = r.engine.get(id)!;
        assert.equal(recovered.meta.phase, "failed");
        const branch = recovered.meta.worktree!.branch;
        assert.equal(await git(r.repo, "show", `${branch}:sub/partial.txt`), "partial");
        assert.equal(
          recovered.meta.worktreeOutcome?.commit,
          await git(r.repo, "rev-parse", branch),
        );
      },
    );

    await t.step("a worker back within its grace at a new address gets tasks there", async () => {
      const before = await r.engine.finished(
        await run(r, "on b RUN=echo $WORKER_MARKER", { worker: "b" }),
      );
      assert.equal(before.meta.phase, "completed", failureOf(before));
      const b = r.workers[1]!;
      await b.server.kill();
      await b.client.close();
      // Reconnected (an ssh worker's server restarted): a new URL and token, never down.
      r.dir.back(await startWorker("b", b.root));
      await Promise.resolve(b.server[Symbol.asyncDispose]()).catch(() => {});
      const done = await r.engine.finished(
        await run(r, "there again RUN=echo $WORKER_MARKER", { worker: "b" }),
      );
      assert.equal(done.meta.phase, "completed", failureOf(done));
      assert.match(done.run.finalMessage ?? "", /marker-b/);
    });
  },
);

Deno.test(
  "a task's work left on a worker that was away when its supervisor stopped comes back with it",
  e2e,
  async () => {
    await using r = await rig({ local: 1 });
    const id = await run(r, "kept RUN=echo kept > kept.txt && sleep 20", { worker: "b" });
    await waitUntil(() => {
      const remote = r.engine.get(id)?.meta.remote;
      return remote !== undefined && statSync(`${remote.cwd}/kept.txt`);
    });
    const b = r.workers[1]!;
    await b.server.kill();
    // The supervisor stops while worker b is away: the work cannot come back yet.
    const engine = await r.restart();
    const stopped = engine.get(id)!;
    assert.equal(stopped.meta.phase, "interrupted");
    assert.match(stopped.meta.worktreeOutcome?.error ?? "", /it stays there, and comes back/);
    r.dir.back(await startWorker("b", b.root));
    await waitUntil(() => engine.get(id)?.meta.worktreeOutcome?.commit != null);
    const back = engine.get(id)!;
    assert.equal(back.meta.phase, "interrupted");
    assert.equal(back.meta.worktreeOutcome?.error, undefined);
    assert.equal(await git(r.repo, "show", `${back.meta.worktree!.branch}:sub/kept.txt`), "kept");
  },
);

/** RemoteTasks over a pool that lists `names` (plus local unless `local` is false). */
function remoteTasks(names: string[], local = true): RemoteTasks {
  const status = (name: string): WorkerStatus => ({
    name,
    kind: name === "local" ? "local" : "ws",
    url: null,
    state: "ready",
    cap: 2,
    version: null,
    lastError: null,
    sandbox: "enforced",
    sandboxDetail: null,
  });
  const list = () => [...(local ? ["local"] : []), ...names].map(status);
  const workers = { list, onChange: () => () => {} } as never;
  return new RemoteTasks(workers, 2);
}

Deno.test("RemoteTasks.check: an uncommitted worktree stays here; a reply stays on its worker", () => {
  const remote = remoteTasks(["gpu"]);
  const request = { prompt: "p", worktree: true, commit: false };
  assert.throws(
    () => remote.check({ ...request, worker: "gpu" }, undefined, true),
    /worker "gpu" as its worktree is not committed \(commit: false/,
  );
  assert.equal(remote.check(request, undefined, true), null);
  assert.throws(
    () => remoteTasks(["gpu"], false).check(request, undefined, true),
    /a worker \(the server runs with --no-local\) as its worktree is not committed/,
  );
  // A reply goes to its thread's worker, and refuses another.
  const parent = { id: "t1", worker: "gpu", remote: {} } as never;
  assert.equal(remote.check({ prompt: "p" }, parent, true), "gpu");
  assert.throws(
    () => remote.check({ prompt: "p", worker: "local" }, parent, true),
    /on worker "local" as it continues task t1, whose work is on worker "gpu"/,
  );
});

Deno.test("ensureEnvironment gives an environment once, again when disconnected or moved", async () => {
  const calls: string[] = [];
  let status = "ready";
  const server = {
    request: (method: string) => {
      calls.push(method);
      return Promise.resolve(method === "environment/status" ? { status } : {});
    },
  } as never;
  const given = new Map<string, string>();
  const gpu = { environmentId: "gpu", execServerUrl: "ws://127.0.0.1:1", authBearerToken: "t" };
  await ensureEnvironment(server, given, gpu);
  await ensureEnvironment(server, given, gpu);
  assert.deepEqual(calls, ["environment/add", "environment/status"]);
  // The app-server gave up on it (past its own recovery): given again.
  status = "disconnected";
  await ensureEnvironment(server, given, gpu);
  assert.deepEqual(calls.slice(2), ["environment/status", "environment/add"]);
  // Back at a new address (an ssh worker's new server): given again without asking.
  status = "ready";
  await ensureEnvironment(server, given, { ...gpu, execServerUrl: "ws://127.0.0.1:2" });
  assert.deepEqual(calls.slice(4), ["environment/add"]);
});

function statSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(test: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error("waited too long");
    await new Promise((r) => setTimeout(r, 50));
  }
}
