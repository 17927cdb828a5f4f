/**
 * Git worktrees for Codex tasks: each task works on its own branch `codex-swarm/<taskId>` in its
 * own checkout, so parallel tasks never touch each other's files or the main checkout.
 *
 * A {@linkcode WorktreeManager} creates the worktree from the repository's HEAD (or a base ref),
 * commits everything the task changed on its branch, summarises and shows the diff, merges the
 * branch into the main checkout, and removes worktrees and branches. Operations that change a
 * repository (worktree list, refs, the main checkout) are serialised per repository inside the
 * manager; different repositories proceed in parallel. {@linkcode WorktreeInfo} is plain JSON, so
 * it can be stored with a task and used again after a restart.
 *
 * @example
 * ```ts
 * import { WorktreeManager } from "./worktree.ts";
 *
 * const worktrees = new WorktreeManager({ worktreeDir: "/var/tmp/codex-swarm/worktrees" });
 * const info = await worktrees.create("fix-readme", "/src/project");
 * // ... run Codex with `cwd: info.cwd` ...
 * await worktrees.commitAll(info, "codex-swarm: fix-readme");
 * console.log(await worktrees.diffSummary(info));
 * const result = await worktrees.merge(info);
 * if (result.merged) await worktrees.discard(info);
 * ```
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { commitIdentityArgs, git, GitError, type GitOptions, runGit } from "./git.ts";
import {
  batches,
  literalPathspec,
  parentPaths,
  PATHSPEC_BATCH,
  untrackedRefusal,
} from "./merge_safety.ts";
import { KeyedLock } from "../base/keyed_lock.ts";

/** Every task branch is named `codex-swarm/<taskId>`. */
export const BRANCH_PREFIX = "codex-swarm/";

/** Default {@linkcode DiffOptions.maxBytes}: 1 MB of patch. */
export const DEFAULT_DIFF_MAX_BYTES = 1_000_000;

/** Default {@linkcode WorktreeManagerOptions.timeoutMs}: 5 minutes (checkouts can be large). */
export const DEFAULT_WORKTREE_TIMEOUT_MS = 300_000;

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Where a task's worktree lives. Plain JSON: store it with the task, read it back later. */
export interface WorktreeInfo {
  /** Top level of the main checkout the worktree was created from. */
  repoRoot: string;
  /** The worktree: `<worktreeDir>/<repo-name>-<hash8 of repoRoot>/<taskId>`. */
  path: string;
  /** The task's branch: `codex-swarm/<taskId>`. */
  branch: string;
  /** The base as given, or the main checkout's branch name (`HEAD` when detached). */
  baseRef: string;
  /** The commit the branch started from; diffs are taken against it. */
  baseCommit: string;
  /** The caller's cwd mapped into the worktree (same subdirectory). */
  cwd: string;
}

/** A repository's top level and a directory's place inside it. */
export interface RepoLocation {
  /**
   * Top level of the repository's main checkout (real path). For a directory inside a linked
   * worktree (another task's, or one of the user's), the main checkout's, not the worktree's.
   */
  root: string;
  /** The directory relative to its checkout's top level, with `/` separators; `""` at the top. */
  subdir: string;
  /** The linked worktree the directory is in (real path), when it is not the main checkout. */
  linked?: string;
}

/** What {@linkcode WorktreeManager.commitAll} did. */
export interface CommitResult {
  /**
   * The branch head when the branch holds commits past `baseCommit` (made now or by Codex itself);
   * `null` when the task changed nothing. No empty commit is ever made.
   */
  commit: string | null;
  /** True when this call made a commit. */
  created: boolean;
}

/** One changed file in a {@linkcode DiffSummary}. */
export interface FileChange {
  /** Path in the branch (the new path of a rename). */
  path: string;
  /** The old path, for a rename. */
  oldPath?: string;
  /** Lines added; 0 for a binary file. */
  insertions: number;
  /** Lines removed; 0 for a binary file. */
  deletions: number;
  /** True for a binary file. */
  binary: boolean;
}

/** Files changed on a task branch since its base, with line counts. */
export interface DiffSummary {
  /** Changed files, in git's order. */
  files: FileChange[];
  /** Total lines added. */
  insertions: number;
  /** Total lines removed. */
  deletions: number;
}

/** Options for {@linkcode WorktreeManager.diff}. */
export interface DiffOptions {
  /** Longest patch returned, in bytes. Default {@linkcode DEFAULT_DIFF_MAX_BYTES}. */
  maxBytes?: number;
}

/** A task branch's patch against its base. */
export interface DiffResult {
  /** Unified diff, cut at a line end when too long. */
  patch: string;
  /** True when the patch was cut at {@linkcode DiffOptions.maxBytes}. */
  truncated: boolean;
}

/** Outcome of {@linkcode WorktreeManager.merge}. */
export type MergeResult =
  | {
    /** The branch was merged (or was already). */
    merged: true;
    /** The target branch's head after the merge. */
    commit: string;
    /** The branch merged into. */
    target: string;
  }
  | {
    /** The merge conflicted and was aborted; the main checkout is as it was. */
    merged: false;
    /** Files that conflicted, relative to the repository root. */
    conflicts: string[];
    /** The branch that was to be merged into. */
    target: string;
  }
  | {
    /** There was nothing to merge; nothing was done. */
    merged: false;
    /** Why: the task branch holds no commit past its base, or the target already contains it. */
    nothing: string;
    /** The branch that was to be merged into. */
    target: string;
  };

