import assert from "node:assert/strict";
import { git, makeRepo } from "../../tests/support/repo.ts";
import type { CommandOutcome } from "../codex/sandboxed_command.ts";
import { Logger } from "../base/log.ts";
import type { WorktreeInfo } from "./worktree.ts";
import { copyFiles, pathSegments, selectFiles, setUpWorktree } from "./worktree_setup.ts";

Deno.test("selectFiles: a glob matches a file or a directory above it; unmatched ones named", () => {
  const files = [".env", "node_modules/a/index.js", "node_modules/.bin/x", "sub/.env", "x.log"];
  assert.deepEqual(selectFiles(files, [".env"]), { selected: [".env"], unmatched: [] });
  assert.deepEqual(selectFiles(files, ["node_modules"]).selected, [
    "node_modules/a/index.js",
    "node_modules/.bin/x",
  ]);
  assert.deepEqual(selectFiles(files, ["node_modules/"]).selected.length, 2);
  assert.deepEqual(selectFiles(files, ["**/.env"]).selected, [".env", "sub/.env"]);
  // `*` takes no leading dot, as in shells: every top-level entry (and what is under it) but .env.
  assert.deepEqual(selectFiles(files, ["*"]).selected, files.slice(1));
  assert.deepEqual(selectFiles(files, ["*/*.js"]).selected, []);
  assert.deepEqual(selectFiles(files, ["**/*.js"]).selected, ["node_modules/a/index.js"]);
  assert.deepEqual(selectFiles(files, ["*.log", ".env.local"]), {
    selected: ["x.log"],
    unmatched: [".env.local"],
  });
});

async function ignoredRepo(): Promise<{ repo: string; worktree: string }> {
  const repo = await makeRepo();
  await Deno.writeTextFile(`${repo}/.gitignore`, ".env\nnode_modules/\n*.log\n");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", "ignore");
  await Deno.writeTextFile(`${repo}/.env`, "KEY=1\n");
  await Deno.mkdir(`${repo}/node_modules/dep/bin`, { recursive: true });
  await Deno.writeTextFile(`${repo}/node_modules/dep/index.js`, "x\n");
  await Deno.writeTextFile(`${repo}/node_modules/dep/bin/run`, "#!/bin/sh\n");
  await Deno.chmod(`${repo}/node_modules/dep/bin/run`, 0o755);
  await Deno.symlink("dep/bin/run", `${repo}/node_modules/run`);
  await Deno.writeTextFile(`${repo}/untracked.txt`, "not ignored\n");
  await Deno.writeTextFile(`${repo}/debug.log`, "log\n");
  const worktree = await Deno.makeTempDir({ prefix: "wt-setup-" });
  return { repo, worktree };
}

Deno.test("setUpWorktree: copies chosen ignored files with modes and links", async () => {
  const { repo, worktree } = await ignoredRepo();
  try {
    await Deno.writeTextFile(`${worktree}/.env`, "KEEP=me\n");
    const info = { repoRoot: repo, path: worktree } as WorktreeInfo;
    const plan = { copyIgnored: [".env", "node_modules", "*.txt"] };
    const host = { run: () => Promise.reject(), step: () => {}, log: quiet, taskId: "t1" };
    const { record } = await setUpWorktree(info, plan, host);
    // .env exists there already and is kept; untracked.txt is not ignored.
    assert.deepEqual(record, { command: null, copied: 3, unmatched: ["*.txt"] });
    assert.equal(await Deno.readTextFile(`${worktree}/.env`), "KEEP=me\n");
    assert.equal(await Deno.readTextFile(`${worktree}/node_modules/dep/index.js`), "x\n");
    assert.equal((await Deno.stat(`${worktree}/node_modules/dep/bin/run`)).mode! & 0o777, 0o755);
    assert.equal(await Deno.readLink(`${worktree}/node_modules/run`), "dep/bin/run");
    await assert.rejects(Deno.stat(`${worktree}/debug.log`));
    await assert.rejects(Deno.stat(`${worktree}/untracked.txt`));
  } finally {
    await Deno.remove(repo, { recursive: true });
    await Deno.remove(worktree, { recursive: true });
  }
});

