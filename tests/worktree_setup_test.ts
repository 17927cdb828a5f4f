/**
 * Worktree set-up end to end, with the real Codex against the fake Responses API: a repository
 * whose check needs an ignored `.env` and a build file. With `copy_ignored` and `setup` the task's
 * worktree has both before Codex starts (the fake has Codex cat them); a failing set-up ends the
 * task `failed` with its output's end and no model call; the set-up runs in the task's sandbox
 * and time limit; a session's `--worktree-setup` applies to its tasks (forks too) and a call's
 * `setup` replaces it (`""` turns it off); each attempt of best of N is set up; cancel during a
 * long set-up ends its process.
 *
 * The server runs with `/tmp` and `$TMPDIR` out of the sandbox (see support/sandbox_args.ts), so
 * the sandbox's limits show.
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import {
  eventually,
  makeWorld,
  processesMatching,
  startServer,
  textOf,
} from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { TMP_OUT_OF_SANDBOX } from "./support/sandbox_args.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** What the tests read of a task's full view. */
type View = {
  task_id: string;
  phase: string;
  failure: string | null;
  final_message: string | null;
  thread_id: string | null;
  worktree: { commit: string | null } | null;
  setup: {
    command: string | null;
    exit_code: number | null;
    duration_ms: number | null;
    tail: string;
    copied: number;
    unmatched: string[];
  } | null;
};

const SANDBOX_ARGS = ["--task-timeout", "60", ...TMP_OUT_OF_SANDBOX];

/** A task in a worktree of its own that may write it. */
function startWriter(client: Client, args: Record<string, unknown>): Promise<string> {
  return startTask(client, { sandbox: "workspace-write", worktree: true, ...args });
}

async function finished(client: Client, id: string): Promise<View> {
  return (await waitAll<View>(client, [id]))[0]!;
}

/** A repository whose `check.sh` needs the ignored `.env` and `build/out.txt`. */
async function projectRepo(): Promise<string> {
  const repo = await makeRepo();
  await Deno.writeTextFile(`${repo}/.gitignore`, ".env\n.env.*\nbuild/\nnode_modules/\n");
  await Deno.writeTextFile(
    `${repo}/check.sh`,
    'test -f .env && test -f build/out.txt && echo "check passed: $(cat .env) $(cat build/out.txt)"\n',
  );
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", "check");
  await Deno.writeTextFile(`${repo}/.env`, "SECRET=42\n");
  await Deno.mkdir(`${repo}/node_modules/dep`, { recursive: true });
  await Deno.writeTextFile(`${repo}/node_modules/dep/index.js`, "module.exports = 1;\n");
  return repo;
}

