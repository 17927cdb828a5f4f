import assert from "node:assert/strict";
import { join } from "node:path";
import {
  commitIdentityArgs,
  FALLBACK_USER_EMAIL,
  FALLBACK_USER_NAME,
  git,
  GitError,
  runGit,
  STDERR_TAIL_CHARS,
} from "./git.ts";

/** A temp directory holding a repository with one commit, removed after `fn`. */
async function withRepo(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "git_test_" }));
  try {
    await git(["init", "--quiet", "--initial-branch=main"], { cwd: dir });
    await git(["config", "user.name", "Test"], { cwd: dir });
    await git(["config", "user.email", "test@example.com"], { cwd: dir });
    await git(["config", "commit.gpgsign", "false"], { cwd: dir });
    await Deno.writeTextFile(join(dir, "a.txt"), "a\n");
    await git(["add", "a.txt"], { cwd: dir });
    await git(["commit", "--quiet", "-m", "first"], { cwd: dir });
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Environment in which git sees no global or system configuration. */
async function isolatedEnv(home: string): Promise<Record<string, string>> {
  const empty = join(home, "empty-gitconfig");
  await Deno.writeTextFile(empty, "");
  return {
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_GLOBAL: empty,
    GIT_CONFIG_NOSYSTEM: "1",
  };
}

Deno.test("runGit reports stdout, stderr and exit code without throwing", async () => {
  await withRepo(async (dir) => {
    const ok = await runGit(["rev-parse", "--abbrev-ref", "HEAD"], { cwd: dir });
    assert.deepEqual(ok, { code: 0, stdout: "main\n", stderr: "", truncated: false });
    const bad = await runGit(["rev-parse", "--verify", "no-such-ref"], { cwd: dir });
    assert.equal(bad.code, 128);
    assert.equal(bad.stdout, "");
    assert.match(bad.stderr, /Needed a single revision/);
  });
});

Deno.test("git returns stdout and throws GitError with the facts on failure", async () => {
  await withRepo(async (dir) => {
    assert.equal(await git(["show", "-s", "--format=%s", "HEAD"], { cwd: dir }), "first\n");
    const error = await git(["checkout", "no-such-branch"], { cwd: dir }).then(
      () => assert.fail("expected a GitError"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof GitError);
    assert.deepEqual(error.args, ["checkout", "no-such-branch"]);
    assert.equal(error.cwd, dir);
    assert.equal(error.exitCode, 1);
    assert.match(error.stderr, /no-such-branch/);
    assert.match(error.message, /^Command "git checkout no-such-branch" exited with code 1: /);
    assert.match(error.message, /did not match any file/);
    assert.ok(error.message.endsWith(`: cwd is ${dir}`));
  });
});

Deno.test("GitError keeps only the tail of a long stderr", async () => {
  await withRepo(async (dir) => {
    const noisy = ["-c", "alias.noisy=!printf 'y%.0s' $(seq 5000) >&2; echo END >&2; exit 3"];
    const error = await git([...noisy, "noisy"], { cwd: dir }).catch((e: unknown) => e);
    assert.ok(error instanceof GitError);
    assert.equal(error.exitCode, 3);
    assert.equal(error.stderr.length, STDERR_TAIL_CHARS);
    assert.ok(error.stderr.endsWith("yyyEND\n"));
    assert.ok(error.message.length < 1000, `message is ${error.message.length} chars`);
  });
});

Deno.test("runGit sets GIT_TERMINAL_PROMPT=0, passes env and drops an inherited GIT_DIR", async () => {
  await withRepo(async (dir) => {
    const printenv = (name: string) => [
      "-c",
      `alias.env=!printenv ${name} || echo unset`,
      "env",
    ];
    assert.equal(await git(printenv("GIT_TERMINAL_PROMPT"), { cwd: dir }), "0\n");
    assert.equal(
      await git(printenv("CODEX_SWARM_TEST"), { cwd: dir, env: { CODEX_SWARM_TEST: "yes" } }),
      "yes\n",
    );
    // In a child Deno, so this process's environment stays as it is for other tests.
    const script = `import { git } from ${JSON.stringify(import.meta.resolve("./git.ts"))};
      console.log(await git(["rev-parse", "--abbrev-ref", "HEAD"], { cwd: ${
      JSON.stringify(dir)
    } }));`;
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", script],
      env: { GIT_DIR: "/nonexistent/.git", GIT_WORK_TREE: "/nonexistent" },
      stdin: "null",
    }).output();
    assert.equal(new TextDecoder().decode(child.stderr), "");
    assert.equal(new TextDecoder().decode(child.stdout), "main\n\n");
  });
});

