/**
 * A repository with a few committed files, a worktree directory and a
 * {@linkcode WorktreeManager}, with the git helpers the tests of lib/git/worktree*.ts share.
 *
 * @example
 * ```ts ignore
 * // ignore: a test helper; the tests beside lib/git/worktree.ts use it
 * await withFixture(async ({ repo, manager }) => {
 *   const info = await manager.create("t", repo);
 *   assert.equal(await head(info.path), await head(repo));
 * });
 * ```
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { git, runGit } from "../../lib/git/git.ts";
import { WorktreeManager } from "../../lib/git/worktree.ts";

/** What {@linkcode withFixture} gives a test. */
export interface Fixture {
  /** Real path of the main checkout. */
  repo: string;
  /** Real path of the worktree directory given to the manager. */
  worktreeDir: string;
  /** Temp directory holding everything. */
  tmp: string;
  manager: WorktreeManager;
}

export const APP_TS = "export const a = 1;\nexport const b = 2;\nexport const c = 3;\n";

export async function run(cwd: string, ...args: string[]): Promise<string> {
  return (await git(args, { cwd })).trim();
}

export async function runGitQuiet(cwd: string, args: string[]): Promise<number> {
  return (await runGit(args, { cwd })).code;
}

export async function write(path: string, text: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text);
}

export async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

export async function initRepo(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await run(dir, "init", "--quiet", "--initial-branch=main");
  await run(dir, "config", "user.name", "Test");
  await run(dir, "config", "user.email", "test@example.com");
  await run(dir, "config", "commit.gpgsign", "false");
}

/** A repository with a few committed files, a worktree directory and a manager. */
export async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "worktree_test_" }));
  try {
    const repo = join(tmp, "project");
    await initRepo(repo);
    await write(join(repo, "README.md"), "hello\n");
    await write(join(repo, "src", "app.ts"), APP_TS);
    await write(join(repo, "src", "nested", "keep.txt"), "keep\n");
    await write(join(repo, "docs", "guide.md"), "guide\n");
    await write(join(repo, ".gitignore"), "*.log\n");
    await run(repo, "add", "--all");
    await run(repo, "commit", "--quiet", "-m", "initial");
    const worktreeDir = join(tmp, "worktrees");
    await fn({ repo, worktreeDir, tmp, manager: new WorktreeManager({ worktreeDir }) });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

export async function rejects(
  promise: Promise<unknown>,
  expected: RegExp | string,
): Promise<Error> {
  const error = await promise.then(
    () => assert.fail(`expected an error matching ${expected}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof Error, `not an Error: ${String(error)}`);
  if (typeof expected === "string") assert.equal(error.message, expected);
  else assert.match(error.message, expected);
  return error;
}

export async function head(cwd: string, rev = "HEAD"): Promise<string> {
  return await run(cwd, "rev-parse", rev);
}

export async function porcelain(cwd: string): Promise<string> {
  return await run(cwd, "status", "--porcelain");
}

export async function worktreeList(repo: string): Promise<string[]> {
  const out = await run(repo, "worktree", "list", "--porcelain");
  return out.split("\n").filter((line) => line.startsWith("worktree ")).map((line) =>
    line.slice("worktree ".length)
  );
}

/** Commits `files` in the worktree with plain git, as Codex itself might. */
export async function commitIn(cwd: string, files: Record<string, string>, message: string) {
  for (const [name, text] of Object.entries(files)) await write(join(cwd, name), text);
  await run(cwd, "add", "--all");
  await run(cwd, "commit", "--quiet", "-m", message);
}
