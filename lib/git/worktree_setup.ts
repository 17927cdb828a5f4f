/**
 * The set-up of a task's new worktree before Codex starts in it: a fresh checkout has none of
 * the main checkout's ignored files (`.env`, `node_modules`, build output), so `npm test` fails
 * there. Two steps, both optional, in this order:
 *
 * 1. `copy_ignored`: globs of the main checkout's git-ignored files (as `git ls-files --others
 *    --ignored --exclude-standard` lists them, relative to the repository root) are copied into
 *    the worktree by the server. A glob that names a directory copies everything under it
 *    (`node_modules`); `*` does not match a leading dot (`.env` must be named). Absolute globs and
 *    `..` are refused. A glob that matches no ignored file is a warning (in the task's log and
 *    `meta.setup.unmatched`), not an error: an optional `.env.local` may be absent. No directory
 *    on either side may be a symlink (the worktree's come from the task's base commit, which may
 *    point one anywhere): such a file fails the set-up, naming it, and nothing is written outside
 *    the worktree (the server has no sandbox).
 * 2. `setup`: a shell command (the call's, else the session's `--worktree-setup`; `""`: none)
 *    run in the task's cwd inside its sandbox and time limit (the engine's `#runCommand`). A
 *    non-zero exit ends the task `failed`, before any model call, with the command, its exit code
 *    and the end of its output in `meta.setup`.
 *
 * Neither runs for a task without a worktree or for a reply that continues in its thread's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Logger } from "../base/log.ts";
 *
 * const plan = { setup: "npm ci" }; // checked by lib/request/setup_check.ts
 * const worktree = {
 *   repoRoot: "/src/app",
 *   path: "/wt/app-1a2b3c4d/abc",
 *   branch: "codex-swarm/abc",
 *   baseRef: "main",
 *   baseCommit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
 *   cwd: "/wt/app-1a2b3c4d/abc",
 * };
 * const { record, failure } = await setUpWorktree(worktree, plan, {
 *   // The engine runs it in the task's sandbox and time limit:
 *   // runSandboxed(server, { command, cwd, sandbox, timeoutMs: null }).
 *   run: (command) =>
 *     Promise.resolve({
 *       command,
 *       exitCode: 1,
 *       tail: "npm ERR! missing package-lock.json",
 *       timedOut: false,
 *       cancelled: false,
 *       durationMs: 5,
 *     }),
 *   step: () => {},
 *   log: new Logger({ level: "error", file: null, stderr: () => {} }),
 *   taskId: "abc",
 * });
 * assert.equal(record.exitCode, 1);
 * assert.match(failure ?? "", /npm ci/); // the task fails before any model call, saying why
 * ```
 * @module
 */

import { dirname, join, matchesGlob } from "node:path";
import { type CommandOutcome, describeOutcome } from "../codex/sandboxed_command.ts";
import { git } from "./git.ts";
import type { Logger } from "../base/log.ts";
import type { WorktreeInfo } from "./worktree.ts";
import { messageOf } from "../base/errors.ts";

/** What a task's set-up does: a command, ignored files to copy (see the module doc). */
export interface SetupPlan {
  /** The shell command run in the new worktree before Codex starts. */
  setup?: string;
  /** Globs of the main checkout's ignored files to copy into the new worktree. */
  copyIgnored?: string[];
}

/** What the set-up of a new worktree did (see lib/git/worktree_setup.ts). */
export interface SetupRecord {
  /** The set-up command, or null when only files were copied. */
  command: string | null;
  /** Its exit code (137 when cancel or the time limit stopped it), once it ended. */
  exitCode?: number;
  /** The end of its output (stderr joined into stdout). */
  tail?: string;
  durationMs?: number;
  /** How many ignored files of the main checkout were copied (`copy_ignored`). */
  copied?: number;
  /** `copy_ignored` patterns that matched no ignored file (a warning, not an error). */
  unmatched?: string[];
}

/** A `copy_ignored` glob as matched: no `./` in front, no `/` at the end. */
export function normalizePattern(pattern: string): string {
  return pattern.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
}

/** Whether a set-up plan has anything to do. */
export function hasSetup(plan: SetupPlan): boolean {
  return plan.setup !== undefined || (plan.copyIgnored?.length ?? 0) > 0;
}

/** The git-ignored files of a checkout, relative to its root (`/` separators). */
export async function listIgnored(root: string): Promise<string[]> {
  const out = await git(
    ["ls-files", "-z", "--others", "--ignored", "--exclude-standard"],
    { cwd: root, timeoutMs: 60_000 },
  );
  // An ignored nested repository is listed as a directory: it is not copied.
  return out.split("\0").filter((path) => path !== "" && !path.endsWith("/"));
}

