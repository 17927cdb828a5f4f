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
import { git as repoGit } from "../../tests/support/repo.ts";
import {
  makeTraps,
  plantConfigTraps,
  TRAP_ATTRIBUTES,
  type Traps,
} from "../../tests/support/git_traps.ts";

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
    // One "error: pathspec ... did not match" line per path, about 90 characters each.
    const paths = Array.from({ length: 200 }, (_, i) => `missing-${i}.txt`);
    const error = await git(["ls-files", "--error-unmatch", ...paths], { cwd: dir }).catch((
      e: unknown,
    ) => e);
    assert.ok(error instanceof GitError);
    assert.equal(error.exitCode, 1);
    assert.equal(error.stderr.length, STDERR_TAIL_CHARS);
    assert.match(error.stderr, /missing-199\.txt/);
    assert.doesNotMatch(error.stderr, /missing-0\.txt/);
    assert.ok(error.message.length < 1000, `message is ${error.message.length} chars`);
  });
});

/**
 * A fake `git` first on PATH (fault injection and a look at git's environment): it answers the
 * runner's config listing with nothing and runs `body` for the command.
 */
async function fakeGit(dir: string, body: string): Promise<Record<string, string>> {
  const bin = join(dir, "fake-bin");
  await Deno.mkdir(bin, { recursive: true });
  const script = `#!/bin/sh\nfor a in "$@"; do [ "$a" = --show-scope ] && exit 0; done\n${body}\n`;
  await Deno.writeTextFile(join(bin, "git"), script);
  await Deno.chmod(join(bin, "git"), 0o755);
  return { PATH: `${bin}:${Deno.env.get("PATH") ?? ""}` };
}

/** The variables the fake git of {@link fakeGit} prints with {@link PRINT_ENV}. */
const SHOWN_ENV = [
  "GIT_TERMINAL_PROMPT",
  "GIT_EDITOR",
  "GIT_PAGER",
  "CODEX_SWARM_TEST",
  "GIT_DIR",
  "GIT_EXTERNAL_DIFF",
  "GIT_SSH_COMMAND",
];

/** A fake git body printing `NAME=value` (or `NAME unset`) for each of {@link SHOWN_ENV}. */
const PRINT_ENV = `for n in ${
  SHOWN_ENV.join(" ")
}; do if printenv $n >/dev/null; then echo "$n=$(printenv $n)"; else echo "$n unset"; fi; done`;

