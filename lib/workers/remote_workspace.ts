/**
 * A task's workspace on a worker, made and brought back with git only, through the worker's second
 * channel (the exec-server's `process/*` and `fs/*`, see docs/workers.md). The worker needs git
 * and nothing of the repository: codex-swarm ships what it lacks.
 *
 * On the worker, under its root `<exec-server cwd>/.codex-swarm`:
 * - `repos/<repo key>.git`: a bare cache per repository. The first task ships its base commit's
 *   whole history as a git bundle; later ones ship a bundle with the commits the cache already
 *   holds as prerequisites (the refs `refs/codex-swarm/shipped/<commit>`), or nothing when the
 *   cache has the commit.
 * - `worktrees/<repo key>/<task id>`: the task's worktree on branch `codex-swarm/<task id>`; the
 *   task runs at the same subdirectory as its local worktree's cwd.
 * - `bundles/`: bundles on their way, removed once read.
 *
 * When the task ends, {@link bringBack} commits what it wrote there and reads its branch back as a
 * bundle into the local repository: the local worktree (same branch) is moved to that commit, so
 * the task's branch `codex-swarm/<task id>` holds the work as for a local task.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a running exec-server
 * const remote = await shipWorkspace(channel, localWorktree);
 * // ... the task runs in remote.cwd on the worker ...
 * const head = await bringBack(channel, remote, localWorktree, "codex-swarm: task x");
 * ```
 * @module
 */

import { basename, dirname, join, relative } from "node:path";
import { git, runGit } from "../git/git.ts";
import { FIXED_CONFIG } from "../git/git_hardening.ts";
import type { WorktreeInfo } from "../git/worktree.ts";
import type { ExecServerClient } from "./exec_server_client.ts";

/** What a workspace needs of a worker's second channel. */
export type WorkspaceChannel = Pick<
  ExecServerClient,
  "info" | "run" | "writeFile" | "createDirectory" | "remove"
>;

/** A task's worktree on a worker. Plain JSON: recorded with the task. */
export interface RemoteWorkspace {
  /** The worker's bare cache of the repository. */
  cache: string;
  /** The task's worktree there. */
  path: string;
  /** Where the task runs there: the same subdirectory as its local worktree's cwd. */
  cwd: string;
  /** The commit the remote branch started from (the local branch's head when shipped). */
  startCommit: string;
}

/** The ref prefix that marks, in a worker's cache, the commits shipped to it. */
const SHIPPED = "refs/codex-swarm/shipped/";

/**
 * What git on a worker gets on top of the exec-server's environment (whose PATH finds git): HOME
 * at codex-swarm's own root and no system config, so no git config of the worker's users applies.
 */