/** Whether `path` or one of its parent directories matches `pattern`. */
function matches(path: string, pattern: string): boolean {
  for (let at = path; at !== "." && at !== "/"; at = dirname(at)) {
    if (matchesGlob(at, pattern)) return true;
  }
  return false;
}

/** The files that match any of `patterns`, and the patterns that match none. */
export function selectFiles(
  files: readonly string[],
  patterns: readonly string[],
): { selected: string[]; unmatched: string[] } {
  const globs = patterns.map(normalizePattern);
  const used = new Set<number>();
  const selected = files.filter((file) => {
    const hits = globs.flatMap((glob, i) => matches(file, glob) ? [i] : []);
    hits.forEach((i) => used.add(i));
    return hits.length > 0;
  });
  return { selected, unmatched: patterns.filter((_, i) => !used.has(i)) };
}

/** One side of a copy: the main checkout (read) or the worktree (written). */
export interface Side {
  root: string;
  /** Where the side is, for messages: "in the main checkout", "in the worktree". */
  where: string;
  /** Whether missing directories are made (the worktree's). */
  create: boolean;
  /** Directories (relative) already found to be real directories. */
  checked: Set<string>;
}

/**
 * The segments of a path as git lists it (relative, `/` between segments).
 * @throws {Error} Naming the path when a segment is empty, `.` or `..`: such a path could leave
 * the checkout.
 */
export function pathSegments(path: string): string[] {
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new Error(
      `Cannot copy the ignored file ${JSON.stringify(path)} as its path has an empty, "." or ` +
        `".." segment: copy_ignored copies only inside the checkout`,
    );
  }
  return segments;
}

/** The lstat of `path`, or null when nothing is there. */
function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  return Deno.lstat(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
}

/**
 * Checks that each directory of `dirs` below `side.root` is a real directory, never a symlink,
 * making missing ones on the worktree's side one level at a time (`mkdir -p` would follow a
 * symlink a commit put there).
 * @throws {Error} Naming `file`, the directory and why.
 */
async function realDirectories(side: Side, dirs: string[], file: string): Promise<void> {
  for (let i = 1; i <= dirs.length; i++) {
    const rel = dirs.slice(0, i).join("/");
    if (side.checked.has(rel)) continue;
    const path = join(side.root, ...dirs.slice(0, i));
    let info = await lstatOrNull(path);
    if (info === null && side.create) {
      await Deno.mkdir(path).catch((error) => {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      });
      info = await lstatOrNull(path);
    }
    const problem = info === null
      ? "is missing"
      : info.isSymlink
      ? "is a symlink"
      : info.isDirectory
      ? null
      : "is not a directory";
    if (problem !== null) {
      throw new Error(
        `Cannot copy the ignored file ${file} into the worktree as ${rel} ${problem} ` +
          `${side.where}: copy_ignored never follows a symlink nor writes outside the worktree`,
      );
    }
    side.checked.add(rel);
  }
}

/** An ignored file of the main checkout, checked for a copy (see {@link sourceFile}). */
export interface SourceFile {
  /** Relative, as git lists it (`/` between segments). */
  path: string;
  /** Its path in the main checkout. */
  source: string;
  /** Its lstat: a file or a symlink. */
  info: Deno.FileInfo;
}

/** The main checkout's side of a copy from `root` (for {@link sourceFile}). */
export function sourceSide(root: string): Side {
  return { root, where: "in the main checkout", create: false, checked: new Set() };
}

/**
 * Checks an ignored file of the main checkout for a copy: no `..` in its path, no directory of
 * it a symlink, itself a file or a symlink.
 * @throws {Error} Naming the file and why.
 */
export async function sourceFile(path: string, from: Side): Promise<SourceFile> {
  const segments = pathSegments(path);
  await realDirectories(from, segments.slice(0, -1), path);
  const source = join(from.root, ...segments);
  const info = await Deno.lstat(source);
  if (!info.isFile && !info.isSymlink) {
    throw new Error(
      `Cannot copy the ignored file ${path} into the worktree as it is neither a file nor a ` +
        `symlink ${from.where}`,
    );
  }
  return { path, source, info };
}

/**
 * Copies one file (or symlink, as a symlink) unless the destination exists; its mode is kept.
 * No directory on either side may be a symlink.
 */
