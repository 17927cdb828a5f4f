/**
 * `copy_ignored` for a task on a worker: the chosen ignored files of the main checkout go into the
 * task's worktree on the worker, through the second channel (`fs/writeFile`), with the rules of a
 * local copy (../git/worktree_setup.ts): no directory on either side may be a symlink (the
 * worker's worktree comes from the task's base commit, which may point one anywhere there), a
 * file already there is left alone, modes and symlinks are kept.
 *
 * Three steps: one script checks (and makes, one level at a time) the directories on the worker
 * and lists the files already there; the files are written, several at a time; one script makes
 * the symlinks and sets the modes. Nothing else acts in the worktree meanwhile: the copy runs
 * before the set-up command and the turn.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a connected exec-server
 * const copied = await copyIgnoredToWorker(channel, "/src/app", remote.path, [".env"]);
 * ```
 * @module
 */

import { join } from "node:path";
import { pathSegments, type SourceFile, sourceFile, sourceSide } from "../git/worktree_setup.ts";
import { putFile, remoteScript, shQuote, type WorkspaceChannel } from "./remote_workspace.ts";

/**
 * How many files are written at once: each `fs/writeFile` takes the exec-server about 45 ms
 * (Codex 0.169 on loopback, 2 cores), and they overlap well (200 files of 1 KB: 9 s one at a
 * time, 2.2 s eight at a time, 0.7 s 32 at a time).
 */
const WRITE_PARALLEL = 32;

/** The `sh` function that checks or makes one directory of a file's path (see {@link prepareLines}). */
const CHECK_DIR = [
  "checkdir() {",
  '  if [ -L "$1" ]; then why="is a symlink"',
  '  elif [ -e "$1" ] && [ ! -d "$1" ]; then why="is not a directory"',
  '  else [ -d "$1" ] || mkdir "$1"; return 0; fi',
  '  echo "Cannot copy the ignored file $2 into the worktree as $1 $why on the worker:' +
  ' copy_ignored never follows a symlink nor writes outside the worktree" >&2',
  "  exit 3",
  "}",
  'there() { if [ -e "$1" ] || [ -L "$1" ]; then printf "%s\\0" "$1"; fi; }',
];

/**
 * The script run in the worktree on the worker before the files go: it checks each directory the
 * files need (parents first, each once), makes the missing ones, and prints (NUL after each) the
 * files already there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(prepareLines(["a/b/c.txt"]).slice(-3), [
 *   "checkdir 'a' 'a/b/c.txt'",
 *   "checkdir 'a/b' 'a/b/c.txt'",
 *   "there 'a/b/c.txt'",
 * ]);
 * ```
 */
export function prepareLines(paths: readonly string[]): string[] {
  const lines = [...CHECK_DIR];
  const seen = new Set<string>();
  for (const path of paths) {
    const dirs = pathSegments(path).slice(0, -1);
    for (let i = 1; i <= dirs.length; i++) {
      const dir = dirs.slice(0, i).join("/");
      if (seen.has(dir)) continue;
      seen.add(dir);
      lines.push(`checkdir ${shQuote(dir)} ${shQuote(path)}`);
    }
  }
  for (const path of paths) lines.push(`there ${shQuote(path)}`);
  return lines;
}

/** The script that makes the symlinks and sets the modes of the files written. */
async function finishLines(files: readonly SourceFile[]): Promise<string[]> {
  const lines: string[] = [];
  for (const file of files) {
    const path = shQuote(file.path);
    if (file.info.isSymlink) {
      lines.push(`ln -s ${shQuote(await Deno.readLink(file.source))} ${path}`);
    } else if (file.info.mode !== null) {
      lines.push(`chmod ${(file.info.mode & 0o7777).toString(8)} ${path}`);
    }
  }
  return lines;
}

/**
 * Copies the ignored files `paths` (relative, as git lists them) of the main checkout at `from`
 * to the same paths under `root`, the task's worktree on the worker.
 * @returns How many were copied (those already there are left alone).
 * @throws {Error} Naming the first file that cannot be copied and why.
 */
export async function copyIgnoredToWorker(
  channel: WorkspaceChannel,
  from: string,
  root: string,
  paths: readonly string[],
): Promise<number> {
  const side = sourceSide(from);
  const sources: SourceFile[] = [];
  for (const path of paths) sources.push(await sourceFile(path, side));
  if (sources.length === 0) return 0;
  const what = "copy the ignored files into the task's worktree";
  const there = new Set(
    (await remoteScript(channel, what, prepareLines(paths), root)).split("\0"),
  );
  const missing = sources.filter((file) => !there.has(file.path));
  const files = missing.filter((file) => file.info.isFile);
  // A few writers take the next file as each is done: a large one holds up only its writer.
  let next = 0;
  const writer = async () => {
    for (let file = files[next++]; file !== undefined; file = files[next++]) {
      await putFile(channel, join(root, file.path), await Deno.readFile(file.source))
        .catch((error) => {
          next = files.length; // the others stop: the copy failed
          throw error;
        });
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_PARALLEL, files.length) }, writer));
  const finish = await finishLines(missing);
  if (finish.length > 0) await remoteScript(channel, what, finish, root);
  return missing.length;
}
