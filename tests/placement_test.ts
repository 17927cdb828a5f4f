/**
 * Tasks placed on workers (issue 21), end to end through the MCP client: two `codex exec-server`s
 * on 127.0.0.1 given with `--worker`, each in a root directory of its own with a marker variable,
 * the real app-server against the fake Responses API. Four tasks go to the two workers, their work
 * comes back as their branches, and `codex_worktree merge` merges each into the main checkout; a
 * worker killed under its task fails it, naming the worker, once its grace is over. Where a real
 * sshd can run (root, openssh-server), an `ssh://` worker of the settings file joins the two.
 */

import assert from "node:assert/strict";
import {
  eventually,
  type Harness,
  makeWorld,
  startServer,
  textOf,
  type World,
} from "./support/harness.ts";
import { codexUnderTest } from "./support/codex_versions.ts";
import { sshdProblem, startSshd } from "./support/sshd.ts";
import { type RunningExecServer, startExecServer } from "./support/exec_server.ts";
import { makeRepo } from "./support/repo.ts";
import { call, startTask, type TaskView, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type View = TaskView & { worker: string | null };

/** A world, a repository, and two exec-servers, each in a root of its own with `WORKER_MARKER`. */
interface Placement extends AsyncDisposable {
  world: World;
  repo: string;
  servers: RunningExecServer[];
  roots: string[];
  /** The server, started with the two workers and `args`. */
  start(args?: string[]): Promise<Harness>;
}

async function placement(): Promise<Placement> {
  const world = await makeWorld();
  const repo = await makeRepo();
  const roots = await Promise.all(
    ["a", "b"].map(async (name) =>
      await Deno.realPath(await Deno.makeTempDir({ prefix: `placement-${name}-` }))
    ),
  );
  const servers = await Promise.all(
    ["a", "b"].map((name, i) =>
      startExecServer({ cwd: roots[i], env: { WORKER_MARKER: `marker-${name}` } })
    ),
  );
  const harnesses: Harness[] = [];
  return {
    world,
    repo,
    servers,
    roots,
    async start(args = []) {
      const h = await startServer(world, { args: [...args, ...workerArgs(servers)] });
      harnesses.push(h);
      return h;
    },
    async [Symbol.asyncDispose]() {
      for (const h of harnesses) await h[Symbol.asyncDispose]();
      await world[Symbol.asyncDispose]();
      for (const s of servers) await s[Symbol.asyncDispose]();
      for (const dir of [repo, ...roots]) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
}

/** Whether `file` is in task `id`'s worktree on the worker whose root is `root`. */
async function onWorker(root: string, id: string, file: string): Promise<boolean> {
  const base = `${root}/.codex-swarm/worktrees`;
  const repos = await Array.fromAsync(Deno.readDir(base)).catch(() => []);
  for (const entry of repos) {
    if (await Deno.stat(`${base}/${entry.name}/${id}/${file}`).then(() => true, () => false)) {
      return true;
    }
  }
  return false;
}

function workerArgs(servers: RunningExecServer[]): string[] {
  return ["a", "b"].flatMap((name, i) => [
    "--worker",
    `${name}=${servers[i]!.url}`,
    "--worker-token-file",
    `${name}=${servers[i]!.tokenFile}`,
  ]);
}

/** Waits until every worker is ready (or down) in server-info; returns them. */
async function workersOf(h: Harness): Promise<Array<{ name: string; state: string }>> {
  let workers: Array<{ name: string; state: string; running: number }> = [];
  const settled = await eventually(async () => {
    const resource = await h.client.readResource({ uri: "codex-swarm://server-info" });
    workers = JSON.parse((resource.contents[0] as { text: string }).text).workers;
    return workers.every((w) => w.state !== "connecting");
  });
  assert.ok(settled, JSON.stringify(workers));
  for (const w of workers) assert.equal(typeof w.running, "number", JSON.stringify(w));
  return workers;
}

Deno.test(
  "four tasks on two workers complete there, and their branches merge locally with codex_worktree",
  e2e,
  async () => {
    await using p = await placement();
    const { repo, roots } = p;
    const server = await p.start(["--no-local"]);
    const { client } = server;
    assert.deepEqual((await workersOf(server)).map((w) => [w.name, w.state]), [
      ["a", "ready"],
      ["b", "ready"],
    ]);
    const ids = [];
    for (const n of [1, 2, 3, 4]) {
      ids.push(
        await startTask(client, {
          prompt: `part ${n} RUN=echo $WORKER_MARKER > part${n}.txt`,
          cwd: `${repo}/sub`,
          worktree: true,
          sandbox: "workspace-write",
        }),
      );
    }
    const tasks = await waitAll<View>(client, ids);
    for (const task of tasks) assert.equal(task.phase, "completed", task.failure ?? "");
    assert.deepEqual(new Set(tasks.map((t) => t.worker)), new Set(["a", "b"]));
    for (const [i, task] of tasks.entries()) {
      // Written on its worker, with its worker's environment, under its root.
      const n = i + 1;
      assert.deepEqual(task.worktree!.files.map((f) => f.path), [`sub/part${n}.txt`]);
      const root = roots[task.worker === "a" ? 0 : 1]!;
      assert.ok(await onWorker(root, task.task_id, `sub/part${n}.txt`), task.task_id);
      const merged = await call(client, "codex_worktree", {
        task_id: task.task_id,
        action: "merge",
      });
      assert.equal(merged.isError, undefined, textOf(merged));
      assert.equal(
        await Deno.readTextFile(`${repo}/sub/part${n}.txt`),
        `marker-${task.worker}\n`,
      );
    }
    // A task without a worktree has nowhere to run under --no-local.
    const refused = await call(client, "codex_async", { prompt: "here", cwd: repo });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /--no-local: only a worktree travels to a worker/);
  },
);

Deno.test(
  "a worker killed under its task fails it naming the worker; the next task runs elsewhere",
  e2e,
  async () => {
    await using p = await placement();
    const { repo, servers, roots } = p;
    const server = await p.start();
    const { client } = server;
    await workersOf(server);
    const id = await startTask(client, {
      prompt: "long RUN=echo started > started.txt && sleep 60",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
      worker: "b",
    });
    const started = await eventually(() => onWorker(roots[1]!, id, "started.txt"), 60_000);
    assert.ok(started, "the task's command did not start on worker b");
    await servers[1]!.kill();
    // Past the worker's grace the task ends failed, naming the worker (though the turn would
    // end completed: its command's failure goes to the model as tool output).
    const [done] = await waitAll<View>(client, [id]);
    assert.equal(done!.phase, "failed");
    assert.match(done!.failure ?? "", /^worker b lost: /);
    const [next] = await waitAll<View>(client, [
      await startTask(client, {
        prompt: "after RUN=echo $WORKER_MARKER",
        cwd: repo,
        worktree: true,
        sandbox: "workspace-write",
      }),
    ]);
    assert.equal(next!.phase, "completed", next!.failure ?? "");
    assert.notEqual(next!.worker, "b");
  },
);

/** An ssh config file with the options of the test's sshd (its user key, its host key only). */
async function sshConfigFile(dir: string, sshArgs: string[]): Promise<string> {
  const lines = ["Host *"];
  for (let i = 0; i < sshArgs.length; i++) {
    if (sshArgs[i] === "-i") lines.push(`  IdentityFile ${sshArgs[++i]}`);
    else if (sshArgs[i] === "-o") lines.push(`  ${sshArgs[++i]!.replace("=", " ")}`);
  }
  const path = `${dir}/ssh_config`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

Deno.test(
  "four tasks on two loopback workers and one ssh worker complete, and merge locally",
  e2e,
  async () => {
    const problem = sshdProblem();
    if (problem !== null) {
      console.warn(`skipped: ${problem}`);
      return;
    }
    await using sshd = await startSshd();
    await using p = await placement();
    const { repo, world } = p;
    const configDir = `${world.env.HOME}/.config/codex-swarm`;
    await Deno.mkdir(configDir, { recursive: true });
    const sshConfig = await sshConfigFile(configDir, sshd.sshArgs);
    await Deno.writeTextFile(
      `${configDir}/config.toml`,
      [
        "[[workers]]",
        'name = "s"',
        `url = "ssh://${sshd.user}@127.0.0.1:${sshd.port}"`,
        `codex_bin = "${codexUnderTest().bin}"`,
        `ssh_config = "${sshConfig}"`,
        "",
      ].join("\n"),
    );
    const server = await p.start(["--no-local"]);
    const { client } = server;
    const workers = await workersOf(server);
    assert.deepEqual(workers.map((w) => [w.name, w.state]), [
      ["s", "ready"],
      ["a", "ready"],
      ["b", "ready"],
    ]);
    const pins = ["a", "b", "s", undefined];
    const ids = [];
    for (const [i, worker] of pins.entries()) {
      ids.push(
        await startTask(client, {
          prompt: `part ${i + 1} RUN=echo $WORKER_MARKER@$(id -un) > part${i + 1}.txt`,
          cwd: repo,
          worktree: true,
          sandbox: "workspace-write",
          ...(worker ? { worker } : {}),
        }),
      );
    }
    const tasks = await waitAll<View>(client, ids);
    for (const task of tasks) assert.equal(task.phase, "completed", task.failure ?? "");
    assert.deepEqual(tasks.slice(0, 3).map((t) => t.worker), ["a", "b", "s"]);
    for (const [i, task] of tasks.entries()) {
      const merged = await call(client, "codex_worktree", {
        task_id: task.task_id,
        action: "merge",
      });
      assert.equal(merged.isError, undefined, textOf(merged));
      // The ssh worker's commands see its own environment (no marker), as its user.
      const marker = task.worker === "s" ? "" : `marker-${task.worker}`;
      assert.equal(
        await Deno.readTextFile(`${repo}/part${i + 1}.txt`),
        `${marker}@${sshd.user}\n`,
      );
    }
  },
);
