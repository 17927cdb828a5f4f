/**
 * End-to-end: the supervisor is killed with SIGKILL at listed points of a worktree task, and no
 * work is lost. Each time, the next supervisor ends what the dead one left running in the
 * worktree, commits the task's work on its branch, and only then reports the task: `interrupted`,
 * with its commit and files; `codex_diff` shows them; the sweep keeps the branch.
 *
 * One point is also run with SIGTERM, where the stopping supervisor commits itself.
 *
 * The points are reached deterministically: the set-up writes a file and then sleeps (before the
 * turn); the model's patch is applied and its next answer held (mid-turn after an edit); a `git`
 * first on the supervisor's PATH stops at `commit` as a real one holding `index.lock` would
 * (mid-commit), once, signalled through a file.
 */

import assert from "node:assert/strict";
import { processesIn } from "../lib/base/leftover_processes.ts";
import {
  eventually,
  makeWorld,
  processesMatching,
  startServer,
  supervisorsOf,
  textOf,
  type World,
} from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, reconnect, startTask, type TaskView, waitAll } from "./support/tool_calls.ts";
import type { Client } from "./support/sdk_client.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** Each point is run this often (a task and a restart each, about half a second). */
const REPEATS = 3;

type View = TaskView;

/** A kill point: the task's arguments, the file it writes, and how the test sees it is there. */
interface Point {
  name: string;
  args: Record<string, unknown>;
  file: string;
  /** How the supervisor is stopped. */
  signal: "SIGKILL" | "SIGTERM";
  /** Whether the supervisor is where it is to be killed. */
  reached(worktree: string): Promise<boolean>;
}

function exists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}

/** Whether `path` exists with content: a file is made empty, then written (kill after that). */
function written(path: string): Promise<boolean> {
  return Deno.stat(path).then((stat) => stat.size > 0, () => false);
}

/** The task's view, once it has a worktree. */
async function viewOf(client: Client, id: string): Promise<View> {
  const status = await call(client, "codex_status", { task_ids: [id], detail: "full" });
  return (status.structuredContent as { tasks: View[] }).tasks[0]!;
}

/**
 * Stops the supervisor with `signal`, waits until it is gone (the front-end may start the next one
 * at once), reconnects, and returns task `id`'s view, asserting it is `interrupted`.
 */
async function stopSupervisor(
  world: World,
  client: Client,
  id: string,
  signal: Deno.Signal,
): Promise<View> {
  const [supervisor] = supervisorsOf(world.taskDir);
  assert.ok(supervisor, "no supervisor runs");
  Deno.kill(supervisor.pid, signal);
  assert.ok(
    await eventually(() => supervisorsOf(world.taskDir).every((p) => p.pid !== supervisor.pid)),
  );
  await reconnect(client);
  const [view] = await waitAll<View>(client, [id]);
  assert.equal(view!.phase, "interrupted", view!.failure ?? "");
  return view!;
}

/** A `git` that stops at `commit` while `hold` exists (once: it removes `hold`). */
async function stoppingGit(dir: string, hold: string, reached: string): Promise<void> {
  const real = new TextDecoder().decode(
    (await new Deno.Command("sh", { args: ["-c", "command -v git"], stdout: "piped" }).output())
      .stdout,
  ).trim();
  assert.ok(real.startsWith("/"), `no git on PATH: ${real}`);
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  await Deno.writeTextFile(
    `${dir}/git`,
    [
      "#!/bin/sh",
      'for arg in "$@"; do',
      `  if [ "$arg" = commit ] && [ -e ${quote(hold)} ]; then`,
      `    rm -f ${quote(hold)}`,
      // What a real commit holds while it runs.
      `    touch "$(${quote(real)} rev-parse --path-format=absolute --git-dir)/index.lock"`,
      `    echo $$ > ${quote(reached)}.tmp && mv ${quote(reached)}.tmp ${quote(reached)}`,
      "    exec sleep 600",
      "  fi",
      "done",
      `exec ${quote(real)} "$@"`,
      "",
    ].join("\n"),
  );
  await Deno.chmod(`${dir}/git`, 0o755);
}

