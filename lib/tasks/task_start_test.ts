import assert from "node:assert/strict";
import type { Session } from "./engine_api.ts";
import type { TaskMeta } from "./task.ts";
import type { WorktreeInfo } from "../git/worktree.ts";
import { taskMeta } from "../../tests/support/task_meta.ts";
import { prepareStart, resolveCwd, type StartHost } from "./task_start.ts";
import { RequestError } from "./request_error.ts";

function info(path: string): WorktreeInfo {
  return {
    repoRoot: "/repo",
    path,
    branch: "codex-swarm/x",
    baseRef: "main",
    baseCommit: "0".repeat(40),
    cwd: path,
  };
}

async function setting() {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "task-start-" }));
  const session: Session = {
    id: "s-1",
    kind: "client",
    taskId: null,
    defaults: { overrides: [], skipGitRepoCheck: true, ephemeral: false, worktreeSetup: "make" },
    taskTimeoutS: 0,
    cwd: dir,
    env: { PATH: "/usr/bin:/bin" },
  };
  const made: string[] = [];
  const host = (threadTree: WorktreeInfo | null = null, busy: TaskMeta[] = []): StartHost => ({
    check: () => {},
    requireThread: () => Promise.resolve(),
    codexHome: "",
    taskOf: () => undefined,
    worktreeOfThread: () => threadTree,
    unfinishedIn: (path) => busy.filter((t) => t.worktree?.path === path),
    worktrees: {
      resolveRepo: (cwd: string) => Promise.resolve({ root: cwd }) as never,
      create: (id: string) => {
        made.push(id);
        return Promise.resolve(info(`${dir}/wt-${id}`));
      },
    },
  });
  return { dir, session, made, host };
}

Deno.test("resolveCwd: relative to the session's directory, real, and a directory", async () => {
  const { dir } = await setting();
  await Deno.mkdir(`${dir}/sub`);
  await Deno.writeTextFile(`${dir}/file`, "");
  assert.equal(await resolveCwd("sub", dir), `${dir}/sub`);
  assert.equal(await resolveCwd(undefined, dir), dir);
  await assert.rejects(resolveCwd("nope", dir), /Cannot use cwd ".*\/nope" as it does not exist/);
  await assert.rejects(resolveCwd("file", dir), /as it is not a directory/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepareStart: no worktree, a new one (with the session's set-up), a reply's", async () => {
  const { dir, session, made, host } = await setting();
  const plain = await prepareStart({ prompt: "p" }, session, host());
  assert.equal(plain.worktree, null);
  assert.equal(plain.runCwd, dir);
  assert.equal(plain.request.setup, undefined, "no worktree: the set-up does not apply");
  assert.match(plain.id, /^[0-9a-f]{12}$/);

  const fresh = await prepareStart({ prompt: "p", worktree: true }, session, host());
  assert.deepEqual(made, [fresh.id]);
  assert.equal(fresh.runCwd, `${dir}/wt-${fresh.id}`);
  assert.equal(fresh.inherited, false);
  assert.equal(fresh.request.setup, "make", "a new worktree gets the session's set-up");

  await Deno.mkdir(`${dir}/thread-tree`);
  const reply = await prepareStart(
    { prompt: "p", threadId: "t" },
    session,
    host(info(`${dir}/thread-tree`)),
  );
  assert.equal(reply.inherited, true);
  assert.equal(reply.runCwd, `${dir}/thread-tree`);
  assert.equal(reply.request.setup, undefined, "a reply is not set up again");
  assert.equal(made.length, 1);

  const other = taskMeta("0123456789ab", {
    phase: "running",
    worktree: info(`${dir}/thread-tree`),
  });
  await assert.rejects(
    prepareStart(
      { prompt: "p", threadId: "t" },
      session,
      host(info(`${dir}/thread-tree`), [
        other,
      ]),
    ),
    (error: unknown) =>
      error instanceof RequestError && error.field === "threadId" &&
      /as task 0123456789ab \(running\) still works there .* worktree: true/.test(error.message),
    "a second task in a thread's worktree is refused while another works there",
  );

  await assert.rejects(
    prepareStart({ prompt: "p", threadId: "t" }, session, host(info(`${dir}/gone`))),
    (error: unknown) =>
      error instanceof RequestError && error.field === "threadId" &&
      /its worktree .*\/gone .* no longer exists; pass worktree: false/.test(error.message),
  );
  await Deno.remove(dir, { recursive: true });
});