Deno.test("worktree set-up: copied ignored files, set-up, failure, defaults", e2e, async (t) => {
  await using world = await makeWorld();
  const repo = await projectRepo();
  const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "setup-outside-" }));
  await using server = await startServer(world, { args: SANDBOX_ARGS });
  const { client } = server;
  try {
    await t.step("copy_ignored and setup: the task sees .env and the build file", async () => {
      const id = await startWriter(client, {
        prompt: "check RUN=sh check.sh && cat node_modules/dep/index.js",
        cwd: repo,
        copy_ignored: [".env", "node_modules", ".env.local"],
        setup: "mkdir -p build && echo built > build/out.txt && echo set-up done",
      });
      const task = await finished(client, id);
      assert.equal(task.phase, "completed", task.failure ?? "");
      assert.match(task.final_message ?? "", /check passed: SECRET=42 built/);
      assert.match(task.final_message ?? "", /module\.exports = 1;/);
      assert.equal(task.setup?.exit_code, 0);
      assert.match(task.setup?.tail ?? "", /set-up done/);
      assert.equal(task.setup?.copied, 2);
      // A glob that matches nothing is reported, not an error.
      assert.deepEqual(task.setup?.unmatched, [".env.local"]);
      // The main checkout got no build output; the copies are ignored, so not committed.
      await assert.rejects(Deno.stat(`${repo}/build`));
      assert.equal(task.worktree?.commit, null, "the set-up's files were committed");
    });

    await t.step(
      "a failing set-up ends the task failed with its tail, before the model",
      async () => {
        const before = world.fake.requests.length;
        const id = await startWriter(client, {
          prompt: "never sent",
          cwd: repo,
          setup: "echo installing; echo 'npm ERR! missing lockfile' >&2; exit 3",
        });
        const task = await finished(client, id);
        assert.equal(task.phase, "failed");
        assert.match(
          task.failure ?? "",
          /set-up "echo installing;.*" exited 3 before Codex started/,
        );
        assert.match(task.failure ?? "", /npm ERR! missing lockfile/);
        assert.equal(task.setup?.exit_code, 3);
        assert.match(task.setup?.tail ?? "", /installing\nnpm ERR! missing lockfile/);
        assert.equal(world.fake.requests.length, before, "the model was called");
      },
    );

    await t.step("the set-up runs in the task's sandbox", async () => {
      const id = await startWriter(client, {
        prompt: "never sent",
        cwd: repo,
        setup: `echo escaped > ${outside}/escaped.txt`,
      });
      const task = await finished(client, id);
      assert.equal(task.phase, "failed");
      assert.match(task.setup?.tail ?? "", /Read-only file system|Permission denied/i);
      await assert.rejects(Deno.stat(`${outside}/escaped.txt`));
      // Nor where the app-server runs (command/exec makes that writable too).
      const there = await finished(
        client,
        await startWriter(client, {
          prompt: "never sent",
          cwd: repo,
          setup: `touch ${world.supervisorDir}/escaped`,
        }),
      );
      assert.equal(there.phase, "failed", there.setup?.tail);
      await assert.rejects(Deno.stat(`${world.supervisorDir}/escaped`));
    });

    await t.step("copy_ignored never writes through a symlink of the base commit", async () => {
      // The main checkout has a directory conf/ with an ignored conf/.env; the task's base
      // commit has conf as a symlink to a directory outside: the copy must not follow it.
      const tricky = await makeRepo();
      await Deno.writeTextFile(`${tricky}/.gitignore`, ".env\n");
      await Deno.mkdir(`${tricky}/conf`);
      await Deno.writeTextFile(`${tricky}/conf/keep.txt`, "keep\n");
      await git(tricky, "add", "-A");
      await git(tricky, "commit", "-q", "-m", "conf");
      await git(tricky, "checkout", "-q", "-b", "symlinked");
      await Deno.remove(`${tricky}/conf`, { recursive: true });
      await Deno.symlink(outside, `${tricky}/conf`);
      await git(tricky, "add", "-A");
      await git(tricky, "commit", "-q", "-m", "conf is a symlink");
      await git(tricky, "checkout", "-q", "main");
      await Deno.writeTextFile(`${tricky}/conf/.env`, "SECRET=1\n");
      const before = world.fake.requests.length;
      try {
        const task = await finished(
          client,
          await startWriter(client, {
            prompt: "never sent",
            cwd: tricky,
            base: "symlinked",
            copy_ignored: ["conf"],
          }),
        );
        await assert.rejects(Deno.lstat(`${outside}/.env`), "a file appeared outside");
        assert.equal(task.phase, "failed");
        assert.match(
          task.failure ?? "",
          /Cannot copy the ignored file conf\/\.env into the worktree as conf is a symlink in the worktree/,
        );
        assert.equal(world.fake.requests.length, before, "the model was called");
      } finally {
        await Deno.remove(tricky, { recursive: true }).catch(() => {});
      }
    });

    await t.step("the set-up counts against the task's time limit", async () => {
      const before = world.fake.requests.length;
      const id = await startWriter(client, {
        prompt: "never sent",
        cwd: repo,
        setup: "sleep 293.25",
        timeout_s: 2,
      });
      const task = await finished(client, id);
      assert.equal(task.phase, "timed_out", task.failure ?? "");
      assert.equal(world.fake.requests.length, before);
      assert.ok(await eventually(() => processesMatching("sleep 293.25").length === 0, 10_000));
    });

    await t.step("cancel during a long set-up ends its process", async () => {
      const before = world.fake.requests.length;
      const id = await startWriter(client, {
        prompt: "never sent",
        cwd: repo,
        setup: "echo waiting; sleep 291.75",
      });
      assert.ok(
        await eventually(() => processesMatching("sleep 291.75").length > 0, 30_000),
        "the set-up never started",
      );
      const status = await call(client, "codex_status", { task_ids: [id] });
      assert.equal((status.structuredContent as { tasks: View[] }).tasks[0]!.phase, "starting");
      const cancelled = await call(client, "codex_cancel", { task_id: id });
      assert.notEqual(cancelled.isError, true, textOf(cancelled));
      const task = await finished(client, id);
      assert.equal(task.phase, "cancelled");
      assert.ok(
        await eventually(() => processesMatching("sleep 291.75").length === 0, 10_000),
        `the set-up still runs: ${JSON.stringify(processesMatching("sleep 291.75"))}`,
      );
      assert.equal(world.fake.requests.length, before);
    });

    await t.step("--worktree-setup is the session's default; setup replaces it", async () => {
      // A second client whose front-end has its own default, on the same supervisor.
      await using other = await startServer(world, {
        args: [
          ...SANDBOX_ARGS,
          "--worktree-setup",
          "mkdir -p build && echo default > build/out.txt",
        ],
      });
      const read = "RUN=cat build/out.txt";
      const byDefault = await finished(
        other.client,
        await startWriter(other.client, { prompt: `a ${read}`, cwd: repo }),
      );
      assert.equal(byDefault.phase, "completed", byDefault.failure ?? "");
      assert.match(byDefault.final_message ?? "", /Output: default$/);
      assert.equal(byDefault.setup?.command, "mkdir -p build && echo default > build/out.txt");

      // A fork into a worktree of its own is set up with the session's default too.
      const forked = await call(other.client, "codex_fork", {
        thread_id: byDefault.thread_id,
        prompts: [`fork ${read}`],
        worktree: true,
      });
      assert.equal(forked.isError, undefined, textOf(forked));
      const forkIds = (forked.structuredContent as { tasks: Array<{ task_id: string }> }).tasks
        .map((f) => f.task_id);
      const [fork] = await waitAll<View>(other.client, forkIds);
      assert.equal(fork!.setup?.exit_code, 0, fork!.failure ?? "");
      assert.match(fork!.final_message ?? "", /Output: default$/);

      const replaced = await finished(
        other.client,
        await startWriter(other.client, {
          prompt: `b ${read}`,
          cwd: repo,
          setup: "mkdir -p build && echo per-call > build/out.txt",
        }),
      );
      assert.match(replaced.final_message ?? "", /Output: per-call$/);

      const off = await finished(
        other.client,
        await startWriter(other.client, { prompt: `c ${read}`, cwd: repo, setup: "" }),
      );
      assert.equal(off.setup, null);
      assert.match(off.final_message ?? "", /No such file/);

      // No worktree, no set-up; and the first client's session has no default.
      const plain = await finished(
        other.client,
        await startWriter(other.client, { prompt: "d", cwd: repo, worktree: false }),
      );
      assert.equal(plain.setup, null);
      await assert.rejects(Deno.stat(`${repo}/build`));
      const first = await finished(
        client,
        await startWriter(client, { prompt: `e ${read}`, cwd: repo }),
      );
      assert.equal(first.setup, null);
    });

    await t.step("each attempt of best of N is set up in its own worktree", async () => {
      const started = await call(client, "codex_async", {
        prompt: "attempt RUN=cat build/out.txt",
        cwd: repo,
        sandbox: "workspace-write",
        worktree: true,
        attempts: 2,
        setup: 'mkdir -p build && basename "$PWD" > build/out.txt',
      });
      assert.equal(started.isError, undefined, textOf(started));
      const ids = (started.structuredContent as { task_ids: string[] }).task_ids;
      const tasks = await waitAll<View>(client, ids);
      for (const task of tasks) {
        assert.equal(task.setup?.exit_code, 0, task.failure ?? "");
        // Each ran in its own worktree (named by its task id).
        assert.match(task.final_message ?? "", new RegExp(`Output: ${task.task_id}$`));
      }
    });

    await t.step("a reply continues in the worktree without setting it up again", async () => {
      const id = await startWriter(client, {
        prompt: "first",
        cwd: repo,
        setup: "mkdir -p build && echo once >> build/runs.txt",
      });
      const task = await finished(client, id);
      assert.equal(task.phase, "completed", task.failure ?? "");
      const reply = await call(client, "codex-reply", {
        threadId: task.thread_id,
        prompt: "again RUN=cat build/runs.txt",
      });
      assert.equal(reply.isError, undefined, textOf(reply));
      assert.match((reply.structuredContent as { content: string }).content, /Output: once$/);
    });
  } finally {
    await Deno.remove(repo, { recursive: true }).catch(() => {});
    await Deno.remove(outside, { recursive: true }).catch(() => {});
  }
});