Deno.test("copyFiles: never through a symlinked directory on either side, nor `..`", async () => {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "wt-copy-" }));
  const [from, to, outside] = [`${base}/from`, `${base}/to`, `${base}/outside`];
  try {
    for (const dir of [`${from}/conf`, `${from}/real`, to, outside]) {
      await Deno.mkdir(dir, { recursive: true });
    }
    await Deno.writeTextFile(`${from}/conf/.env`, "A=1\n");
    await Deno.writeTextFile(`${outside}/secret`, "S=1\n");
    // The worktree's conf is a symlink to a directory outside (as a base commit may make it).
    await Deno.symlink(outside, `${to}/conf`);
    await assert.rejects(
      copyFiles(from, to, ["conf/.env"]),
      /Cannot copy the ignored file conf\/\.env into the worktree as conf is a symlink in the worktree/,
    );
    assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["secret"]);
    // Deeper: a/b made one level at a time, and a symlink below a real directory refused too.
    await Deno.mkdir(`${to}/real`);
    await Deno.symlink(outside, `${to}/real/deep`);
    await Deno.mkdir(`${from}/real/deep`);
    await Deno.writeTextFile(`${from}/real/deep/x`, "x\n");
    await assert.rejects(copyFiles(from, to, ["real/deep/x"]), /as real\/deep is a symlink/);
    // The main checkout's side: a symlinked directory is not read through.
    await Deno.symlink(outside, `${from}/linked`);
    await assert.rejects(
      copyFiles(from, to, ["linked/secret"]),
      /as linked is a symlink in the main checkout/,
    );
    await assert.rejects(Deno.lstat(`${to}/linked`));
    // A file that is a dangling symlink in the worktree is left alone, not written through.
    await Deno.symlink(`${outside}/made`, `${to}/.env`);
    await Deno.writeTextFile(`${from}/.env`, "B=2\n");
    assert.equal(await copyFiles(from, to, [".env"]), 0);
    await assert.rejects(Deno.lstat(`${outside}/made`));
    // `..` never comes from git; refused all the same.
    await assert.rejects(copyFiles(from, to, ["../outside/secret"]), /"\.\." segment/);
    assert.throws(() => pathSegments("a//b"), /empty, "\." or "\.\." segment/);
    assert.deepEqual(pathSegments("a/b/.env"), ["a", "b", ".env"]);
    assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["secret"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

const quiet = new Logger({ level: "error", file: null, stderr: () => {} });

function outcome(extra: Partial<CommandOutcome>): CommandOutcome {
  return {
    command: "npm ci",
    exitCode: 0,
    tail: "",
    timedOut: false,
    cancelled: false,
    durationMs: 5,
    ...extra,
  };
}

Deno.test("setUpWorktree: copies, runs, and says why a failed set-up fails the task", async () => {
  const { repo, worktree } = await ignoredRepo();
  const info = { repoRoot: repo, path: worktree } as WorktreeInfo;
  const steps: string[] = [];
  const ran: string[] = [];
  const host = (result: CommandOutcome | Error) => ({
    run: (command: string) => {
      ran.push(command);
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
    step: (text: string) => void steps.push(text),
    log: quiet,
    taskId: "t1",
  });
  try {
    const ok = await setUpWorktree(
      info,
      { setup: "npm ci", copyIgnored: [".env", ".env.local"] },
      host(outcome({ tail: "added 3 packages\n" })),
    );
    assert.deepEqual(ok, {
      record: {
        command: "npm ci",
        copied: 1,
        unmatched: [".env.local"],
        exitCode: 0,
        tail: "added 3 packages\n",
        durationMs: 5,
      },
      failure: null,
    });
    assert.deepEqual(steps, [
      "Copying ignored files: .env, .env.local",
      "Running worktree set-up: npm ci",
    ]);
    assert.deepEqual(ran, ["npm ci"]);

    const failed = await setUpWorktree(
      info,
      { setup: "npm ci" },
      host(outcome({ exitCode: 1, tail: "a\nb\nc\nnpm ERR! no lockfile\n" })),
    );
    assert.equal(failed.record.exitCode, 1);
    assert.equal(
      failed.failure,
      'The worktree set-up "npm ci" exited 1 before Codex started: b | c | npm ERR! no lockfile ' +
        "(its output's end is in setup.tail)",
    );
    // Stopped by cancel or the time limit: the engine's flags decide, no failure of its own.
    const stopped = await setUpWorktree(
      info,
      { setup: "npm ci" },
      host(outcome({ exitCode: 137, cancelled: true })),
    );
    assert.equal(stopped.failure, null);
    const refused = await setUpWorktree(info, { setup: "npm ci" }, host(new Error("no sandbox")));
    assert.match(refused.failure ?? "", /Cannot run the worktree set-up "npm ci": no sandbox/);
    // Only copying: nothing runs.
    ran.length = 0;
    const copyOnly = await setUpWorktree(info, { copyIgnored: ["*.log"] }, host(outcome({})));
    assert.deepEqual(copyOnly, {
      record: { command: null, copied: 1, unmatched: [] },
      failure: null,
    });
    assert.deepEqual(ran, []);
  } finally {
    await Deno.remove(repo, { recursive: true });
    await Deno.remove(worktree, { recursive: true });
  }
});
