/**
 * Tasks on workers, with the real app-server, two real `codex exec-server`s on 127.0.0.1 (each
 * in a root directory of its own, with a marker variable in its environment) and the fake
 * Responses API: placement, the workspace shipped and brought back, a lost worker.
 *
 * The workers are connected here as the pool connects them (../workers/worker_pool.ts); a
 * worker's loss is told to the engine as the pool tells it once its grace is over.
 */

import assert from "node:assert/strict";
import { git } from "../../tests/support/repo.ts";
import { type Rig, rig, startWorker } from "../../tests/support/worker_rig.ts";
import type { TaskSnapshot } from "./task.ts";
import { startTask } from "../request/plans.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

async function run(r: Rig, prompt: string, extra: Record<string, unknown> = {}) {
  const task = await startTask(
    r.engine,
    { prompt, worktree: true, sandbox: "workspace-write", cwd: `${r.repo}/sub`, ...extra },
    r.session,
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
      },
    );

    await t.step("an unknown worker is refused, naming the known ones", async () => {
      await assert.rejects(
        run(r, "nowhere", { worker: "nope" }),
        /worker "nope" as no such worker is configured: worker is one of "local", "a", "b"/,
      );
    });

    await t.step("tasks on two workers overlap in time", async () => {
      const ids = [
        await run(r, "slow a RUN=sleep 2 && echo $WORKER_MARKER", { worker: "a" }),
        await run(r, "slow b RUN=sleep 2 && echo $WORKER_MARKER", { worker: "b" }),
      ];
      const [ta, tb] = await Promise.all(ids.map((id) => r.engine.finished(id)));
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
        await b.server.kill();
        r.dir.lose("b", "exec-server environment is recovering");
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
  },
);

Deno.test("four tasks on two workers complete and their branches merge locally", e2e, async () => {
  await using r = await rig({ local: null });
  const ids = [];
  for (const n of [1, 2, 3, 4]) ids.push(await run(r, `part ${n} PATCH=part${n}.txt`));
  const done = await Promise.all(ids.map((id) => r.engine.finished(id)));
  for (const task of done) assert.equal(task.meta.phase, "completed", failureOf(task));
  assert.deepEqual(new Set(done.map((t) => t.meta.worker)), new Set(["a", "b"]));
  for (const task of done) {
    const merged = await r.worktrees.merge(task.meta.worktree!);
    assert.equal(merged.merged, true, JSON.stringify(merged));
  }
  const files = await git(r.repo, "ls-files", "sub");
  for (const n of [1, 2, 3, 4]) assert.ok(files.includes(`sub/part${n}.txt`), files);
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
