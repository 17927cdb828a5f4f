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
 * The manager holds the locks and the git options; the work is done by one module per concern:
 * ./worktree_dirs.ts (making and removing worktrees), ./worktree_commit.ts (committing a task's
 * work), ./worktree_diff.ts (what a task changed), ./worktree_merge.ts (merging into the user's
 * checkout, with the rules of ./merge_safety.ts) and ./repo_state.ts (queries of refs and status).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commitIdentityArgs, git } from "./git.ts";
 * import { WorktreeManager } from "./worktree.ts";
 *
 * const tmp = await Deno.realPath(await Deno.makeTempDir());
 * const repo = `${tmp}/project`;
 * await Deno.mkdir(repo);
 * await git(["init", "--quiet", "--initial-branch=main"], { cwd: repo });
 * await Deno.writeTextFile(`${repo}/README.md`, "hello\n");
 * await git(["add", "README.md"], { cwd: repo });
 * await git([...await commitIdentityArgs({ cwd: repo }), "commit", "-qm", "initial"], { cwd: repo });
 *
 * const worktrees = new WorktreeManager({ worktreeDir: `${tmp}/worktrees` });
 * const info = await worktrees.create("fix-readme", repo);
 * await Deno.writeTextFile(`${info.cwd}/README.md`, "hello, world\n"); // as Codex would
 * await worktrees.commitAll(info, "codex-swarm: fix-readme");
 * assert.deepEqual((await worktrees.diffSummary(info)).files.map((f) => f.path), ["README.md"]);
 * const result = await worktrees.merge(info);
 * assert.equal(result.merged, true);
 * await worktrees.discard(info);
 * assert.equal(await Deno.readTextFile(`${repo}/README.md`), "hello, world\n");
 * await Deno.remove(tmp, { recursive: true });
 * ```
 *
 * @module
 */

import { join, resolve } from "node:path";
import { git, runGit } from "./git.ts";
import { KeyedLock } from "../base/keyed_lock.ts";
import { branchExists, branchTip, type GitAt, isDirectory, pathExists } from "./repo_state.ts";
import {
  addWorktree,
  dropUncommitted,
  removeIndexLock,
  removeWorktree,
  resolveRepo,
  uncommittedFiles,
  worktreePath,
} from "./worktree_dirs.ts";
import { type CommitResult, commitWorktree, hasUnmergedCommits } from "./worktree_commit.ts";
import { branchPatch, changeSummary, type DiffResult, type DiffSummary } from "./worktree_diff.ts";
import { type MergeResult, mergeTaskBranch } from "./worktree_merge.ts";
import {
  checkInfo,
  type RepoLocation,
  type WorktreeInfo,
  type WorktreeState,
} from "./worktree_info.ts";
import { isTaskId, TASK_ID_RULE } from "../base/task_id.ts";
import { messageOf } from "../base/errors.ts";

export { branchName, isWorktreeInfo } from "./worktree_info.ts";
export type { WorktreeInfo } from "./worktree_info.ts";
export type { DiffSummary } from "./worktree_diff.ts";
export type { MergeResult } from "./worktree_merge.ts";

/** Timeout of each git command: 5 minutes (checkouts can be large). */
const WORKTREE_TIMEOUT_MS = 300_000;

/** Options for {@linkcode WorktreeManager}. */
export interface WorktreeManagerOptions {
  /** Directory that holds all worktrees, one subdirectory per repository. */
  worktreeDir: string;
  /** Extra environment for every git command. */
  env?: Record<string, string>;
}

/**
 * Creates, commits, diffs, merges and removes the git worktrees of Codex tasks.
 *
 * Holds one promise-chain lock per repository (keyed by the real path of its git directory, so
 * linked checkouts of one repository share it); create one manager and share it.
 *
 * @example Not run: the module's example runs it against a repository of its own.
 * ```ts ignore
 * const worktrees = new WorktreeManager({ worktreeDir: "/tmp/worktrees" });
 * const info = await worktrees.create("task-1", "/src/project", "main");
 * await worktrees.discard(info);
 * ```
 */
export class WorktreeManager {
  /** Absolute directory holding all worktrees. */
  readonly worktreeDir: string;
  readonly #env: Record<string, string> | undefined;
  readonly #repoLocks = new KeyedLock();
  /** Serializes what acts on one worktree across clients (see {@link holdWorktrees}). */
  readonly #worktreeLocks = new KeyedLock();

  /** Creates a manager that puts worktrees under `opts.worktreeDir`. */
  constructor(opts: WorktreeManagerOptions) {
    this.worktreeDir = resolve(opts.worktreeDir);
    this.#env = opts.env;
  }

  /** The git options of commands run in a directory, as one function for the modules. */
  readonly #at: GitAt = (cwd) => ({ cwd, timeoutMs: WORKTREE_TIMEOUT_MS, env: this.#env });

  /**
   * The top level of the repository containing `cwd`, and `cwd` relative to it.
   *
   * Throws when `cwd` does not exist, is not inside a git checkout, or the repository has no
   * commits yet.
   */
  async resolveRepo(cwd: string): Promise<RepoLocation> {
    return await resolveRepo(this.#at, cwd);
  }

  /**
   * Where the worktree of `taskId` for the repository at `repoRoot` lives:
   * `<worktreeDir>/<repo-name>-<first 8 hex of sha256(repoRoot)>/<taskId>`.
   */
  worktreePath(repoRoot: string, taskId: string): string {
    return worktreePath(this.worktreeDir, repoRoot, taskId);
  }

  /**
   * Creates the worktree of `taskId` on a new branch `codex-swarm/<taskId>` from `base` (default:
   * the repository's HEAD), for the repository containing `cwd`.
   *
   * Throws when the task id is not usable in a branch name, `base` is not a commit, the branch
   * already exists or the worktree path is taken.
   */
  async create(taskId: string, cwd: string, base?: string): Promise<WorktreeInfo> {
    if (!isTaskId(taskId)) {
      throw new Error(
        `Cannot create worktree for task ${
          JSON.stringify(taskId)
        } as the task id is not usable in a branch name: use ${TASK_ID_RULE}`,
      );
    }
    const repo = await this.resolveRepo(cwd);
    return await this.withRepoLock(
      repo.root,
      () => addWorktree(this.#at, this.worktreeDir, repo, taskId, base),
    );
  }

  /**
   * Commits everything changed in the worktree (new, modified and deleted files; ignored files
   * stay out) on the task branch, without hooks. Makes no empty commit. Commits Codex made itself
   * count: `commit` is the branch head whenever it is past `baseCommit`.
   *
   * Throws when the worktree is missing or is no longer on the task branch.
   */
  commitAll(info: WorktreeInfo, message: string): Promise<CommitResult> {
    return this.#locked(info, () => commitWorktree(this.#at, info, message));
  }

  /**
   * Removes the worktree's `index.lock` that a killed git left behind (a supervisor killed while it
   * committed). Only for a worktree in which no git runs any more: the caller ended every process
   * working there. Returns whether there was one. A missing worktree is fine.
   */
  removeStaleIndexLock(info: WorktreeInfo): Promise<boolean> {
    return this.#locked(
      info,
      async () => await isDirectory(info.path) && await removeIndexLock(this.#at(info.path)),
    );
  }

  /**
   * Files changed on the task branch since `baseCommit` (or since `since`, e.g. the branch head
   * when a reply started), with line counts (`git diff --numstat`).
   */
  async diffSummary(info: WorktreeInfo, since?: string): Promise<DiffSummary> {
    const tip = await this.#requireBranch(info, "summarise the changes of");
    return await changeSummary(this.#at, info, tip, since);
  }

  /**
   * The task branch's patch against `baseCommit`, cut at a line end after `maxBytes` (default
   * 1 MB).
   */
  async diff(info: WorktreeInfo, maxBytes?: number): Promise<DiffResult> {
    const tip = await this.#requireBranch(info, "show the diff of");
    return await branchPatch(this.#at, info, tip, maxBytes);
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
  merge(info: WorktreeInfo, target?: string): Promise<MergeResult> {
    return this.#locked(info, async () => {
      const tip = await this.#requireBranch(info, "merge");
      return await mergeTaskBranch(this.#at, info, tip, target);
    });
  }

  /** Removes the task's worktree (even with changes) and deletes its branch. Missing parts are fine. */
  discard(info: WorktreeInfo): Promise<void> {
    return this.#locked(info, async (taskId) => {
      await removeWorktree(this.#at, this.worktreeDir, info, taskId);
      if (await branchExists(this.#at(info.repoRoot), info.branch)) {
        try {
          await git(["branch", "-D", info.branch], this.#at(info.repoRoot));
        } catch (error) {
          throw new Error(
            `Cannot delete branch ${info.branch} of task "${taskId}": ${messageOf(error)}`,
            { cause: error },
          );
        }
      }
    });
  }

  /**
   * Puts the worktree back to the task branch's commit: changed tracked files are restored, new
   * files removed; ignored files (dependencies, caches, build output) stay. Returns what was
   * dropped. Used after an attempt's check, which runs on the committed work: whatever the check
   * left is not the task's work, and would keep the sweep from removing the worktree.
   */
  dropUncommitted(info: WorktreeInfo): Promise<string[]> {
    return this.#locked(info, () => dropUncommitted(this.#at, info));
  }

  /**
   * Clean-up: removes the worktree directory (keeping the branch) only when everything in it is
   * committed on the task branch. Returns what kept it; nothing is removed then.
   */
  removeWorktreeIfCommitted(
    info: WorktreeInfo,
  ): Promise<{ removed: boolean; uncommitted: string[] }> {
    return this.#locked(info, async (taskId) => {
      const uncommitted = await uncommittedFiles(this.#at, info);
      if (uncommitted.length > 0) return { removed: false, uncommitted };
      await removeWorktree(this.#at, this.worktreeDir, info, taskId);
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
    return await hasUnmergedCommits(this.#at, info);
  }

  /** The task branch's head commit, or null when the branch is gone. */
  async branchHead(info: WorktreeInfo): Promise<string | null> {
    checkInfo(info);
    return await branchTip(this.#at(info.repoRoot), info.branch);
  }

  /** Whether the worktree directory (a checkout) and the task branch exist. */
  async exists(info: WorktreeInfo): Promise<WorktreeState> {
    checkInfo(info);
    const worktree = await isDirectory(info.path) && await pathExists(join(info.path, ".git"));
    const branch = await isDirectory(info.repoRoot) &&
      await branchExists(this.#at(info.repoRoot), info.branch);
    return { worktree, branch };
  }

  async #requireBranch(info: WorktreeInfo, action: string): Promise<string> {
    const taskId = checkInfo(info);
    const tip = await branchTip(this.#at(info.repoRoot), info.branch);
    if (tip === null) {
      throw new Error(
        `Cannot ${action} task "${taskId}" as branch ${info.branch} does not exist: repository is ${info.repoRoot}`,
      );
    }
    return tip;
  }

  /**
   * Holds the worktrees at `paths` (once every earlier holder of one of them let go) until the
   * result is disposed (`using _held = await worktrees.holdWorktrees([info.path]);`). What acts
   * on a task's worktree for a client (a merge, a discard, creating a reply or fork that works in
   * it, the sweep) holds it, so each sees the state the previous one left: a discard sees the
   * reply just queued there, a reply sees the worktree just discarded.
   */
  holdWorktrees(paths: string[]): Promise<Disposable> {
    return this.#worktreeLocks.hold(paths);
  }

  /**
   * Runs `fn` holding the repository's lock, as every operation of the manager that changes its
   * worktree list, refs or main checkout does: a merge queue's integration worktree and its
   * fast-forward of the target (lib/tasks/merge/) take it too. Not reentrant: `fn` must not call
   * the manager's locked operations.
   */
  async withRepoLock<T>(repoRoot: string, fn: () => Promise<T>): Promise<T> {
    return await this.#repoLocks.run(await this.#lockKey(repoRoot), fn);
  }

  /** Runs `fn` with the (checked) task id of `info`, holding the lock of its repository. */
  async #locked<T>(info: WorktreeInfo, fn: (taskId: string) => Promise<T>): Promise<T> {
    const taskId = checkInfo(info);
    return await this.withRepoLock(info.repoRoot, () => fn(taskId));
  }

  /** The real path of the repository's git directory, shared by all its checkouts. */
  async #lockKey(repoRoot: string): Promise<string> {
    const result = await runGit(
      ["rev-parse", "--path-format=absolute", "--git-common-dir"],
      this.#at(repoRoot),
    ).catch(() => null);
    const dir = result?.code === 0 ? result.stdout.trim() : repoRoot;
    return await Deno.realPath(dir).catch(() => resolve(dir));
  }
}