function gitEnv(root: string): Record<string, string> {
  return { HOME: root, LANG: "C", GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" };
}

/** codex-swarm's root on a worker. */
export function workerRoot(channel: Pick<WorkspaceChannel, "info">): string {
  return join(channel.info.cwd, ".codex-swarm");
}

/** Where the workspace of `info`'s task goes on a worker whose root is `root`. */
export function remotePaths(
  root: string,
  info: WorktreeInfo,
): Omit<RemoteWorkspace, "startCommit"> {
  // The local worktree's directory name: `<repo name>-<hash of the repository root>`.
  const key = basename(dirname(info.path));
  const path = join(root, "worktrees", key, basename(info.path));
  return {
    cache: join(root, "repos", `${key}.git`),
    path,
    cwd: join(path, relative(info.path, info.cwd)),
  };
}

/** `value` quoted for `sh`. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A `sh` line running git with `args`, hardened as locally (no hooks, drivers or transports). */
export function gitLine(args: string[]): string {
  const settings = FIXED_CONFIG.flatMap(([key, value]) => ["-c", `${key}=${value}`]);
  return ["git", "--no-pager", ...settings, ...args].map(shQuote).join(" ");
}

/**
 * The longest script passed as an argument: Linux takes at most 128 KB in one (`MAX_ARG_STRLEN`);
 * a longer one goes on stdin, which costs a file written first.
 */
const ARGUMENT_BYTES = 64 * 1024;

/**
 * Runs a `sh` script (of {@link gitLine}s) on the worker in `cwd`, stopping at the first failure,
 * and returns its stdout. One process per step of a workspace: each costs a round trip.
 * @throws {Error} Naming what failed and git's message.
 */
export async function remoteScript(
  channel: WorkspaceChannel,
  what: string,
  lines: string[],
  cwd: string,
): Promise<string> {
  const script = ["set -e", ...lines].join("\n");
  const bytes = new TextEncoder().encode(script);
  // A long script (a copy of many files) goes on stdin: one argument may hold only 128 KB.
  const long = bytes.length > ARGUMENT_BYTES;
  const result = await channel.run(long ? ["sh", "-s"] : ["sh", "-c", script], {
    cwd,
    env: gitEnv(workerRoot(channel)),
    inheritEnv: true,
    ...(long ? { stdin: bytes } : {}),
  });
  const stdout = new TextDecoder().decode(result.stdout);
  if (result.exitCode !== 0) {
    const stderr = new TextDecoder().decode(result.stderr).trim().slice(-2000);
    throw new Error(
      `Cannot ${what} on the worker in ${cwd}: ${
        stderr || `exit ${result.exitCode ?? result.signal}`
      }`,
    );
  }
  return stdout;
}

/**
 * The most bytes sent to a worker in one `fs/writeFile`: the exec-server drops a connection whose
 * WebSocket message is too large (a 100 MB bundle broke the pipe), and base64 adds a third.
 */
export const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;

/** Writes `data` to `path` on the worker, in parts of {@link WRITE_CHUNK_BYTES} joined there. */
export async function putFile(
  channel: WorkspaceChannel,
  path: string,
  data: Uint8Array,
): Promise<void> {
  if (data.length <= WRITE_CHUNK_BYTES) return await channel.writeFile(path, data);
  const parts: string[] = [];
  for (let at = 0; at < data.length; at += WRITE_CHUNK_BYTES) {
    const part = `${path}.part-${String(parts.length).padStart(6, "0")}`;
    await channel.writeFile(part, data.subarray(at, at + WRITE_CHUNK_BYTES));
    parts.push(part);
  }
  await remoteScript(channel, `join the parts of ${path}`, [
    `cat ${parts.map(shQuote).join(" ")} > ${shQuote(path)}`,
    `rm -f ${parts.map(shQuote).join(" ")}`,
  ], dirname(path));
}

/** Reads `path` on the worker whole (through a process's output, which comes in parts). */
export async function getFile(channel: WorkspaceChannel, path: string): Promise<Uint8Array> {
  const result = await channel.run(["cat", path], { cwd: dirname(path), inheritEnv: true });
  if (result.exitCode !== 0) {
    throw new Error(
      `Cannot read ${path} on the worker: ${new TextDecoder().decode(result.stderr).trim()}`,
    );
  }
  return result.stdout;
}

/** The lines of `text`, without empty ones. */
function linesOf(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/**
 * Makes the worktree of `info`'s task on the worker, shipping what the worker's cache lacks of its
 * branch (a bundle, incremental after the first).
 */
export async function shipWorkspace(
  channel: WorkspaceChannel,
  info: WorktreeInfo,
): Promise<RemoteWorkspace> {
  const root = workerRoot(channel);
  const paths = remotePaths(root, info);
  const startCommit = (await git(["rev-parse", "HEAD"], { cwd: info.path })).trim();
  for (const dir of [paths.cache, join(root, "bundles"), dirname(paths.path)]) {
    await channel.createDirectory(dir);
  }
  const cache = ["-C", paths.cache];
  // No template: the cache gets no sample hooks (nor anything else to copy). Prints "have" when
  // the cache holds the commit, else the commits shipped before.
  const known = linesOf(
    await remoteScript(channel, "look into the repository's cache", [
      gitLine(["init", "--quiet", "--bare", "--template=", paths.cache]),
      `if ${gitLine([...cache, "rev-parse", "--verify", "--quiet", `${startCommit}^{commit}`])} ` +
      `>/dev/null; then echo have; else ${
        gitLine([...cache, "for-each-ref", "--format=%(objectname)", SHIPPED])
      }; fi`,
    ], root),
  );
  const there = join(root, "bundles", `${basename(info.path)}-ship.bundle`);
  const shipped = known[0] === "have" ? false : await shipBundle(channel, there, info, known);
  await remoteScript(channel, "make the task's worktree", [
    ...(shipped
      ? [
        gitLine([...cache, "bundle", "unbundle", there]) + " >/dev/null",
        `rm -f ${shQuote(there)}`,
        gitLine([...cache, "update-ref", `${SHIPPED}${startCommit}`, startCommit]),
      ]
      : []),
    gitLine([...cache, "worktree", "add", "--quiet", "-B", info.branch, paths.path, startCommit]),
  ], root);
  return { ...paths, startCommit };
}

/**
 * Writes to `there` on the worker a bundle of `info.branch` with the `shipped` commits this
 * repository also has as its prerequisites.
 */
async function shipBundle(
  channel: WorkspaceChannel,
  there: string,
  info: WorktreeInfo,
  shipped: string[],
): Promise<true> {
  const local = { cwd: info.repoRoot };
  const known: string[] = [];
  for (const sha of shipped) {
    const has = await runGit(["rev-parse", "--verify", "--quiet", `${sha}^{commit}`], local);
    if (has.code === 0) known.push(sha);
  }
  const bundle = await Deno.makeTempFile({ prefix: "codex-swarm-ship-", suffix: ".bundle" });
  try {
    const tips = [`refs/heads/${info.branch}`, ...known.map((k) => `^${k}`)];
    await git(["bundle", "create", "--quiet", bundle, ...tips], local);
    await putFile(channel, there, await Deno.readFile(bundle));
  } finally {
    await Deno.remove(bundle).catch(() => {});
  }
  return true;
}

/**
 * Commits what the task wrote in its worktree on the worker, and moves the local worktree of
 * `info` (same branch) to that commit, through a bundle read back. Returns the branch's head;
 * a task that wrote nothing leaves both as they were.
 */
export async function bringBack(
  channel: WorkspaceChannel,
  remote: RemoteWorkspace,
  info: WorktreeInfo,
  message: string,
): Promise<string> {
  const localHead = (await git(["rev-parse", "HEAD"], { cwd: info.path })).trim();
  const there = join(workerRoot(channel), "bundles", `${basename(info.path)}-back.bundle`);
  const identity = ["-c", "user.name=codex-swarm", "-c", "user.email=codex-swarm@localhost"];
  const bundle = [
    "-C",
    remote.cache,
    "bundle",
    "create",
    "--quiet",
    there,
    `refs/heads/${info.branch}`,
    `^${remote.startCommit}`,
  ];
  // Commits what is there (if anything), prints the head, and bundles it when it is new here.
  const [head] = linesOf(
    await remoteScript(channel, `commit and bundle branch ${info.branch}`, [
      `if [ -n "$(${gitLine(["status", "--porcelain", "--untracked-files=all"])})" ]; then`,
      gitLine(["add", "--all"]),
      gitLine([...identity, "commit", "--quiet", "--no-verify", "-m", message]),
      "fi",
      `head=$(${gitLine(["rev-parse", "HEAD"])})`,
      'echo "$head"',
      `if [ "$head" != ${shQuote(localHead)} ]; then ${gitLine(bundle)}; fi`,
    ], remote.path),
  );
  if (head === undefined || head === localHead) return localHead;
  const file = await Deno.makeTempFile({ prefix: "codex-swarm-back-", suffix: ".bundle" });
  try {
    await Deno.writeFile(file, await getFile(channel, there));
    await git(["bundle", "unbundle", file], { cwd: info.repoRoot });
    await fastForward(info, localHead, head);
  } finally {
    await channel.remove(there).catch(() => {});
    await Deno.remove(file).catch(() => {});
  }
  return head;
}

/** Moves the local worktree to `head`, which must descend from what it holds (nothing is lost). */
async function fastForward(info: WorktreeInfo, from: string, head: string): Promise<void> {
  const local = { cwd: info.path };
  const ancestor = await runGit(["merge-base", "--is-ancestor", from, head], local);
  if (ancestor.code !== 0) {
    throw new Error(
      `Cannot bring back branch ${info.branch} from the worker as the local branch moved on ` +
        `(${from.slice(0, 12)} is not in the worker's ${head.slice(0, 12)}): path is ${info.path}`,
    );
  }
  const dirty = await git(["status", "--porcelain", "--untracked-files=all"], local);
  if (dirty.trim() !== "") {
    throw new Error(
      `Cannot bring back branch ${info.branch} from the worker as the local worktree has ` +
        `uncommitted changes: path is ${info.path}`,
    );
  }
  await git(["reset", "--quiet", "--hard", head], local);
}

/**
 * Puts the worktree on the worker back to its branch's commit, as `WorktreeManager.dropUncommitted`
 * does locally (ignored files stay): what a check left is not the task's work. Returns what went.
 */
export async function dropRemoteLeftovers(
  channel: WorkspaceChannel,
  remote: RemoteWorkspace,
): Promise<string[]> {
  const status = await remoteScript(channel, "drop what the check left", [
    gitLine(["status", "--porcelain", "--untracked-files=all"]),
    gitLine(["reset", "--hard", "--quiet"]),
    gitLine(["clean", "-d", "--force", "--quiet"]),
  ], remote.path);
  return linesOf(status).map((line) => line.slice(3));
}

/**
 * How many shipped base commits a worker's cache keeps as prerequisites for the next bundle: older
 * ones go at a sweep, and their objects with them unless a worktree there still holds them.
 */
export const SHIPPED_KEPT = 8;

/** Forgets all but the newest {@link SHIPPED_KEPT} shipped commits of a cache, and drops what nothing holds. */
export async function pruneCache(channel: WorkspaceChannel, cache: string): Promise<void> {
  const list = ["for-each-ref", "--sort=-committerdate", "--format=%(refname)", SHIPPED];
  await remoteScript(channel, "prune the repository's cache", [
    `${gitLine(list)} | tail -n +${SHIPPED_KEPT + 1} | while read -r ref; do ` +
    `${gitLine(["update-ref", "-d"])} "$ref"; done`,
    gitLine(["worktree", "prune"]),
    gitLine(["gc", "--quiet", "--prune=now"]),
  ], cache);
}

/** Removes the task's worktree and branch from the worker (the cache keeps the commits). */
export async function removeRemoteWorkspace(
  channel: WorkspaceChannel,
  remote: RemoteWorkspace,
  branch: string,
): Promise<void> {
  await remoteScript(channel, "remove the task's worktree", [
    `${gitLine(["worktree", "remove", "--force", remote.path])} || rm -rf ${shQuote(remote.path)}`,
    gitLine(["worktree", "prune"]),
    `${gitLine(["branch", "--quiet", "-D", branch])} || true`,
  ], remote.cache);
}
