import { clientSession } from "../../tests/support/engine_parts.ts";
import assert from "node:assert/strict";
import type { WorktreeInfo } from "../git/worktree.ts";
import { taskMeta, worktreeInfo } from "../../tests/support/task_meta.ts";
import { planTask, resolveCwd } from "./task_plan.ts";
import type { PlanFacts } from "../tasks/engine_api.ts";

const THREAD = "01a23379-8b64-73e0-b586-c4440ada693c";

async function setting() {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "task-start-" }));
  const session = clientSession(dir, {
    id: "s-1",
    defaults: { overrides: [], skipGitRepoCheck: true, ephemeral: false, worktreeSetup: "make" },
    taskTimeoutS: 0,
  });
  const made: string[] = [];
  const facts = (threadTree: WorktreeInfo | null = null): PlanFacts => ({
    task: () => undefined,
    tasksOn: () => [taskMeta("0123456789ab", { phase: "completed" })],
    worktreeOfThread: () => threadTree,
    knowsThread: () => Promise.resolve(true),
    worker: () => null,
    codexHome: "",
    worktrees: {
      resolveRepo: (cwd: string) => Promise.resolve({ root: cwd }) as never,
      create: (id: string) => {
        made.push(id);
        return Promise.resolve(worktreeInfo(`${dir}/wt-${id}`));
      },
      branchHead: () => Promise.resolve(null),
      discard: () => Promise.resolve(),
    } as never,
  });
  return { dir, session, made, facts };
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

Deno.test("planTask: no worktree, a new one (with the session's set-up), a reply's", async () => {
  const { dir, session, made, facts } = await setting();
  const plain = await planTask({ prompt: "p" }, session, facts());
  assert.deepEqual(plain.worktree, { kind: "none" });
  assert.equal(plain.runCwd, dir);
  assert.equal(plain.request.cwd, dir);
  assert.equal(plain.request.setup, undefined, "no worktree: the set-up does not apply");
  assert.match(plain.id, /^[0-9a-f]{12}$/);

  const fresh = await planTask({ prompt: "p", worktree: true }, session, facts());
  assert.deepEqual(made, [fresh.id]);
  assert.equal(fresh.worktree.kind, "new");
  assert.equal(fresh.runCwd, `${dir}/wt-${fresh.id}`);
  assert.equal(fresh.request.setup, "make", "a new worktree gets the session's set-up");

  const tree = worktreeInfo(`${dir}/thread-tree`);
  const reply = await planTask({ prompt: "p", threadId: THREAD }, session, facts(tree));
  assert.deepEqual(reply.worktree, { kind: "inherited", info: tree, threadId: THREAD });
  assert.equal(reply.runCwd, `${dir}/thread-tree`);
  assert.equal(reply.request.setup, undefined, "a reply is not set up again");
  assert.equal(made.length, 1);

  await assert.rejects(
    planTask({ prompt: "p", profile: "nope", worktree: true }, session, facts()),
    /Cannot use profile "nope"/,
  );
  assert.equal(made.length, 1, "a bad profile is found before a worktree is made");
  await Deno.remove(dir, { recursive: true });
});