/** Whether a task's worktree directory and branch are still there. */
export interface WorktreeState {
  /** The worktree directory exists and is a checkout. */
  worktree: boolean;
  /** The branch `codex-swarm/<taskId>` exists. */
  branch: boolean;
}

/** Options for {@linkcode WorktreeManager}. */
export interface WorktreeManagerOptions {
  /** Directory that holds all worktrees, one subdirectory per repository. */
  worktreeDir: string;
  /** Timeout of each git command. Default {@linkcode DEFAULT_WORKTREE_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Extra environment for every git command. */
  env?: Record<string, string>;
}

/**
 * The branch of a task: `codex-swarm/<taskId>`.
 *
 * @example
 * ```ts
 * import { branchName } from "./worktree.ts";
 *
 * branchName("abc"); // "codex-swarm/abc"
 * ```
 */
export function branchName(taskId: string): string {
  return `${BRANCH_PREFIX}${taskId}`;
}

/**
 * Whether `value` has the shape of a {@linkcode WorktreeInfo}, e.g. after `JSON.parse`.
 *
 * @example
 * ```ts
 * import { isWorktreeInfo } from "./worktree.ts";
 *
 * const saved: unknown = JSON.parse('{"repoRoot":"/r"}');
 * isWorktreeInfo(saved); // false
 * ```
 */
export function isWorktreeInfo(value: unknown): value is WorktreeInfo {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  const fields = ["repoRoot", "path", "branch", "baseRef", "baseCommit", "cwd"];
  if (!fields.every((field) => typeof record[field] === "string")) return false;
  const branch = record.branch as string;
  return branch.startsWith(BRANCH_PREFIX) && TASK_ID.test(branch.slice(BRANCH_PREFIX.length)) &&
    isAbsolute(record.repoRoot as string) && isAbsolute(record.path as string);
}

/** The options and range shared by the task-branch diffs: base commit to tip, renames found. */
function diffRange(info: WorktreeInfo, tip: string, since = info.baseCommit): string[] {
  return ["--find-renames", "--no-ext-diff", "--no-color", since, tip, "--"];
}

/**
 * Creates, commits, diffs, merges and removes the git worktrees of Codex tasks.
 *
 * Holds one promise-chain lock per repository (keyed by the real path of its git directory, so
 * linked checkouts of one repository share it); create one manager and share it.
 *
 * @example
 * ```ts
 * import { WorktreeManager } from "./worktree.ts";
 *
 * const worktrees = new WorktreeManager({ worktreeDir: "/tmp/worktrees" });
 * const info = await worktrees.create("task-1", ".", "main");
 * await worktrees.discard(info);
 * ```
 */
export class WorktreeManager {
  /** Absolute directory holding all worktrees. */
  readonly worktreeDir: string;
  readonly #timeoutMs: number;
  readonly #env: Record<string, string> | undefined;
  readonly #repoLocks = new KeyedLock();
  /** Serializes what acts on one worktree across clients (see {@link withWorktreeLock}). */
  readonly #worktreeLocks = new KeyedLock();

  /** Creates a manager that puts worktrees under `opts.worktreeDir`. */
  constructor(opts: WorktreeManagerOptions) {
    this.worktreeDir = resolve(opts.worktreeDir);
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_WORKTREE_TIMEOUT_MS;
    this.#env = opts.env;
  }