Deno.test("runGit sets the prompt, editor and pager, passes env and drops inherited GIT_DIR and programs", async () => {
  await withRepo(async (dir) => {
    const env = await fakeGit(dir, PRINT_ENV);
    assert.deepEqual(
      (await git(["status"], { cwd: dir, env: { ...env, CODEX_SWARM_TEST: "yes" } })).split("\n"),
      [
        "GIT_TERMINAL_PROMPT=0",
        "GIT_EDITOR=:",
        "GIT_PAGER=cat",
        "CODEX_SWARM_TEST=yes",
        "GIT_DIR unset",
        "GIT_EXTERNAL_DIFF unset",
        "GIT_SSH_COMMAND unset",
        "",
      ],
    );
    // In a child Deno, so this process's environment stays as it is for other tests.
    const script = `import { git } from ${JSON.stringify(import.meta.resolve("./git.ts"))};
      const cwd = ${JSON.stringify(dir)};
      console.log(await git(["rev-parse", "--abbrev-ref", "HEAD"], { cwd }));
      console.log(await git(["status"], { cwd, env: ${JSON.stringify(env)} }));`;
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", script],
      env: {
        GIT_DIR: "/nonexistent/.git",
        GIT_WORK_TREE: "/nonexistent",
        GIT_EXTERNAL_DIFF: "/nonexistent/diff",
        GIT_SSH_COMMAND: "/nonexistent/ssh",
        GIT_EDITOR: "/nonexistent/editor",
      },
      stdin: "null",
    }).output();
    assert.equal(new TextDecoder().decode(child.stderr), "");
    const out = new TextDecoder().decode(child.stdout).split("\n");
    assert.equal(out[0], "main");
    assert.deepEqual(
      out.filter((line) => /^GIT_(DIR|EXTERNAL_DIFF|SSH_COMMAND|EDITOR)\b/.test(line)),
      [
        "GIT_EDITOR=:",
        "GIT_DIR unset",
        "GIT_EXTERNAL_DIFF unset",
        "GIT_SSH_COMMAND unset",
      ],
    );
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
    // A git that hangs, and whose child keeps the pipes open after it is killed.
    const env = await fakeGit(dir, "sleep 3");
    const slow = ["status", "--short"];
    const started = Date.now();
    const timedOut = await runGit(slow, { cwd: dir, env, timeoutMs: 100 }).catch((e: unknown) => e);
    assert.ok(timedOut instanceof GitError);
    assert.match(timedOut.message, /^Command "git status --short" timed out after 100 ms/);
    assert.ok(Date.now() - started < 2500, "did not wait for the grandchild");

    const controller = new AbortController();
    const pending = runGit(slow, { cwd: dir, env, signal: controller.signal });
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

/**
 * A repository whose every program-naming setting is a trap (tests/support/git_traps.ts): hooks
 * in `.git/hooks`, the config traps with a committed `.gitattributes` on `*.txt` and `*.md`, and
 * a nested repository (a gitlink) with a filter of its own on its changed file.
 */
async function withTrappedRepo(fn: (dir: string, traps: Traps) => Promise<void>): Promise<void> {
  await withRepo(async (dir) => {
    const traps = await makeTraps(await Deno.makeTempDir({ prefix: "git_traps_" }));
    try {
      const plain = (...args: string[]) => repoGit(dir, ...args);
      await Deno.writeTextFile(join(dir, ".gitattributes"), TRAP_ATTRIBUTES);
      await Deno.writeTextFile(join(dir, "b.md"), "b\n");
      await Deno.mkdir(join(dir, "nested"));
      await repoGit(join(dir, "nested"), "init", "-q");
      await Deno.writeTextFile(join(dir, "nested", "n.txt"), "n\n");
      await repoGit(join(dir, "nested"), "add", "n.txt");
      await repoGit(
        join(dir, "nested"),
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@t",
        "commit",
        "-qm",
        "n",
      );
      await plain("add", "--all");
      await plain("commit", "-qm", "attributes, b.md and nested");
      await plantConfigTraps(dir, traps);
      await traps.hooks(join(dir, ".git", "hooks"), "hook");
      const nestedFilter = await traps.script("nested-filter", "cat");
      await repoGit(join(dir, "nested"), "config", "filter.trap.clean", nestedFilter);
      await Deno.writeTextFile(join(dir, "nested", ".gitattributes"), "* filter=trap\n");
      await Deno.writeTextFile(join(dir, "nested", "n.txt"), "m\n");
      await fn(dir, traps);
    } finally {
      await Deno.remove(join(traps.bin, ".."), { recursive: true });
    }
  });
}

Deno.test("the runner runs no hook, fsmonitor, driver, signing, pager, editor or alias of a repository", async () => {
  await withTrappedRepo(async (dir, traps) => {
    const opts = { cwd: dir };
    const run = (...args: string[]) => git(args, opts);
    const commitAll = async (message: string) => {
      await run("add", "--all");
      await run("commit", "--quiet", "--message", message);
    };
    await run("status", "--porcelain");
    await Deno.writeTextFile(join(dir, "a.txt"), "a\nb\n");
    await Deno.writeTextFile(join(dir, "c.md"), "c\n");
    await commitAll("second");
    // A cut stdout is the command's, not the config listing's.
    await runGit(["status", "--porcelain"], { ...opts, maxStdoutBytes: 1 });
    await run("diff", "HEAD~1", "HEAD");
    await Deno.writeTextFile(join(dir, "a.txt"), "a\nc\n");
    await run("diff");
    await run("log", "-p", "-2");
    await run("show", "HEAD");
    await run("checkout", "--quiet", "-b", "side");
    await commitAll("side");
    await run("checkout", "--quiet", "main");
    await Deno.writeTextFile(join(dir, "a.txt"), "z\nb\n");
    await commitAll("main");
    // Both sides changed a.txt: git's own text merge replaces the repository's merge driver.
    const conflict = await runGit(["merge", "--no-edit", "side"], opts);
    assert.equal(conflict.code, 1, conflict.stderr);
    assert.match(conflict.stdout, /CONFLICT \(content\): Merge conflict in a\.txt/);
    await run("merge", "--abort");
    await run("checkout", "--quiet", "-b", "other", "HEAD~1");
    await Deno.writeTextFile(join(dir, "d.md"), "d\n");
    await commitAll("other");
    await run("checkout", "--quiet", "main");
    await run("merge", "--no-ff", "--no-edit", "other");
    assert.equal(await Deno.readTextFile(join(dir, "d.md")), "d\n");
    const worktree = join(dir, "..", `${join(dir).split("/").pop()}-wt`);
    await run("worktree", "add", "--quiet", "-b", "wt", worktree, "HEAD");
    await git(["status", "--porcelain"], { cwd: worktree });
    await run("worktree", "remove", "--force", worktree);
    await run("mv", "d.md", "e.md");
    await run("reset", "--hard", "--quiet", "HEAD");
    await run("clean", "-d", "--force", "--quiet");
    await run("tag", "t1");
    await run("branch", "-D", "side");
    await run("ls-files", "-z", "--others", "--ignored", "--exclude-standard");
    const alias = await git(["trap"], opts).catch((e: unknown) => e);
    assert.ok(alias instanceof GitError);
    assert.match(alias.message, /^Command "git trap" was not run as "trap" is not one of/);

    assert.deepEqual(await traps.fired(), []);

    // The traps are live: git run as a user runs them (the process filter fails it). git reads a
    // file through the clean filter only when its stat data differs from the index's, or is
    // "racily clean" (changed in the second the index was last written): not so for a.txt when
    // the runs above span a second boundary. An mtime of 2001 makes git read it, whatever the clock.
    const past = new Date(1_000_000_000_000);
    await Deno.utime(join(dir, "a.txt"), past, past);
    await repoGit(dir, "status", "--porcelain").catch(() => "");
    await repoGit(join(dir, "nested"), "status", "--porcelain");
    const fired = await traps.fired();
    for (const trap of ["fsmonitor", "filter-clean", "nested-filter"]) {
      assert.ok(fired.includes(trap), `${trap} did not run under plain git: ${fired}`);
    }
  });
});

Deno.test("the user's own (global) filter runs; the same name redefined by the repository does not", async () => {
  await withTrappedRepo(async (dir, traps) => {
    const global = join(traps.bin, "..", "gitconfig");
    const userFilter = await traps.script("user-filter", "cat");
    await Deno.writeTextFile(global, `[filter "mine"]\n\tclean = ${userFilter}\n`);
    await Deno.writeTextFile(join(dir, ".gitattributes"), "*.txt filter=mine\n");
    const opts = { cwd: dir, env: { GIT_CONFIG_GLOBAL: global } };
    await Deno.writeTextFile(join(dir, "f.txt"), "f\n");
    await git(["add", "f.txt"], opts);
    assert.deepEqual(await traps.fired(), ["user-filter"]);

    await traps.reset();
    await repoGit(dir, "config", "filter.mine.clean", await traps.script("repo-filter", "cat"));
    await Deno.writeTextFile(join(dir, "g.txt"), "g\n");
    await git(["add", "g.txt"], opts);
    assert.deepEqual(await traps.fired(), []);
  });
});

Deno.test("the runner refuses a repository driver whose name git -c cannot express", async () => {
  await withRepo(async (dir) => {
    await repoGit(dir, "config", "filter.a=b.clean", "cat");
    const error = await git(["status"], { cwd: dir }).catch((e: unknown) => e);
    assert.ok(error instanceof GitError);
    assert.match(
      error.message,
      /^Command "git status" was not run as the repository's config defines "filter\.a=b"/,
    );
  });
});
