/**
 * The shape of a task: what was asked, what is saved on disk, and the live view given to clients.
 *
 * @module
 */

import type { RunOptions } from "./codex_args.ts";
import type { ExitStatus } from "./process.ts";
import type { RunState } from "./run_state.ts";
import type { WorktreeInfo } from "./worktree.ts";

/** Where a task is in its life. The last five are final. */
export const PHASES = [
  "queued",
  "starting",
  "running",
  "completed",
  "failed",
  "cancelled",
  "timed_out",
  "lost",
] as const;
/** A task's phase. */
export type Phase = typeof PHASES[number];

/** Whether a phase is final. */
export function isFinal(phase: Phase): boolean {
  return phase !== "queued" && phase !== "starting" && phase !== "running";
}

/**
 * What a client asked for: the parameters of `codex`, `codex-reply` and `codex_async`. The Codex
 * run's own options are those of {@link RunOptions}; a thread to continue is `threadId`.
 */
export interface TaskRequest extends Omit<RunOptions, "resumeThreadId"> {
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
}

/** What a task's worktree holds once the task ended. */
export interface WorktreeOutcome {
  /** The commit made on the branch, or null when there was nothing to commit. */
  commit: string | null;
  files: Array<{ path: string; insertions: number; deletions: number }>;
  insertions: number;
  deletions: number;
  /** Set when committing or diffing failed: the work is still in the worktree. */
  error?: string;
}

/** A server instance: its pid and start time (as the launcher reports it). */
export interface Instance {
  pid: number;
  startTime: string | null;
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
  /** The Codex argv, without the binary. */
  argv: string[] | null;
  pid: number | null;
  pidStartTime: string | null;
  exit: ExitStatus | null;
  threadId: string | null;
  finalMessage: string | null;
  /** Why the task failed, was lost or timed out. */
  failure: string | null;
  cancelRequested: boolean;
  timedOut: boolean;
  worktree: WorktreeInfo | null;
  /** The task branch's head when the task started, so the task reports only its own commit. */
  worktreeStartHead?: string | null;
  worktreeOutcome: WorktreeOutcome | null;
  /** The server instance that runs the task (starts it, enforces its limit, records its end). */
  owner: Instance | null;
}

/** The live view of a task. */
export interface TaskSnapshot {
  meta: TaskMeta;
  run: RunState;
  /** The end of Codex's stderr (bounded). */
  stderrTail: string;
  /** Milliseconds since the task started (or was created, while queued), up to its end. */
  elapsedMs: number;
}