  /**
   * The top level of the repository containing `cwd`, and `cwd` relative to it.
   *
   * Throws when `cwd` does not exist, is not inside a git checkout, or the repository has no
   * commits yet.
   */
  async resolveRepo(cwd: string): Promise<RepoLocation> {
    const dir = resolve(cwd);
    if (!(await isDirectory(dir))) {
      throw new Error(`Cannot use a worktree for "${dir}" as the directory does not exist`);
    }
    const opts = this.#opts(dir);
    const inside = await runGit(["rev-parse", "--is-inside-work-tree"], opts);
    if (inside.code !== 0) {
      throw new Error(
        `Cannot use a worktree for "${dir}" as it is not inside a git repository${
          gitSays(inside.stderr)
        }`,
      );
    }
    if (inside.stdout.trim() !== "true") {
      throw new Error(
        `Cannot use a worktree for "${dir}" as it is not inside a checkout (a bare repository or a .git directory)`,
      );
    }
    const [top = "", prefix = "", common = ""] =
      (await git(["rev-parse", "--show-toplevel", "--show-prefix", "--git-common-dir"], opts))
        .split("\n");
    const checkout = await Deno.realPath(top);
    // A linked worktree's common git directory is the main checkout's `.git`: the repository is
    // that checkout's, so a worktree made here is the repository's, not the linked one's.
    const commonDir = await Deno.realPath(resolve(dir, common)).catch(() => null);
    const main = commonDir !== null && basename(commonDir) === ".git" ? dirname(commonDir) : null;
    const root = main !== null && main !== checkout ? main : checkout;
    const head = await runGit(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], opts);
    if (head.code !== 0) {
      throw new Error(
        `Cannot use a worktree for "${dir}" as repository ${root} has no commits yet (no HEAD)`,
      );
    }
    return {
      root,
      subdir: prefix.replace(/\/+$/, ""),
      ...(root !== checkout ? { linked: checkout } : {}),
    };
  }

  /**
   * Where the worktree of `taskId` for the repository at `repoRoot` lives:
   * `<worktreeDir>/<repo-name>-<first 8 hex of sha256(repoRoot)>/<taskId>`.
   */
  worktreePath(repoRoot: string, taskId: string): string {
    const name = basename(repoRoot).replace(/[^A-Za-z0-9._-]/g, "_") || "repo";
    const hash = createHash("sha256").update(repoRoot).digest("hex").slice(0, 8);
    return join(this.worktreeDir, `${name}-${hash}`, taskId);
  }

  /**
   * Creates the worktree of `taskId` on a new branch `codex-swarm/<taskId>` from `base` (default:
   * the repository's HEAD), for the repository containing `cwd`.
   *
   * Throws when the task id is not usable in a branch name, `base` is not a commit, the branch
   * already exists or the worktree path is taken.
   */
  async create(taskId: string, cwd: string, base?: string): Promise<WorktreeInfo> {
    if (!TASK_ID.test(taskId) || taskId.includes("..") || /\.(lock)?$/.test(taskId)) {
      throw new Error(
        `Cannot create worktree for task ${
          JSON.stringify(taskId)
        } as the task id is not usable in a branch name: use up to 128 letters, digits, ".", "_" and "-", starting with a letter or digit`,
      );
    }
    const repo = await this.resolveRepo(cwd);
    const root = repo.root;
    const branch = branchName(taskId);
    const what = `Cannot create worktree for task "${taskId}"`;
    return await this.#withRepoLock(root, async () => {
      const opts = this.#opts(root);
      let baseRef: string;
      // Without a base, the new branch starts where the directory's checkout is: the main
      // checkout's current branch, or the head of the linked worktree (another task's branch).
      const from = repo.linked ?? root;
      if (base === undefined) {
        const current = await runGit(
          ["symbolic-ref", "--quiet", "--short", "HEAD"],
          this.#opts(from),
        );
        baseRef = current.code === 0 ? current.stdout.trim() : "HEAD";
      } else {
        baseRef = base;
      }
      const baseCommit = await this.#resolveCommit(
        root,
        base ?? (repo.linked ? await this.#headOf(repo.linked) : "HEAD"),
      );
      if (baseCommit === null) {
        throw new Error(`${what} as base "${base}" is not a commit: repository is ${root}`);
      }
      if (await this.#branchExists(root, branch)) {
        throw new Error(`${what} as branch ${branch} exists: repository is ${root}`);
      }
      const parent = dirname(this.worktreePath(root, taskId));
      // Worktrees hold the user's code: 0700, like the task records.
      await Deno.mkdir(parent, { recursive: true, mode: 0o700 });
      const path = join(await Deno.realPath(parent), taskId);
      if (await pathExists(path)) {
        throw new Error(`${what} as path ${path} exists: repository is ${root}`);
      }
      try {
        await git(["worktree", "add", "--quiet", "-b", branch, path, baseCommit], opts);
      } catch (error) {
        // `git worktree add` removes its half-made checkout but not the branch it made.
        if (await this.#branchExists(root, branch)) {
          await runGit(["branch", "-D", branch], opts);
        }
        throw new Error(`${what} at ${path}: ${message(error)}`, { cause: error });
      }
      const taskCwd = repo.subdir === "" ? path : join(path, repo.subdir);
      // The subdirectory may hold no tracked files at `base`; Codex still needs to start there.
      await Deno.mkdir(taskCwd, { recursive: true });
      return { repoRoot: root, path, branch, baseRef, baseCommit, cwd: taskCwd };
    });
  }

  /**
   * Commits everything changed in the worktree (new, modified and deleted files; ignored files
   * stay out) on the task branch, without hooks. Makes no empty commit. Commits Codex made itself
   * count: `commit` is the branch head whenever it is past `baseCommit`.
   *
   * Throws when the worktree is missing or is no longer on the task branch.
   */
  async commitAll(info: WorktreeInfo, message: string): Promise<CommitResult> {
    const taskId = checkInfo(info);
    const what = `Cannot commit the work of task "${taskId}"`;
    return await this.#withRepoLock(info.repoRoot, async () => {
      if (!(await isDirectory(info.path))) {
        throw new Error(
          `${what} as its worktree ${info.path} is missing: repository is ${info.repoRoot}`,
        );
      }
      const opts = this.#opts(info.path);
      const head = await runGit(["symbolic-ref", "--quiet", "HEAD"], opts);
      const headRef = head.stdout.trim();
      if (headRef !== `refs/heads/${info.branch}`) {
        const on = head.code === 0
          ? `branch ${headRef.replace(/^refs\/heads\//, "")}`
          : "a detached HEAD";
        throw new Error(
          `${what} as its worktree ${info.path} is on ${on} instead of branch ${info.branch}`,
        );
      }
      await git(["add", "--all"], opts);
      const quiet = ["diff", "--cached", "--quiet"];
      const staged = await runGit(quiet, opts);
      if (staged.code > 1) {
        throw new GitError({
          args: quiet,
          cwd: info.path,
          exitCode: staged.code,
          stderr: staged.stderr,
        });
      }
      const created = staged.code === 1;
      if (created) {
        const text = message.trim() === "" ? `codex-swarm: task ${taskId}` : message;
        await git([
          ...await commitIdentityArgs(opts),
          "commit",
          "--quiet",
          "--no-verify",
          "--message",
          text,
        ], opts);
      }
      const tip = await this.#branchTip(info.repoRoot, info.branch);
      const ahead = tip === null ? 0 : await this.#countCommits(info.repoRoot, [
        tip,
        "--not",
        info.baseCommit,
      ]);
      return { commit: ahead > 0 ? tip : null, created };
    });
  }

  /**
   * Removes the worktree's `index.lock` that a killed git left behind (a supervisor killed while it
   * committed). Only for a worktree in which no git runs any more: the caller ended every process
   * working there. Returns whether there was one. A missing worktree is fine.
   */
  async removeStaleIndexLock(info: WorktreeInfo): Promise<boolean> {
    checkInfo(info);
    if (!(await isDirectory(info.path))) return false;
    return await this.#withRepoLock(info.repoRoot, async () => {
      const gitDir = await git(
        ["rev-parse", "--path-format=absolute", "--git-dir"],
        this.#opts(info.path),
      );
      const lock = join(gitDir.trim(), "index.lock");
      if (!(await pathExists(lock))) return false;
      await Deno.remove(lock);
      return true;
    });
  }

  /**
   * Files changed on the task branch since `baseCommit` (or since `since`, e.g. the branch head
   * when a reply started), with line counts (`git diff --numstat`).
   */
  async diffSummary(info: WorktreeInfo, since?: string): Promise<DiffSummary> {
    const tip = await this.#requireBranch(info, "summarise the changes of");
    const out = await git(
      ["diff", "--numstat", "-z", ...diffRange(info, tip, since)],
      this.#opts(info.repoRoot),
    );
    const files = parseNumstat(out);
    return {
      files,
      insertions: files.reduce((sum, file) => sum + file.insertions, 0),
      deletions: files.reduce((sum, file) => sum + file.deletions, 0),
    };
  }

  /** The task branch's patch against `baseCommit`, cut at a line end after `maxBytes`. */
  async diff(info: WorktreeInfo, opts: DiffOptions = {}): Promise<DiffResult> {
    const tip = await this.#requireBranch(info, "show the diff of");
    const maxBytes = opts.maxBytes ?? DEFAULT_DIFF_MAX_BYTES;
    const args = ["diff", ...diffRange(info, tip)];
    const result = await runGit(args, {
      ...this.#opts(info.repoRoot),
      maxStdoutBytes: Math.max(0, maxBytes),
    });
    if (result.code !== 0 && !result.truncated) {
      throw new GitError({
        args,
        cwd: info.repoRoot,
        exitCode: result.code,
        stderr: result.stderr,
      });
    }
    let patch = result.stdout;
    if (result.truncated) {
      const end = patch.lastIndexOf("\n");
      // A cut inside a multi-byte character decodes as U+FFFD; a line end drops it.
      patch = end >= 0 ? patch.slice(0, end + 1) : patch.replace(/\uFFFD$/, "");
    }
    return { patch, truncated: result.truncated };
  }

  /**
   * Merges the task branch into the main checkout (`repoRoot`) with `git merge --no-ff`, after
   * checking out `target` if given and not current (it stays checked out after a merge). On
   * conflict the merge is aborted, the previous branch is checked out again and the conflicting
   * files are returned. Only what is committed on the branch is merged: call
   * {@linkcode WorktreeManager.commitAll} first.
   *
   * Answers `merged: false` with the reason in `nothing`, doing nothing, when the task branch
   * holds no commit past its base or the target already contains its head.
   *
   * Never touches a file git does not track in the main checkout: throws, naming them, when the
   * checkout of `target` or the merge would write a path where an untracked or git-ignored file
   * (or a directory holding one) is (git itself would overwrite an ignored file silently).
   *
   * Throws when the main checkout has uncommitted changes to tracked files or an operation in
   * progress, its HEAD is detached and no target is given, `target` does not exist, or the task
   * branch is missing.
   */
  async merge(info: WorktreeInfo, target?: string): Promise<MergeResult> {
    const taskId = checkInfo(info);
    const root = info.repoRoot;
    const what = `Cannot merge task "${taskId}" into ${root}`;
    return await this.#withRepoLock(root, async () => {
      const tip = await this.#requireBranch(info, "merge");
      const opts = this.#opts(root);
      const busy = await this.#operationInProgress(root);
      if (busy !== null) throw new Error(`${what} as ${busy} is in progress there`);
      const dirty = await this.#trackedChanges(root);
      if (dirty.length > 0) {
        throw new Error(`${what} as its checkout has uncommitted changes: ${listFiles(dirty)}`);
      }
      const current = await runGit(["symbolic-ref", "--quiet", "--short", "HEAD"], opts);
      const currentBranch = current.code === 0 ? current.stdout.trim() : null;
      const into = target ?? currentBranch;
      if (into === null) {
        throw new Error(`${what} as its HEAD is detached: name a target branch`);
      }
      if (into === info.branch) {
        throw new Error(`${what} as the target is the task branch ${info.branch} itself`);
      }
      if (target !== undefined) {
        const kind = await this.#localBranch(root, target);
        if (kind === "malformed") {
          throw new Error(
            `Cannot merge task "${taskId}" into "${target}" as it is not a local branch ` +
              `(a branch name such as "main", not a revision like "main~0" or a commit): ` +
              `repository is ${root}`,
          );
        }
        if (kind === "missing") {
          throw new Error(
            `Cannot merge task "${taskId}" into branch "${target}" as it does not exist: repository is ${root}`,
          );
        }
      }
      const before = await this.#revParse(root, "HEAD");
      const intoTip = await this.#revParse(root, `refs/heads/${into}`);
      if (tip === info.baseCommit) {
        return {
          merged: false,
          nothing: `branch ${info.branch} holds no commit past its base ${
            info.baseCommit.slice(0, 12)
          } (the task committed nothing)`,
          target: into,
        };
      }
      if (await this.#countCommits(root, [tip, "--not", intoTip]) === 0) {
        return {
          merged: false,
          nothing: `branch "${into}" already contains the head ${
            tip.slice(0, 12)
          } of branch ${info.branch}`,
          target: into,
        };
      }
      const switchBack = into !== currentBranch ? currentBranch : undefined;
      const written = [
        ...(switchBack !== undefined ? await this.#writtenPaths(root, [before, intoTip]) : []),
        ...await this.#writtenPaths(root, [`${intoTip}...${tip}`]),
      ];
      const inTheWay = await this.#untrackedInTheWay(root, written);
      if (inTheWay.files.length > 0) {
        throw new Error(
          `${what} as it would overwrite files git does not track there: ${
            untrackedRefusal(inTheWay.files, inTheWay.ignored)
          }. Nothing was changed; move them away (or commit them) and merge again`,
        );
      }
      if (switchBack !== undefined) {
        try {
          // Backstop: git's default would overwrite ignored files.
          await git(["checkout", "--quiet", "--no-overwrite-ignore", into, "--"], opts);
        } catch (error) {
          throw new Error(
            `${what} as branch "${into}" could not be checked out: ${message(error)}`,
            {
              cause: error,
            },
          );
        }
      }
      // The short name gives git's usual message; a same-named tag would take precedence over it.
      const shortName = await this.#resolveCommit(root, info.branch);
      const mergeRev = shortName === tip ? info.branch : `refs/heads/${info.branch}`;
      const merge = await runGit([
        ...await commitIdentityArgs(opts),
        "merge",
        "--no-ff",
        "--no-edit",
        // Backstop: git's default would overwrite ignored files.
        "--no-overwrite-ignore",
        mergeRev,
      ], opts);
      if (merge.code === 0) {
        return { merged: true, commit: await this.#revParse(root, "HEAD"), target: into };
      }
      let conflicts: string[] = [];
      if (await this.#refExists(root, "MERGE_HEAD")) {
        conflicts = splitZ(
          await git(["diff", "--name-only", "--diff-filter=U", "-z"], opts),
        );
        await git(["merge", "--abort"], opts);
      }
      let restore = "";
      if (switchBack !== undefined) {
        const back = switchBack === null
          ? await runGit(["checkout", "--quiet", "--detach", before], opts)
          : await runGit(["checkout", "--quiet", switchBack, "--"], opts);
        if (back.code !== 0) {
          restore = `; checking out ${switchBack ?? "the previous HEAD"} again failed${
            gitSays(back.stderr)
          }`;
        }
      }
      if (conflicts.length > 0 && restore === "") return { merged: false, conflicts, target: into };
      const said = conflicts.length > 0
        ? ` as files conflict: ${listFiles(conflicts)}`
        : `: git merge exited with code ${merge.code}${gitSays(merge.stderr)}`;
      throw new Error(`Cannot merge task "${taskId}" into branch "${into}"${said}${restore}`);
    });
  }

  /** Removes the task's worktree (even with changes) and deletes its branch. Missing parts are fine. */
  async discard(info: WorktreeInfo): Promise<void> {
    const taskId = checkInfo(info);
    await this.#withRepoLock(info.repoRoot, async () => {
      await this.#removeWorktree(info, taskId);
      if (await this.#branchExists(info.repoRoot, info.branch)) {
        try {
          await git(["branch", "-D", info.branch], this.#opts(info.repoRoot));
        } catch (error) {
          throw new Error(
            `Cannot delete branch ${info.branch} of task "${taskId}": ${message(error)}`,
            { cause: error },
          );
        }
      }
    });
  }

  /**
   * Removes the task's worktree directory (uncommitted changes are lost) and keeps its branch, for
   * clean-up of old tasks. A missing worktree is fine.
   */
  async removeWorktreeKeepBranch(info: WorktreeInfo): Promise<void> {
    const taskId = checkInfo(info);
    await this.#withRepoLock(info.repoRoot, () => this.#removeWorktree(info, taskId));
  }

  /**
   * What in the worktree is not committed on the task branch: changed, new and deleted files
   * (ignored files excepted), or `HEAD` when the worktree is on another branch or detached.
   * Empty when the worktree directory is gone.
   */
  async uncommittedFiles(info: WorktreeInfo): Promise<string[]> {
    checkInfo(info);
    if (!(await isDirectory(info.path))) return [];
    const opts = this.#opts(info.path);
    const head = await runGit(["symbolic-ref", "--quiet", "HEAD"], opts);
    if (head.stdout.trim() !== `refs/heads/${info.branch}`) return ["HEAD"];
    return await this.#changedFiles(info.path, "all");
  }

  /**
   * Puts the worktree back to the task branch's commit: changed tracked files are restored, new
   * files removed; ignored files (dependencies, caches, build output) stay. Returns what was
   * dropped. Used after an attempt's check, which runs on the committed work: whatever the check
   * left is not the task's work, and would keep the sweep from removing the worktree.
   */
  async dropUncommitted(info: WorktreeInfo): Promise<string[]> {
    checkInfo(info);
    return await this.#withRepoLock(info.repoRoot, async () => {
      const dropped = await this.uncommittedFiles(info);
      if (dropped.length === 0 || dropped[0] === "HEAD") return [];
      const opts = this.#opts(info.path);
      await git(["reset", "--hard", "--quiet"], opts);
      await git(["clean", "-d", "--force", "--quiet"], opts);
      return dropped;
    });
  }

  /**
   * Clean-up: removes the worktree directory (keeping the branch) only when everything in it is
   * committed on the task branch. Returns what kept it; nothing is removed then.
   */
  async removeWorktreeIfCommitted(
    info: WorktreeInfo,
  ): Promise<{ removed: boolean; uncommitted: string[] }> {
    const taskId = checkInfo(info);
    return await this.#withRepoLock(info.repoRoot, async () => {
      const uncommitted = await this.uncommittedFiles(info);
      if (uncommitted.length > 0) return { removed: false, uncommitted };
      await this.#removeWorktree(info, taskId);
      return { removed: true, uncommitted };
    });
  }

  /**
   * Whether the task branch holds commits made after `baseCommit` that no local branch outside
   * `codex-swarm/*` contains (the target it was merged into, or a branch the user merged it into
   * by hand or through a pull request), i.e. work that deleting the branch could lose. Another
   * task's branch does not count: a fork's branch holds its parent's commits only until the fork
   * is discarded. False when the branch is gone.
   */
  async branchHasUnmergedCommits(info: WorktreeInfo): Promise<boolean> {
    checkInfo(info);
    const tip = await this.#branchTip(info.repoRoot, info.branch);
    if (tip === null) return false;
    const base = await this.#resolveCommit(info.repoRoot, info.baseCommit);
    const count = await this.#countCommits(info.repoRoot, [
      tip,
      "--not",
      ...(base === null ? [] : [base]),
      // Patterns for --branches leave out "refs/heads/"; `*` also matches "/" here.
      `--exclude=${BRANCH_PREFIX}*`,
      "--branches",
    ]);
    return count > 0;
  }

  /** The task branch's head commit, or null when the branch is gone. */
  async branchHead(info: WorktreeInfo): Promise<string | null> {
    checkInfo(info);
    return await this.#branchTip(info.repoRoot, info.branch);
  }

  /** Whether the worktree directory (a checkout) and the task branch exist. */
  async exists(info: WorktreeInfo): Promise<WorktreeState> {
    checkInfo(info);
    const worktree = await isDirectory(info.path) && await pathExists(join(info.path, ".git"));
    const branch = await isDirectory(info.repoRoot) &&
      await this.#branchExists(info.repoRoot, info.branch);
    return { worktree, branch };
  }

  async #removeWorktree(info: WorktreeInfo, taskId: string): Promise<void> {
    const opts = this.#opts(info.repoRoot);
    const what = `Cannot remove the worktree of task "${taskId}" at ${info.path}`;
    if (await this.#isRegisteredWorktree(info.repoRoot, info.path)) {
      // Also unregisters a worktree whose directory is already gone.
      const removed = await runGit(["worktree", "remove", "--force", info.path], opts);
      if (removed.code === 0) return;
      if (await pathExists(info.path)) {
        throw new Error(`${what}${gitSays(removed.stderr)}: repository is ${info.repoRoot}`);
      }
      await git(["worktree", "prune"], opts);
      return;
    }
    if (!(await pathExists(info.path))) return;
    // A directory git no longer knows: delete it only inside our own worktree directory.
    const inside = relative(this.worktreeDir, info.path);
    if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
      throw new Error(
        `${what} as it is not a worktree of ${info.repoRoot} and lies outside ${this.worktreeDir}`,
      );
    }
    await Deno.remove(info.path, { recursive: true });
  }

  async #isRegisteredWorktree(repoRoot: string, path: string): Promise<boolean> {
    const out = await git(["worktree", "list", "--porcelain", "-z"], this.#opts(repoRoot));
    const wanted = resolve(path);
    for (const field of out.split("\0")) {
      if (field.startsWith("worktree ") && resolve(field.slice("worktree ".length)) === wanted) {
        return true;
      }
    }
    return false;
  }

  async #operationInProgress(root: string): Promise<string | null> {
    for (
      const [ref, name] of [
        ["MERGE_HEAD", "a merge"],
        ["CHERRY_PICK_HEAD", "a cherry-pick"],
        ["REVERT_HEAD", "a revert"],
      ] as const
    ) {
      if (await this.#refExists(root, ref)) return name;
    }
    const paths = await git(
      [
        "rev-parse",
        "--path-format=absolute",
        "--git-path",
        "rebase-merge",
        "--git-path",
        "rebase-apply",
      ],
      this.#opts(root),
    );
    for (const path of paths.split("\n").filter((line) => line !== "")) {
      if (await pathExists(path)) return "a rebase";
    }
    return null;
  }

  /**
   * The paths a checkout or merge writes for a diff (`[from, to]`, or `[ours...theirs]` for what
   * the branch changed since the merge base): every path that exists afterwards, renames split.
   */
  async #writtenPaths(root: string, range: string[]): Promise<string[]> {
    return splitZ(
      await git(
        ["diff", "--name-only", "--no-renames", "--diff-filter=d", "-z", ...range, "--"],
        this.#opts(root),
      ),
    );
  }

  /**
   * Of the `paths` a checkout or merge writes, the files git does not track in the checkout at
   * `root` that are in the way: an untracked or ignored file at a path, at a directory above it,
   * or under a directory at a path. Only what exists on disk is asked about.
   */
  async #untrackedInTheWay(
    root: string,
    paths: string[],
  ): Promise<{ files: string[]; ignored: Set<string> }> {
    const present = new Set<string>();
    for (const path of new Set(paths)) {
      if (await pathExists(join(root, path))) present.add(path);
      for (const parent of parentPaths(path)) {
        const stat = await Deno.lstat(join(root, parent)).catch(() => null);
        if (stat !== null && !stat.isDirectory) present.add(parent);
      }
    }
    const files: string[] = [];
    const ignored = new Set<string>();
    const opts = this.#opts(root);
    for (const batch of batches([...present], PATHSPEC_BATCH)) {
      const specs = ["--", ...batch.map(literalPathspec)];
      // Without --exclude-standard, --others lists ignored files too.
      files.push(...splitZ(await git(["ls-files", "-z", "--others", ...specs], opts)));
      const listed = ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", ...specs];
      for (const file of splitZ(await git(listed, opts))) ignored.add(file);
    }
    return { files, ignored };
  }

  async #trackedChanges(root: string): Promise<string[]> {
    return await this.#changedFiles(root, "no");
  }

  /** The changed files of a checkout (`git status`), untracked ones with `all`. */
  async #changedFiles(checkout: string, untracked: "all" | "no"): Promise<string[]> {
    const out = await git(
      ["status", "--porcelain=v1", "-z", `--untracked-files=${untracked}`],
      this.#opts(checkout),
    );
    const files: string[] = [];
    const fields = out.split("\0");
    for (let i = 0; i < fields.length; i++) {
      const entry = fields[i] ?? "";
      if (entry.length < 4) continue;
      files.push(entry.slice(3));
      // A rename or copy is followed by its source path.
      if (entry[0] === "R" || entry[0] === "C") i++;
    }
    return files;
  }

  async #requireBranch(info: WorktreeInfo, action: string): Promise<string> {
    const taskId = checkInfo(info);
    const tip = await this.#branchTip(info.repoRoot, info.branch);
    if (tip === null) {
      throw new Error(
        `Cannot ${action} task "${taskId}" as branch ${info.branch} does not exist: repository is ${info.repoRoot}`,
      );
    }
    return tip;
  }

  async #branchTip(repoRoot: string, branch: string): Promise<string | null> {
    return await this.#resolveCommit(repoRoot, `refs/heads/${branch}`);
  }

  /**
   * Whether `name` is exactly the name of a local branch: `malformed` for revision syntax
   * (`main~0`, `main@{0}`, `^0`), `HEAD` or a commit id, `missing` for a branch name no branch has.
   */
  async #localBranch(repoRoot: string, name: string): Promise<"ok" | "malformed" | "missing"> {
    const opts = this.#opts(repoRoot);
    if (name === "HEAD" || name.startsWith("-") || /[~^:?*[\\\s]|@\{|\.\.|\0/.test(name)) {
      return "malformed";
    }
    const format = await runGit(["check-ref-format", `refs/heads/${name}`], opts);
    if (format.code !== 0) return "malformed";
    const ref = await runGit(["show-ref", "--verify", "--quiet", `refs/heads/${name}`], opts);
    if (ref.code === 0) return "ok";
    // A commit id that is no branch name is a revision, not a branch.
    return (await this.#resolveCommit(repoRoot, name)) === null ? "missing" : "malformed";
  }

  async #branchExists(repoRoot: string, branch: string): Promise<boolean> {
    return await this.#refExists(repoRoot, `refs/heads/${branch}`);
  }

  async #refExists(repoRoot: string, ref: string): Promise<boolean> {
    const result = await runGit(["rev-parse", "--verify", "--quiet", ref], this.#opts(repoRoot));
    return result.code === 0;
  }

  /** The commit checked out in `checkout` (a linked worktree), or "HEAD" when it has none. */
  async #headOf(checkout: string): Promise<string> {
    return (await this.#resolveCommit(checkout, "HEAD")) ?? "HEAD";
  }

  async #resolveCommit(repoRoot: string, rev: string): Promise<string | null> {
    const result = await runGit(
      ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`],
      this.#opts(repoRoot),
    );
    return result.code === 0 ? result.stdout.trim() : null;
  }

  async #revParse(repoRoot: string, rev: string): Promise<string> {
    return (await git(["rev-parse", "--verify", rev], this.#opts(repoRoot))).trim();
  }

  async #countCommits(repoRoot: string, revs: string[]): Promise<number> {
    const out = await git(["rev-list", "--count", ...revs], this.#opts(repoRoot));
    return Number.parseInt(out.trim(), 10);
  }

  #opts(cwd: string): GitOptions {
    return this.#env === undefined
      ? { cwd, timeoutMs: this.#timeoutMs }
      : { cwd, timeoutMs: this.#timeoutMs, env: this.#env };
  }

  /**
   * Runs `fn` once every earlier operation on these worktrees (by path) has settled. What acts on
   * a task's worktree for a client (a merge, a discard, creating a reply or fork that works in
   * it, the sweep) runs under this lock, so each sees the state the previous one left: a discard
   * sees the reply just queued there, a reply sees the worktree just discarded.
   *
   * @example
   * ```ts
   * await worktrees.withWorktreeLock(info.path, async () => {
   *   if (!busy(info.path)) await worktrees.discard(info);
   * });
   * ```
   */
  withWorktreeLock<T>(paths: string | string[], fn: () => Promise<T>): Promise<T> {
    return this.#worktreeLocks.runAll(typeof paths === "string" ? [paths] : paths, fn);
  }

  /**
   * {@link withWorktreeLock} for a block: holds the worktrees at `paths` until the result is
   * disposed (`using _held = await worktrees.holdWorktrees([info.path]);`).
   */
  holdWorktrees(paths: string[]): Promise<Disposable> {
    return this.#worktreeLocks.hold(paths);
  }

  /** Runs `fn` after every earlier locked operation on the same repository has settled. */
  async #withRepoLock<T>(repoRoot: string, fn: () => Promise<T>): Promise<T> {
    return await this.#repoLocks.run(await this.#lockKey(repoRoot), fn);
  }

  /** The real path of the repository's git directory, shared by all its checkouts. */
  async #lockKey(repoRoot: string): Promise<string> {
    const result = await runGit(
      ["rev-parse", "--path-format=absolute", "--git-common-dir"],
      this.#opts(repoRoot),
    ).catch(() => null);
    const dir = result?.code === 0 ? result.stdout.trim() : repoRoot;
    return await Deno.realPath(dir).catch(() => resolve(dir));
  }
}

/** Validates `info` and returns its task id. */
function checkInfo(info: WorktreeInfo): string {
  if (!isWorktreeInfo(info)) {
    throw new TypeError(
      `Cannot use worktree info ${
        JSON.stringify(info)
      } as it lacks string fields repoRoot, path, branch (codex-swarm/<taskId>), baseRef, baseCommit, cwd`,
    );
  }
  return info.branch.slice(BRANCH_PREFIX.length);
}

/** Parses `git diff --numstat -z`; a rename is `ins\tdel\t\0old\0new\0`. */
function parseNumstat(out: string): FileChange[] {
  const fields = out.split("\0");
  const files: FileChange[] = [];
  for (let i = 0; i < fields.length; i++) {
    const match = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(fields[i] ?? "");
    if (match === null) continue;
    const [, added = "-", removed = "-", name = ""] = match;
    const binary = added === "-" && removed === "-";
    const change: FileChange = {
      path: name,
      insertions: added === "-" ? 0 : Number(added),
      deletions: removed === "-" ? 0 : Number(removed),
      binary,
    };
    if (name === "") {
      change.oldPath = fields[i + 1] ?? "";
      change.path = fields[i + 2] ?? "";
      i += 2;
    }
    files.push(change);
  }
  return files;
}

function splitZ(out: string): string[] {
  return out.split("\0").filter((field) => field !== "");
}

function listFiles(files: string[]): string {
  const shown = files.slice(0, 20).join(", ");
  return files.length > 20 ? `${shown} and ${files.length - 20} more` : shown;
}

function gitSays(stderr: string): string {
  const text = stderr.trim().split("\n").slice(-3).map((line) => line.trim()).join(" / ");
  return text === "" ? "" : `: git says "${text}"`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}
