/**
 * What the MCP front-end (tools, resources, MCP Tasks) needs from a task engine, and what a
 * session of a client brings to the tasks it starts.
 *
 * The engine accepts only a plan of a task ({@link TaskPlan}): lib/request/ makes one from a tool
 * call once every check of the call passed (lib/request/plans.ts lists which checks apply to which
 * tool); the engine then only applies its own rules (one turn per thread, one unfinished task per
 * worktree) and creates the task. Its thread parameters are built once, in the plan.
 *
 * @module
 */

import type { WorkerStatus } from "../workers/worker_pool.ts";
import type {
  PendingQuestionView,
  Phase,
  SessionKind,
  SessionRecord,
  TaskMeta,
  TaskRequest,
  TaskSnapshot,
} from "./task.ts";
import type { ThreadSettings } from "../codex/thread_params.ts";
import type { SandboxPolicy } from "../codex/protocol/generated/v2/SandboxPolicy.ts";
import type { WorktreeInfo, WorktreeManager } from "../git/worktree.ts";
import type { Policy } from "../codex/policy.ts";
import type { Decision } from "./questions.ts";
import type { CodexPool } from "./codex_pool.ts";
import type { MergeRequest, MergeState } from "./merge/merge_plan.ts";

export type { SessionKind };

/** Told of every change to a task; `step` is a short human description when the change is a step. */
export type ChangeListener = (task: TaskSnapshot, step: string | null) => void;

/** The result of {@link Engine.wait}. */
export interface WaitResult {
  /** Whether the condition held before the timeout. */
  satisfied: boolean;
  tasks: TaskSnapshot[];
  /** Questions of these tasks that the waiting session had not been told of before. */
  questions: Array<{ task_id: string } & PendingQuestionView>;
}

/** How `codex_wait` (wait_for.ts) waits. */
export interface WaitOptions {
  mode: "all" | "any";
  timeoutMs: number;
  signal?: AbortSignal;
  /** The waiting session: questions it was not told of end the wait, and are then reported. */
  sessionId?: string;
}

/** The result of {@link Engine.cancel}. */
export interface CancelResult {
  /** True when the task had already finished before the call. */
  alreadyFinished: boolean;
  /** The phase the task was in when the cancel arrived. */
  previousPhase?: Phase;
  task: TaskSnapshot;
}

/**
 * One client's session: what its server entry configured and where it runs. A task takes its
 * defaults, working directory and environment from the session that starts it, never from the
 * process that runs the engine. Its id, defaults, time limit, cwd and env are described where a
 * task keeps them ({@link SessionRecord}).
 */
export interface Session
  extends Pick<SessionRecord, "id" | "defaults" | "taskTimeoutS" | "cwd" | "env"> {
  /**
   * `task` when the session was opened by a process of a task (a command it runs, an MCP server
   * Codex started for it), or when the supervisor cannot tell; `client` when it found the peer
   * process and that descends from no app-server of the supervisor's. Decided once, at the hello.
   */
  kind: SessionKind;
  /** For a task session: the task whose command opened it, when known; else null. */
  taskId: string | null;
  /** What this session's callers may make Codex do (the operator's ceiling, maybe narrowed). */
  policy?: Policy;
  /**
   * Asks this session's client to answer a question Codex asked (MCP elicitation). Resolves with
   * the answer, or null when the client cannot answer (no elicitation, gone, dismissed).
   */
  ask?: (question: { taskId: string } & PendingQuestionView) => Promise<Decision | null>;
  /**
   * False once the client's connection closed. A blocking call's task goes on when its client
   * goes away (the connection closing aborts the call); only a cancel by the client stops it.
   */
  isConnected?: () => boolean;
  /** Records a blocking call (by request id) while it runs: elicitations are sent related to it. */
  enterCall?: (requestId: string | number) => () => void;
}

/**
 * The session of the client a tool call comes from. It settles once the session knows where its
 * tasks run (after the client's roots, when it offers them, have been asked for).
 */
export type SessionSource = () => Promise<Session>;

