/**
 * End-to-end, with real Codex against the fake Responses API: no work lost, no caller escalates,
 * and answers that say what happened (issue 10).
 */

import assert from "node:assert/strict";
import type { Client } from "./support/sdk_client.ts";
import { eventually, makeWorld, startServer, textOf } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, startTask, type TaskView } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type View = TaskView;

/** Waits for the task to end; its full view. */
async function waitFor(client: Client, id: string): Promise<View> {
  await call(client, "codex_wait", { task_ids: [id], timeout: 90 });
  return await view(client, id);
}

/** The full view of a task. */
async function view(client: Client, id: string): Promise<View> {
  const result = await call(client, "codex_status", { task_ids: [id], detail: "full" });
  return (result.structuredContent as { tasks: View[] }).tasks[0]!;
}

/** The worktree of the task a `codex` or `codex-reply` result names. */
async function worktreeOfResult(client: Client, result: unknown): Promise<View["worktree"]> {
  const { taskId } = (result as { structuredContent: { taskId: string } }).structuredContent;
  return (await view(client, taskId)).worktree;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("a 1,000,000-character prompt runs (on stdin, not argv)", e2e, async () => {
  await using world = await makeWorld();
  await using server = await startServer(world);
  const prompt = "long one " + "y".repeat(1_000_000 - 9);
  const id = await startTask(server.client, { prompt });
  const task = await waitFor(server.client, id);
  assert.equal(task.phase, "completed", task.failure ?? "");
  assert.equal(world.fake.requests.at(-1)!.prompt.length, 1_000_000);

  // State and log files are 0600 in 0700 directories.
  if (Deno.build.os === "windows") return;
  const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;
  assert.equal(await mode(world.taskDir), 0o700);
  assert.equal(await mode(`${world.taskDir}/${id}`), 0o700);
  for (const file of ["meta.json", "run.json"]) {
    assert.equal(await mode(`${world.taskDir}/${id}/${file}`), 0o600, file);
  }
  assert.equal(await mode(`${world.taskDir}/../server.log`), 0o600);
});

Deno.test(
  "the client's secrets do not reach Codex; provider keys and --pass-env do",
  e2e,
  async () => {
    if (Deno.build.os !== "linux") return; // reads /proc/<pid>/environ
    await using world = await makeWorld();
    await using server = await startServer(world, {
      args: ["--pass-env", "MY_LICENSE_KEY"],
      env: {
        ANTHROPIC_API_KEY: "sk-ant-secret",
        CLAUDE_CODE_OAUTH_TOKEN: "oauth",
        GITHUB_TOKEN: "ghp_secret",
        MY_LICENSE_KEY: "passed",
        OPENAI_API_KEY: "sk-openai",
        RUST_LOG: "warn",
      },
    });
    const id = await startTask(server.client, { prompt: "env check SLEEP=4000" });
    // The session's tasks run on an app-server of their own environment: look at its.
    const codexPid = async () => {
      const info = await server.client.readResource({ uri: "codex-swarm://server-info" });
      const text = (info.contents[0] as { text: string }).text;
      return (JSON.parse(text) as { supervisor: { codex: Array<{ pid: number }> } })
        .supervisor.codex[0]?.pid;
    };
    assert.ok(await eventually(async () => (await codexPid()) !== undefined));
    const pid = (await codexPid())!;
    const environ = await Deno.readTextFile(`/proc/${pid}/environ`);
    const names = environ.split("\0").map((kv) => kv.split("=", 1)[0]);
    for (const dropped of ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "GITHUB_TOKEN"]) {
      assert.ok(!names.includes(dropped), `${dropped} reached Codex`);
    }
    for (const kept of ["MOCK_API_KEY", "OPENAI_API_KEY", "MY_LICENSE_KEY", "PATH", "RUST_LOG"]) {
      assert.ok(names.includes(kept), `${kept} did not reach Codex`);
    }
    await call(server.client, "codex_cancel", { task_id: id });
  },
);

