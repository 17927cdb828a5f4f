/**
 * End-to-end: what `codex_worktree merge` does in the user's checkout. It never touches a file git
 * does not track there (git's own merge and checkout overwrite ignored files such as `.env`), and
 * a merge with nothing to merge answers `merged: false` with the reason. Real Codex against the
 * fake Responses API, driven through the MCP client.
 */

import assert from "node:assert/strict";
import { makeWorld, startServer, textOf } from "./support/harness.ts";
import { checkoutState, git, makeRepo } from "./support/repo.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

type View = { task_id: string; phase: string; failure: string | null };
type Result = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
};

/** A repository that ignores `.env`, with the user's own `.env` and an untracked note. */
async function repoWithSecrets(): Promise<string> {
  const repo = await makeRepo();
  await Deno.writeTextFile(`${repo}/.gitignore`, ".env\n");
  await git(repo, "add", ".gitignore");
  await git(repo, "commit", "-q", "-m", "ignore .env");
  await Deno.writeTextFile(`${repo}/.env`, "SECRET=mine\n");
  await Deno.writeTextFile(`${repo}/notes.txt`, "my notes\n");
  return repo;
}

Deno.test("a merge never touches files git does not track in the checkout", e2e, async (t) => {
  await using world = await makeWorld();
  await using server = await startServer(world);
  const { client } = server;
  const repo = await repoWithSecrets();
  const [tracksEnv, writesNotes, plain] = [
    // The branch starts tracking .env: it stops ignoring it and commits its own.
    "own env RUN=printf 'x\\n' > .gitignore && echo SECRET=theirs > .env",
    "own notes RUN=echo their notes > notes.txt",
    "plain RUN=echo plain > plain.txt",
  ];
  const ids: string[] = [];
  for (const prompt of [tracksEnv, writesNotes, plain]) {
    ids.push(
      await startTask(client, { prompt, cwd: repo, worktree: true, sandbox: "workspace-write" }),
    );
  }
  for (const view of await waitAll<View>(client, ids)) {
    assert.equal(view.phase, "completed", view.failure ?? "");
  }
  const before = await checkoutState(repo, [".env", "notes.txt"]);

  await t.step(
    "an ignored file the branch would write: refused, named, nothing changed",
    async () => {
      const result = await call(client, "codex_worktree", {
        task_id: ids[0],
        action: "merge",
      }) as Result;
      assert.equal(result.isError, true, textOf(result));
      assert.match(
        textOf(result),
        /^Cannot merge task "[0-9a-f]{12}" into .* as it would overwrite files git does not track there: \.env \(ignored\)\. Nothing was changed/,
      );
      assert.deepEqual(await checkoutState(repo, [".env", "notes.txt"]), before);
    },
  );

  await t.step("an untracked file the branch would write: refused, named", async () => {
    const result = await call(client, "codex_worktree", {
      task_id: ids[1],
      action: "merge",
    }) as Result;
    assert.equal(result.isError, true, textOf(result));
    assert.match(textOf(result), /git does not track there: notes\.txt \(untracked\)\./);
    assert.deepEqual(await checkoutState(repo, [".env", "notes.txt"]), before);
  });

  await t.step("switching to a target that tracks .env: refused, nothing changed", async () => {
    // A branch of the user's that tracks its own .env; the checkout of it would replace the
    // user's ignored .env before the merge.
    const scratch = await Deno.realPath(await Deno.makeTempDir({ prefix: "env-branch-" }));
    await git(repo, "worktree", "add", "-q", "-b", "with-env", scratch, "main");
    await Deno.writeTextFile(`${scratch}/.env`, "SECRET=branch\n");
    await git(scratch, "add", "-f", ".env");
    await git(scratch, "commit", "-q", "-m", "track .env");
    await git(repo, "worktree", "remove", scratch);
    const result = await call(client, "codex_worktree", {
      task_id: ids[2],
      action: "merge",
      target: "with-env",
    }) as Result;
    assert.equal(result.isError, true, textOf(result));
    assert.match(textOf(result), /git does not track there: \.env \(ignored\)\./);
    assert.deepEqual(await checkoutState(repo, [".env", "notes.txt"]), before);
  });

  await t.step("a merge with nothing of the user's in the way goes through", async () => {
    const result = await call(client, "codex_worktree", {
      task_id: ids[2],
      action: "merge",
    }) as Result;
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(result.structuredContent!.merged, true);
    assert.equal(await Deno.readTextFile(`${repo}/plain.txt`), "plain\n");
    assert.equal(await Deno.readTextFile(`${repo}/.env`), "SECRET=mine\n");
  });
});

Deno.test("a merge with nothing to merge answers merged: false with the reason", e2e, async (t) => {
  await using world = await makeWorld();
  await using server = await startServer(world);
  const { client } = server;
  const repo = await makeRepo();
  const ids = [
    await startTask(client, {
      prompt: "changes nothing",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    }),
    await startTask(client, {
      prompt: "one edit RUN=echo one > one.txt",
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    }),
  ];
  for (const view of await waitAll<View>(client, ids)) {
    assert.equal(view.phase, "completed", view.failure ?? "");
  }

  await t.step("a task that committed nothing", async () => {
    const head = await git(repo, "rev-parse", "HEAD");
    const result = await call(client, "codex_worktree", {
      task_id: ids[0],
      action: "merge",
    }) as Result;
    assert.notEqual(result.isError, true, textOf(result));
    assert.equal(result.structuredContent!.merged, false);
    assert.equal(result.structuredContent!.commit, undefined);
    assert.match(
      String(result.structuredContent!.reason),
      /^nothing to merge: branch codex-swarm\/[0-9a-f]{12} holds no commit past its base [0-9a-f]{12} \(the task committed nothing\)$/,
    );
    assert.match(textOf(result), /^Nothing to merge into main: /);
    assert.equal(await git(repo, "rev-parse", "HEAD"), head);
  });

  await t.step("a branch merged already", async () => {
    const first = await call(client, "codex_worktree", {
      task_id: ids[1],
      action: "merge",
    }) as Result;
    assert.equal(first.structuredContent!.merged, true, textOf(first));
    const head = await git(repo, "rev-parse", "HEAD");
    const again = await call(client, "codex_worktree", {
      task_id: ids[1],
      action: "merge",
    }) as Result;
    assert.equal(again.structuredContent!.merged, false, textOf(again));
    assert.match(
      String(again.structuredContent!.reason),
      /^nothing to merge: branch "main" already contains the head [0-9a-f]{12} of branch codex-swarm\//,
    );
    assert.equal(await git(repo, "rev-parse", "HEAD"), head);
  });
});