/** A task engine as the MCP front-end sees it. */
export interface Engine {
  /** What a request's plan reads of the engine (lib/request/ plans with it). */
  readonly facts: PlanFacts;
  /**
   * Creates a planned task (queued until a place is free). Throws when the engine's rules refuse
   * it (another turn on its thread, another task in its worktree); what the plan made goes then.
   */
  start(plan: TaskPlan): Promise<TaskSnapshot>;
  /** The live view of one task, or undefined. */
  get(id: string): TaskSnapshot | undefined;
  /** The tasks known, newest first, optionally only those in the given phases. */
  list(phases?: readonly Phase[]): TaskSnapshot[];
  /** Settles when the task is final. */
  finished(id: string): Promise<TaskSnapshot>;
  /** Waits until all (or any) of the tasks are final, the timeout passes or the signal aborts. */
  wait(ids: string[], options: WaitOptions): Promise<WaitResult>;
  /** Cancels a task and every process it started. Idempotent. */
  cancel(id: string): Promise<CancelResult>;
  /** Registers a listener for task changes; returns a function that removes it. */
  onChange(listener: ChangeListener): () => void;
  /** Removes old final tasks. */
  sweep(): Promise<string[]>;
  /** Creates planned forks of a thread, all or none; returns them at once (see fork.ts). */
  fork(plan: ForkPlan): Promise<TaskSnapshot[]>;
  /**
   * Starts a merge queue (`codex_merge`), checked already, as a task of its own kind; `from` is
   * the state of the interrupted merge it resumes.
   */
  merge(request: MergeRequest, session: Session, from?: MergeState): Promise<TaskSnapshot>;
  /** Adds a prompt to a task's running turn; a clear error when it does not run. */
  steer(id: string, prompt: string): Promise<TaskSnapshot>;
  /** Answers the question a task waits on; `by` says who answered. */
  answer(id: string, decision: Decision, by: string): TaskSnapshot;
  /** Offers pending questions of these tasks to `session` when nobody is being asked. */
  offerQuestions(ids: string[], session: Session): void;
  /** A session opened: questions of tasks whose session is gone may go to it. */
  attachSession(session: Session): void;
  /** A session ended. */
  detachSession(id: string): void;
  /** The long-lived Codex processes it runs (its app-servers), for `server-info`. */
  codexProcesses(): ReturnType<CodexPool["list"]>;
  /** Warnings about Codex itself (e.g. a version newer than the newest tested), for `server-info`. */
  codexWarnings(): string[];
  /** Where tasks may run (docs/workers.md), each with how many run there, for `server-info`. */
  workers?(): Array<WorkerStatus & { running: number }>;
}

/** Where a planned task runs: in no worktree, a worktree made for it, or its thread's. */
export type PlannedWorktree =
  | { kind: "none" }
  /** Made for this task: removed again when the task is not created. */
  | { kind: "new"; info: WorktreeInfo }
  /** The worktree of thread `threadId` (a reply's, or a fork's that shares it). */
  | { kind: "inherited"; info: WorktreeInfo; threadId: string };

/** A checked task, ready to be created. */
export interface TaskPlan {
  /** The task's id (a new worktree's branch is named after it). */
  id: string;
  /** The request as it is recorded (review target, real paths, set-up resolved, asked cwd). */
  request: TaskRequest;
  /** The session as the task sees it (a task session's rights are bounded by its task's). */
  session: Session;
  /** Where Codex runs: the cwd, or its place in the worktree. */
  runCwd: string;
  worktree: PlannedWorktree;
  /**
   * The parameters of `thread/start` (or resume, fork) and `turn/start`, built once here; the
   * engine places them where the task runs (its cwd, or its workspace on a worker).
   */
  thread: ThreadSettings;
}

/** Forks of a thread (codex_fork), all checked: created all or none. */
export interface ForkPlan {
  threadId: string;
  /** The parent thread's worktree, if any: the forks are created under its lock. */
  parentWorktree: WorktreeInfo | null;
  forks: TaskPlan[];
}

/** What a plan reads of the engine: its tasks, threads and worktrees. */
export interface PlanFacts {
  /** A known task and its thread's sandbox (null until its thread opened). */
  task(id: string): { meta: TaskMeta; sandbox: SandboxPolicy | null } | undefined;
  /** The tasks recorded on `threadId` (any phase). */
  tasksOn(threadId: string): TaskMeta[];
  /** The worktree a thread works in (its newest task's, or the one recorded for it), or null. */
  worktreeOfThread(threadId: string): WorktreeInfo | null;
  /** Whether Codex has thread `threadId` (true when that cannot be told). */
  knowsThread(threadId: string, session: Session): Promise<boolean>;
  /**
   * The worker a task goes to when one is bound (a reply, fork or review of a remote task, or
   * `worker` asked), or null for wherever placement finds a slot; `worktree` says whether it
   * works in one.
   * @throws {Error} For a worker that cannot take it (unknown, `--no-local` without a worktree).
   */
  worker(request: TaskRequest, parent: TaskMeta | undefined, worktree: boolean): string | null;
  /** Codex's home (the supervisor's): where a `profile` is read from. */
  codexHome: string;
  worktrees: Pick<WorktreeManager, "resolveRepo" | "create" | "branchHead" | "discard">;
}