Deno.test("with RUST_BACKTRACE=1 the failure is Codex's Error: line", e2e, async () => {
  await using world = await makeWorld();
  // A Codex that cannot start prints its error, then a backtrace (fault injection).
  const dir = await Deno.makeTempDir({ prefix: "fake-codex-" });
  const fake = `${dir}/codex`;
  await Deno.writeTextFile(
    fake,
    "#!/bin/sh\necho 'Error: MOCK-FAILURE codex cannot start here' >&2\n" +
      "echo 'Stack backtrace:' >&2\necho '   0: <unknown>' >&2\necho '   1: <unknown>' >&2\n" +
      "exit 1\n",
    { mode: 0o755 },
  );
  await using server = await startServer(world, {
    args: ["--codex-bin", fake],
    env: { RUST_BACKTRACE: "1" },
  });
  const id = await startTask(server.client, { prompt: "fails at start" });
  const task = await waitFor(server.client, id);
  assert.equal(task.phase, "failed");
  assert.match(task.failure ?? "", /Error: MOCK-FAILURE codex cannot start here/);
  assert.doesNotMatch(task.failure ?? "", /\d+: <unknown>/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("codex_cancel says what happened: queued, running, already completed", e2e, async () => {
  await using world = await makeWorld();
  await using server = await startServer(world, { args: ["--max-parallel", "1"] });
  const { client } = server;
  const done = await startTask(client, { prompt: "quick" });
  await waitFor(client, done);
  const running = await startTask(client, { prompt: "slow SLEEP=20000" });
  const queued = await startTask(client, { prompt: "behind it" });
  assert.ok(await eventually(async () => (await view(client, running)).phase === "running"));
  const result = await call(client, "codex_cancel", { task_ids: [queued, running, done] });
  const text = textOf(result);
  assert.match(text, new RegExp(`Task ${queued} cancelled while queued: it never started`));
  assert.match(text, new RegExp(`Task ${running} cancelled while running`));
  assert.match(text, new RegExp(`Task ${done} had already finished \\(completed\\)`));
  assert.equal(world.fake.requests.filter((r) => r.prompt.includes("behind it")).length, 0);
});

Deno.test(
  "worktrees: a reply reports its own commit; discard waits for a running reply; a gone worktree is named",
  e2e,
  async () => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    await using server = await startServer(world);
    const { client } = server;

    const first = await startTask(client, {
      prompt: "first RUN=echo one > one.txt",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    });
    const a = await waitFor(client, first);
    assert.equal(a.phase, "completed", a.failure ?? "");
    assert.deepEqual(a.worktree!.files.map((f) => f.path), ["one.txt"]);

    // A reply that changes nothing reports no commit, not the thread's.
    const idle = await call(client, "codex-reply", {
      threadId: a.thread_id,
      prompt: "just talk",
      sandbox: "workspace-write",
    });
    assert.equal(idle.isError, undefined, textOf(idle));
    const idleWt = (await worktreeOfResult(client, idle))!;
    assert.equal(idleWt.path, a.worktree!.path);
    assert.equal(idleWt.commit, null);
    assert.deepEqual(idleWt.files, []);

    // A reply that edits reports only its own file.
    const edit = await call(client, "codex-reply", {
      threadId: a.thread_id,
      prompt: "second RUN=echo two > two.txt",
      sandbox: "workspace-write",
    });
    const editWt = (await worktreeOfResult(client, edit))!;
    assert.notEqual(editWt.commit, null);
    assert.notEqual(editWt.commit, a.worktree!.commit);
    assert.deepEqual(editWt.files.map((f) => f.path), ["two.txt"]);

    // While a reply works in the worktree, discard and merge of the first task are refused.
    const reply = await startTask(client, {
      threadId: a.thread_id,
      prompt: "slow reply SLEEP=8000",
      sandbox: "workspace-write",
    });
    assert.ok(await eventually(async () => (await view(client, reply)).phase === "running"));
    for (const action of ["discard", "merge"]) {
      const refused = await call(client, "codex_worktree", { task_id: first, action });
      assert.equal(refused.isError, true, textOf(refused));
      assert.match(textOf(refused), new RegExp(`task "${reply}" \\(running\\) still works in`));
    }
    assert.ok(await exists(a.worktree!.path));
    await waitFor(client, reply);

    // Merge into a revision instead of a branch is refused and leaves main alone.
    const mainBefore = await git(repo, "rev-parse", "main");
    const detached = await call(client, "codex_worktree", {
      task_id: first,
      action: "merge",
      target: "main~0",
    });
    assert.equal(detached.isError, true);
    assert.match(textOf(detached), /"main~0" as it is not a local branch/);
    assert.equal(await git(repo, "rev-parse", "main"), mainBefore);
    assert.equal(await git(repo, "symbolic-ref", "--short", "HEAD"), "main");

    // Once the worktree is discarded, a reply is an error naming it, never a run in the main checkout.
    const discarded = await call(client, "codex_worktree", { task_id: first, action: "discard" });
    assert.equal(discarded.isError, undefined, textOf(discarded));
    const orphan = await call(client, "codex-reply", {
      threadId: a.thread_id,
      prompt: "where am I RUN=echo stray > stray.txt",
    });
    assert.equal(orphan.isError, true, textOf(orphan));
    assert.match(textOf(orphan), new RegExp(`worktree ${a.worktree!.path} .* no longer exists`));
    assert.equal(await exists(`${repo}/stray.txt`), false);

    // Another instance (no task records in memory) finds the link on disk, too.
    await server.stop();
    await using second = await startServer(world, {
      args: ["--task-dir", `${world.taskDir}-2`],
    });
    const other = await call(second.client, "codex-reply", {
      threadId: a.thread_id,
      prompt: "elsewhere RUN=echo stray > stray.txt",
    });
    assert.equal(other.isError, true, textOf(other));
    assert.match(textOf(other), /no longer exists/);
    assert.equal(await exists(`${repo}/stray.txt`), false);
  },
);

Deno.test(
  "clean-up keeps uncommitted worktrees; a failed commit is reported with its cause and retried",
  e2e,
  async () => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    await using server = await startServer(world, {
      args: ["--task-max-age", "1"],
    });
    const { client } = server;

    const kept = await startTask(client, {
      prompt: "uncommitted RUN=echo keep > keep.txt",
      cwd: repo,
      worktree: true,
      commit: false,
      sandbox: "workspace-write",
    });
    const k = await waitFor(client, kept);
    assert.equal(k.phase, "completed", k.failure ?? "");

    // The task locks the index of its own worktree, as a server killed during `git add` does.
    const locked = await startTask(client, {
      prompt: 'locked RUN=echo work > work.txt && touch "$(git rev-parse --git-dir)/index.lock"',
      cwd: repo,
      worktree: true,
      sandbox: "danger-full-access",
    });
    const l = await waitFor(client, locked);
    assert.equal(l.phase, "failed", JSON.stringify(l));
    assert.match(l.failure ?? "", /committing its work failed: .*index\.lock/s);
    assert.match(l.failure ?? "", /the work is still in/);

    const committed = await startTask(client, {
      prompt: "clean RUN=echo c > c.txt",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    });
    const c = await waitFor(client, committed);
    assert.notEqual(c.worktree!.commit, null);

    // The sweep (every second with --task-max-age 1) removes the committed worktree only.
    assert.ok(await eventually(async () => !(await exists(c.worktree!.path)), 20_000));
    assert.equal(await Deno.readTextFile(`${k.worktree!.path}/keep.txt`), "keep\n");
    assert.ok(await exists(`${l.worktree!.path}/work.txt`));

    // With the lock gone, the sweep's retry commits the work on the branch.
    const gitDir = await git(l.worktree!.path, "rev-parse", "--absolute-git-dir");
    await Deno.remove(`${gitDir}/index.lock`);
    assert.ok(
      await eventually(
        async () =>
          (await git(repo, "ls-tree", "--name-only", l.worktree!.branch).catch(() => ""))
            .includes("work.txt"),
        20_000,
      ),
      "the failed commit was not retried",
    );
    assert.ok(await exists(`${k.worktree!.path}/keep.txt`), "an uncommitted worktree was removed");
  },
);