Deno.test(
  "the supervisor killed with SIGKILL before the turn, mid-turn and mid-commit: no work is lost",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    const bin = await Deno.makeTempDir({ prefix: "kill-loop-bin-" });
    const hold = `${bin}/hold`;
    const reachedFile = `${bin}/reached`;
    await stoppingGit(bin, hold, reachedFile);
    const env = { PATH: `${bin}:${world.env.PATH}` };
    const points: Point[] = [
      {
        name: "before the turn",
        args: { prompt: "before", setup: "echo set-up > pre.txt && sleep 600" },
        file: "pre.txt",
        signal: "SIGKILL",
        reached: (path) => written(`${path}/pre.txt`),
      },
      {
        name: "mid-turn after an edit",
        args: { prompt: "mid PATCH=mid.txt LATER=600000" },
        file: "mid.txt",
        signal: "SIGKILL",
        reached: (path) => written(`${path}/mid.txt`),
      },
      {
        name: "mid-turn after an edit, SIGTERM",
        args: { prompt: "term PATCH=term.txt LATER=600000" },
        file: "term.txt",
        signal: "SIGTERM",
        reached: (path) => written(`${path}/term.txt`),
      },
      {
        name: "mid-commit",
        args: { prompt: "commit PATCH=commit.txt" },
        file: "commit.txt",
        signal: "SIGKILL",
        reached: () => exists(reachedFile),
      },
    ];
    const kept: Array<{ id: string; file: string; commit: string }> = [];
    {
      await using h = await startServer(world, { env });
      for (let round = 0; round < REPEATS; round++) {
        for (const point of points) {
          await t.step(`${point.name} (${round + 1} of ${REPEATS})`, async () => {
            if (point.name === "mid-commit") await Deno.writeTextFile(hold, "");
            const id = await startTask(h.client, {
              cwd: repo,
              worktree: true,
              sandbox: "workspace-write",
              ...point.args,
            });
            let path = "";
            const there = await eventually(async () => {
              path = (await viewOf(h.client, id)).worktree?.path ?? "";
              return path !== "" && await point.reached(path);
            }, 60_000);
            assert.ok(there, `task ${id} did not reach "${point.name}"`);
            const stuck = point.name === "mid-commit"
              ? Number((await Deno.readTextFile(reachedFile)).trim())
              : null;
            // The next call starts a new supervisor, which commits before it answers.
            const view = await stopSupervisor(world, h.client, id, point.signal);
            const commit = view.worktree!.commit;
            assert.ok(commit, `task ${id} reports no commit: ${JSON.stringify(view.worktree)}`);
            assert.deepEqual(view.worktree!.files.map((f) => f.path), [point.file]);
            assert.equal(await git(repo, "rev-parse", `codex-swarm/${id}`), commit);
            await git(repo, "cat-file", "-e", `codex-swarm/${id}:${point.file}`);
            const diff = await call(h.client, "codex_diff", { task_id: id });
            assert.equal(diff.isError, undefined, textOf(diff));
            assert.match(
              textOf(diff),
              new RegExp(`^  ${point.file.replace(".", "\\.")} \\+1`, "m"),
            );
            // Nothing the dead supervisor left runs in the worktree any more.
            assert.deepEqual(await processesIn([path]), []);
            if (stuck !== null) {
              const left = processesMatching("sleep 600").filter((p) => p.pid === stuck);
              assert.deepEqual(left, [], `the stopped git ${stuck} still runs`);
            }
            kept.push({ id, file: point.file, commit });
            await Deno.remove(reachedFile).catch(() => {});
          });
        }
      }
    }

    await t.step("the sweep removes the committed worktrees and keeps every branch", async () => {
      await world.stopSupervisor();
      await using swept = await startServer(world, { env, args: ["--task-max-age", "1"] });
      const list = await call(swept.client, "codex_list", {});
      assert.equal(list.isError, undefined, textOf(list));
      const gone = await eventually(async () => {
        const left = await git(repo, "worktree", "list", "--porcelain");
        return kept.every(({ id }) => !left.includes(id));
      }, 30_000);
      assert.ok(gone, await git(repo, "worktree", "list"));
      for (const { id, file, commit } of kept) {
        assert.equal(await git(repo, "rev-parse", `codex-swarm/${id}`), commit);
        await git(repo, "cat-file", "-e", `codex-swarm/${id}:${file}`);
      }
    });
    await Deno.remove(bin, { recursive: true });
  },
);

Deno.test(
  "the supervisor killed with SIGKILL while a task's check runs: no check process is left",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    await using h = await startServer(world);
    const repo = await makeRepo();
    for (let round = 0; round < REPEATS; round++) {
      await t.step(`kill ${round + 1} of ${REPEATS}`, async () => {
        // Words only this check's processes carry: the sandbox's processes and its shell (the
        // script), and the shell's child. The kill comes as soon as the first of them shows, in
        // the sandbox's start-up (where a merge's check was seen to outlive a kill -9).
        // Unique to this run: another run of the suite on the machine must not match them.
        const unique = crypto.randomUUID().slice(0, 8);
        const word = `kill-loop-check-${round}-${unique}`;
        const sleep = `sleep 61${round}.${parseInt(unique, 16) % 1000}`;
        const id = await startTask(h.client, {
          prompt: `checked PATCH=checked.txt`,
          cwd: repo,
          worktree: true,
          sandbox: "workspace-write",
          check: `echo ${word}; ${sleep}`,
        });
        assert.ok(
          await eventually(() => processesMatching(word).length > 0, 60_000),
          `the check of task ${id} did not start`,
        );
        await stopSupervisor(world, h.client, id, "SIGKILL");
        // The check runs in the sandbox's own mount namespace (no cwd finds it there): the dead
        // supervisor's app-server ends it as its connection closed (measured: within about
        // 0.2 s, while the app-server still ran), on its own time, so the test waits for it.
        const gone = () => processesMatching(word).length + processesMatching(sleep).length === 0;
        assert.ok(await eventually(gone, 10_000), JSON.stringify(processesMatching(word)));
        // The work was committed before the check ran, and is kept.
        await git(repo, "cat-file", "-e", `codex-swarm/${id}:checked.txt`);
      });
    }
  },
);
