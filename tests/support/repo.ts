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

/**
 * What a user's checkout holds besides its commits: HEAD, branch, status (ignored files too) and
 * the content of `files` (its own `.env`, notes), to compare before and after a merge.
 */
export async function checkoutState(repo: string, files: string[]) {
  return {
    head: await git(repo, "rev-parse", "HEAD"),
    branch: await git(repo, "symbolic-ref", "--short", "HEAD"),
    status: await git(repo, "status", "--porcelain", "--ignored"),
    files: await Promise.all(files.map((file) => Deno.readTextFile(`${repo}/${file}`))),
  };
}

/**
 * A repository made by {@link makeRepo} in `parent`, with `initial` files committed on `main`,
 * then a branch `codex-swarm/<name>` per entry of `branches`, each one commit from that base
 * writing its files; `main` checked out at the end.
 */
export async function repoWithBranches(
  parent: string,
  branches: Record<string, Record<string, string>>,
  initial: Record<string, string> = {},
): Promise<{ repo: string; base: string }> {
  const repo = await makeRepo(parent);
  const commit = async (files: Record<string, string>, message: string) => {
    for (const [file, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${repo}/${file}`, text);
    }
    await git(repo, "add", "--all");
    await git(repo, "commit", "-q", "-m", message);
  };
  await commit(initial, "initial files");
  const base = await git(repo, "rev-parse", "HEAD");
  for (const [name, files] of Object.entries(branches)) {
    await git(repo, "checkout", "-q", "-b", `codex-swarm/${name}`, base);
    await commit(files, name);
  }
  await git(repo, "checkout", "-q", "main");
  return { repo, base };
}
