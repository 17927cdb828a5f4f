/**
 * Git repositories for end-to-end tests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const repo = await makeRepo();
 * assert.match(await git(repo, "branch", "--list"), /main/);
 * await Deno.remove(repo, { recursive: true });
 * ```
 * @module
 */

/** Runs git in `cwd`; returns its trimmed stdout, throws with its stderr on failure. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd, stdin: "null" }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** A repository on `main` with `shared.txt` and `sub/keep.txt` committed (real path). */
export async function makeRepo(parent?: string): Promise<string> {
  const repo = parent === undefined
    ? await Deno.realPath(await Deno.makeTempDir({ prefix: "wt-repo-" }))
    : `${parent}/repo`;
  await Deno.mkdir(repo, { recursive: true });
  await git(repo, "init", "-q", "-b", "main");
  await git(repo, "config", "user.email", "test@example.com");
  await git(repo, "config", "user.name", "Test");
  await Deno.writeTextFile(`${repo}/shared.txt`, "line one\n");
  await Deno.mkdir(`${repo}/sub`);
  await Deno.writeTextFile(`${repo}/sub/keep.txt`, "keep\n");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", "initial");
  return repo;
}