async function copyOne(path: string, from: Side, to: Side): Promise<boolean> {
  const { source, info } = await sourceFile(path, from);
  const segments = pathSegments(path);
  await realDirectories(to, segments.slice(0, -1), path);
  const target = join(to.root, ...segments);
  if (await lstatOrNull(target) !== null) return false;
  if (info.isSymlink) {
    await Deno.symlink(await Deno.readLink(source), target);
  } else {
    await Deno.copyFile(source, target);
  }
  return true;
}

/** How many copies run at once. */
const COPY_PARALLEL = 16;

/**
 * Copies `paths` (relative, as git lists them) from the checkout at `from` to the same paths
 * under `to`. Files that exist there are left alone. It never follows a symlink in a directory
 * of either side (the worktree's come from the task's base commit, which may put one anywhere).
 * @returns How many files were copied.
 * @throws {Error} Naming the first file that cannot be copied and why.
 */
export async function copyFiles(from: string, to: string, paths: readonly string[]) {
  const source = sourceSide(from);
  const target: Side = { root: to, where: "in the worktree", create: true, checked: new Set() };
  let copied = 0;
  for (let i = 0; i < paths.length; i += COPY_PARALLEL) {
    const batch = paths.slice(i, i + COPY_PARALLEL);
    const done = await Promise.all(batch.map((path) => copyOne(path, source, target)));
    copied += done.filter(Boolean).length;
  }
  return copied;
}

/** What {@link setUpWorktree} needs from the engine. */
export interface SetupHost {
  /** Runs a shell command in the task's cwd, sandbox and time limit. */
  run(command: string): Promise<CommandOutcome>;
  /**
   * Copies the chosen ignored files (relative paths) of the main checkout at `from` where the task
   * runs, and returns how many were copied: {@link copyFiles} into the worktree by default, the
   * worker's copy of it for a task on a worker.
   */
  copyFiles?(from: string, paths: readonly string[]): Promise<number>;
  /** Shows a step of the task (its live view). */
  step(text: string): void;
  log: Logger;
  /** The task's id, for the log. */
  taskId: string;
}

/** The last `n` non-empty lines of `text`, joined with ` | `. */
function lastLines(text: string, n: number): string {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).slice(-n).join(" | ");
}

/**
 * Sets up a new worktree: copies the chosen ignored files, then runs the set-up command.
 * @returns What was done (for `meta.setup`) and why the task must fail, or null. A command
 * stopped by cancel or the time limit is no failure of its own: the engine's flags say what
 * happened.
 */
export async function setUpWorktree(
  worktree: WorktreeInfo,
  plan: SetupPlan,
  host: SetupHost,
): Promise<{ record: SetupRecord; failure: string | null }> {
  const record: SetupRecord = { command: plan.setup ?? null };
  if (plan.copyIgnored !== undefined && plan.copyIgnored.length > 0) {
    host.step(`Copying ignored files: ${plan.copyIgnored.join(", ")}`);
    try {
      const from = worktree.repoRoot;
      const { selected, unmatched } = selectFiles(await listIgnored(from), plan.copyIgnored);
      record.copied = await (host.copyFiles?.(from, selected) ??
        copyFiles(from, worktree.path, selected));
      record.unmatched = unmatched;
    } catch (error) {
      return {
        record,
        failure: `Cannot copy the ignored files of ${worktree.repoRoot} into the worktree: ${
          messageOf(error)
        }`,
      };
    }
    if (record.unmatched!.length > 0) {
      host.log.warning(
        `Task ${host.taskId}: copy_ignored matched no ignored file: ${
          record.unmatched!.join(", ")
        }`,
      );
    }
  }
  if (plan.setup === undefined) return { record, failure: null };
  host.step(`Running worktree set-up: ${plan.setup}`);
  let outcome: CommandOutcome;
  try {
    outcome = await host.run(plan.setup);
  } catch (error) {
    return {
      record,
      failure: `Cannot run the worktree set-up ${JSON.stringify(plan.setup)}: ${messageOf(error)}`,
    };
  }
  record.exitCode = outcome.exitCode;
  record.tail = outcome.tail;
  record.durationMs = outcome.durationMs;
  if (outcome.exitCode === 0 || outcome.cancelled || outcome.timedOut) {
    return { record, failure: null };
  }
  const tail = lastLines(outcome.tail, 3);
  return {
    record,
    failure: `The worktree set-up ${describeOutcome(outcome)} before Codex started` +
      (tail ? `: ${tail}` : " with no output") + " (its output's end is in setup.tail)",
  };
}
