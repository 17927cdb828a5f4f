/**
 * The shape of a task: what was asked, what is saved on disk, and the live view given to clients.
 *
 * @module
 */

import type { RemoteWorkspace } from "../workers/remote_workspace.ts";
import type { RunOptions, SandboxMode, ServerDefaults } from "../codex/codex_args.ts";
import type { LiveDetail } from "../codex/turn_state.ts";
import type { CommandOutcome } from "../codex/sandboxed_command.ts";
import type { RunState, Usage } from "../codex/run_state.ts";
import type { WorktreeInfo } from "../git/worktree.ts";
import type { WorktreeOutcome } from "../git/task_commit.ts";
import type { SetupRecord } from "../git/worktree_setup.ts";
import type { ReviewTarget } from "../codex/protocol/generated/v2/ReviewTarget.ts";
import type { ReviewOutput } from "../codex/review_output.ts";
import type { Question } from "./questions.ts";
import type { MergeRequest, MergeState } from "./merge/merge_plan.ts";

/** Where a task is in its life. The first four are unfinished, the rest final. */
export const PHASES = [
  "queued",
  "starting",
  "running",
  "waiting_approval",
  "completed",
  "failed",
  "cancelled",
  "timed_out",
  "interrupted",
] as const;
/** A task's phase. */
export type Phase = typeof PHASES[number];

/** Whether a phase is final. */
export function isFinal(phase: Phase): boolean {
  return phase !== "queued" && phase !== "starting" && phase !== "running" &&
    phase !== "waiting_approval";
}

/**
 * What a client asked for: the parameters of `codex`, `codex-reply` and `codex_async`. The Codex
 * run's own options are those of {@link RunOptions}; a thread to continue is `threadId`.
 */
export interface TaskRequest extends RunOptions {
  /** Continue this Codex thread instead of starting one. */
  threadId?: string;
  /** Run in a git worktree of its own, on branch `codex-swarm/<task id>`. */
  worktree?: boolean;
  /** The ref the worktree starts from (default HEAD). */
  base?: string;
  /** Commit what the task changed in its worktree when it ends (default true). */
  commit?: boolean;
  /** Time limit in seconds (default: the server's --task-timeout; 0 means none). */
  timeoutS?: number;
  /** A JSON Schema the final message must follow (structured output). */
  outputSchema?: Record<string, unknown>;
  /**
   * The shell command run in the new worktree before Codex starts. The engine stores the one that
   * applies (the call's, else the session's `--worktree-setup`; absent: none).
   */
  setup?: string;
  /** Globs of the main checkout's ignored files to copy into the new worktree (`.env`). */
  copyIgnored?: string[];
  /** Run Codex's review (`review/start`) of this target instead of a turn with the prompt. */
  review?: ReviewRequest;
  /** The Codex session whose tool call started the task, when a Codex client called. */
  caller?: CallerInfo;
  /** A shell command run in the worktree once the turn completed (its outcome: `meta.check`). */
  check?: string;
  /** This task is one of several attempts of the same prompt (best of N). */
  group?: GroupRef;
  /** Start the task's thread as a fork of this thread (`thread/fork`): with its history. */
  forkOf?: ForkOf;
  /** A merge queue (`codex_merge`), not a Codex turn: see lib/tasks/merge/. */
  merge?: MergeRequest;
  /** Run on this worker (docs/workers.md); default: where placement finds a free slot. */
  worker?: string;
}

/** A review target as a caller gives it. */
export type ReviewTargetSpec =
  | { uncommitted: true }
  | { base: string }
  | { commit: string }
  | { task_id: string }
  | { instructions: string };

/** The review a task runs (on `TaskRequest.review`): what was asked, and what Codex gets. */
export interface ReviewRequest {
  /** The target as the caller gave it. */
  spec: ReviewTargetSpec;
  /**
   * Review this branch rather than cwd's checkout: it is checked out in a worktree of its own for
   * the review (removed when the review ends).
   */
  branch?: string;
  /** The target sent to `review/start`: set by `prepareReview` (lib/request/review_target.ts) when the task is created. */
  target?: ReviewTarget;
}

/** Which attempt of which group a task is: the group is the set of tasks with its id. */
export interface GroupRef {
  /** `g-` and 12 hex digits. */
  id: string;
  /** 0 to size - 1. */
  index: number;
  size: number;
}

/**
 * How a task's `check` command ended (or that it could not run): as a sandboxed command ends
 * (its command, the tail of its output with stderr joined in, stopped by the time limit or a
 * cancel, its duration), and:
 */
export interface CheckOutcome extends Omit<CommandOutcome, "exitCode"> {
  /** Null while it runs, or when it did not run (see `skipped`). */
  exitCode: number | null;
  /** Exit code 0, not stopped. */
  passed: boolean;
  startedAt: string;
  /** Why it did not run, when it did not. */
  skipped?: string;
  /** What the check left in the worktree that was dropped afterwards (at most 20 paths). */
  dropped?: string[];
}

/** The thread a task was forked from (codex_fork), as recorded when the fork was made. */
export interface ForkOf {
  /** The parent thread: the fork's thread starts with its history. */
  threadId: string;
  /** The newest codex-swarm task on the parent thread, or null when none is known. */
  taskId: string | null;
  /**
   * The parent's worktree, if it had one: with `worktree: true` the fork's branch starts at its
   * branch head (the parent's committed work).
   */
  worktree: WorktreeInfo | null;
}