Deno.test("runGit caps stdout at maxStdoutBytes and reports truncation", async () => {
  await withRepo(async (dir) => {
    const full = await runGit(["log", "-p"], { cwd: dir });
    const cut = await runGit(["log", "-p"], { cwd: dir, maxStdoutBytes: 10 });
    assert.equal(cut.code, 0);
    assert.equal(cut.truncated, true);
    assert.equal(cut.stdout, full.stdout.slice(0, 10));
    assert.equal(full.truncated, false);
  });
});

Deno.test("runGit kills git on timeout and on abort", async () => {
  await withRepo(async (dir) => {
    const slow = ["-c", "alias.slow=!sleep 3", "slow"];
    const started = Date.now();
    const timedOut = await runGit(slow, { cwd: dir, timeoutMs: 100 }).catch((e: unknown) => e);
    assert.ok(timedOut instanceof GitError);
    assert.match(
      timedOut.message,
      /^Command "git -c "alias.slow=!sleep 3" slow" timed out after 100 ms/,
    );
    assert.ok(Date.now() - started < 2500, "did not wait for the grandchild");

    const controller = new AbortController();
    const pending = runGit(slow, { cwd: dir, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const aborted = await pending.catch((e: unknown) => e);
    assert.ok(aborted instanceof GitError);
    assert.match(aborted.message, /was cancelled/);

    const already = await runGit(["status"], { cwd: dir, signal: AbortSignal.abort() }).catch((
      e: unknown,
    ) => e);
    assert.ok(already instanceof GitError);
    assert.equal(already.exitCode, null);
  });
});

Deno.test("runGit names a missing cwd", async () => {
  const error = await runGit(["status"], { cwd: "/nonexistent/codex-swarm" }).catch((e: unknown) =>
    e
  );
  assert.ok(error instanceof GitError);
  assert.equal(error.exitCode, null);
  assert.match(error.message, /could not start as the directory does not exist/);
  assert.match(error.message, /cwd is \/nonexistent\/codex-swarm$/);
});

Deno.test("commitIdentityArgs is empty when an identity is configured", async () => {
  await withRepo(async (dir) => {
    assert.deepEqual(await commitIdentityArgs({ cwd: dir }), []);
  });
});

Deno.test("commitIdentityArgs supplies a fallback so commits work on a fresh machine", async () => {
  await withRepo(async (dir) => {
    await git(["config", "--unset", "user.name"], { cwd: dir });
    await git(["config", "--unset", "user.email"], { cwd: dir });
    const env = await isolatedEnv(dir);
    const opts = { cwd: dir, env };
    assert.deepEqual(await commitIdentityArgs(opts), [
      "-c",
      `user.name=${FALLBACK_USER_NAME}`,
      "-c",
      `user.email=${FALLBACK_USER_EMAIL}`,
    ]);
    await Deno.writeTextFile(join(dir, "b.txt"), "b\n");
    await git(["add", "b.txt"], opts);
    await git([...await commitIdentityArgs(opts), "commit", "--quiet", "-m", "second"], opts);
    assert.equal(
      await git(["show", "-s", "--format=%an <%ae>", "HEAD"], opts),
      "codex-swarm <codex-swarm@localhost>\n",
    );

    // Only the missing half is filled in.
    await git(["config", "user.name", "Someone"], opts);
    assert.deepEqual(await commitIdentityArgs(opts), [
      "-c",
      `user.email=${FALLBACK_USER_EMAIL}`,
    ]);
  });
});