/** What a Codex client says about itself in `_meta["x-codex-turn-metadata"]`. */
export interface CallerInfo {
  /** The calling Codex thread: the parent of the task. */
  threadId: string | null;
  /** The caller's sandbox: the task's default and ceiling. */
  sandbox: SandboxMode | null;
}

/** What is saved in a task's `meta.json`. */
export interface TaskMeta {
  version: 1;
  id: string;
  phase: Phase;
  request: TaskRequest;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** When the time limit runs out (ISO), or null for none. */
  deadline: string | null;
  /** The directory Codex runs in (inside the worktree when there is one). */
  cwd: string | null;
  threadId: string | null;
  finalMessage: string | null;
  /** Why the task failed, was interrupted or timed out. */
  failure: string | null;
  cancelRequested: boolean;
  timedOut: boolean;
  worktree: WorktreeInfo | null;
  /** The task branch's head when the task started, so the task reports only its own commit. */
  worktreeStartHead?: string | null;
  worktreeOutcome: WorktreeOutcome | null;
  /** Which engine ran it: absent for the exec-per-task engine of codex-swarm 0.1. */
  engine?: "app-server";
  /** The session that started it, with what it brings (kept so a queued task survives a restart). */
  session?: SessionRecord;
  /** The turn of the app-server thread this task runs. */
  turnId?: string | null;
  /** With an output schema: the final message parsed and validated. */
  structured?: { ok: true; value: unknown } | { ok: false; error: string };
  /** A review task: the review's findings and verdict as data, once it ended (null: none found). */
  review?: ReviewOutput | null;
  /** Questions Codex asked and how each was answered, oldest first (at most 50). */
  answered?: AnsweredQuestion[];
  /** The worktree set-up (copied ignored files, the set-up command), once it ran. */
  setup?: SetupRecord;
  /** With `request.check`: how the check ended (exitCode null while it runs). */
  check?: CheckOutcome;
  /**
   * The fingerprint of the project's `AGENTS.md` instructions its thread has once this task
   * started (lib/codex/project_docs.ts; null: none), so a later reply or fork can tell whether they
   * changed. Absent in records of codex-swarm before it passed them.
   */
  projectDocs?: string | null;
  /** A merge queue's steps so far (with `request.merge`), saved after each. */
  merge?: MergeState;
  /** Where it runs: `local`, or the name of a worker (docs/workers.md); absent before it starts. */
  worker?: string;
  /** On a worker: its workspace there (brought back as its branch when it ends). */
  remote?: RemoteWorkspace;
  /** Why its worker was lost under it (`worker NAME lost: ...`): the task ended failed. */
  workerLost?: string;
  /** True once the work of a task whose worker was lost came back with the worker. */
  recovered?: boolean;
}

/**
 * Who opened a session: a client, or a task's own process (one that descends from an app-server
 * the supervisor started). Where the supervisor cannot tell, it is `task`
 * (lib/supervisor/session_kind.ts).
 */
export type SessionKind = "client" | "task";

/** The session fields a task keeps. */
export interface SessionRecord {
  /** Unique per connection, e.g. `s-<random>`. */
  id: string;
  /** Absent in records of codex-swarm 0.2.0 and before: read as `task` (cannot tell). */
  kind?: SessionKind;
  /** The task whose command opened the session, when known. */
  taskId?: string | null;
  /** The session's `-c` defaults, `--skip-git-repo-check`, `--ephemeral`. */
  defaults: ServerDefaults;
  /** The session's default time limit in seconds (0: none). */
  taskTimeoutS: number;
  /** Where a task without `cwd` runs (the front-end's working directory, or the first root). */
  cwd: string;
  /** The environment Codex gets for this session's tasks. */
  env: Record<string, string>;
  /** The session's sandbox ceiling (null: none), which holds after a restart too. */
  maxSandbox?: SandboxMode | null;
  /**
   * The roots the session's grants are held to, which hold after a restart too; absent in records
   * written before they were kept: the operator's roots.
   */
  allowRoots?: string[];
}

/** A question Codex asked during a task, and its answer. */
export interface AnsweredQuestion {
  kind: string;
  message: string;
  decision: string;
  /** Who answered: `elicitation`, `codex_approve`, `top`, or `codex-swarm` (on cancel). */
  by: string;
  at: string;
}

/**
 * A question waiting for an answer, as clients see it: the question without Codex's method and
 * params, with an `id` unique per question of the task and the time it was asked.
 */
export type PendingQuestionView = Omit<Question, "method" | "params"> & {
  id: string;
  since: string;
};

/** The live view of a task. */
export interface TaskSnapshot {
  meta: TaskMeta;
  /** The live state; app-server tasks add the live detail and the thread's total usage. */
  run: RunState & { live?: LiveDetail; usageTotal?: Usage | null };
  /** Milliseconds since the task started (or was created, while queued), up to its end. */
  elapsedMs: number;
  /** The question Codex waits on an answer to, if any. */
  question?: PendingQuestionView | null;
  /** Queued tasks: when the queue's back-off after a 429 of the model API ends (ISO), or null. */
  backoffUntil?: string | null;
  /** Why the task's record cannot be written now (it is tried again until it is), or null. */
  recordError?: string | null;
}
