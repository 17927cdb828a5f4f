/**
 * What the MCP front-end (tools, resources, MCP Tasks) needs from a task engine, and what a
 * session of a client brings to the tasks it starts.
 *
 * The tools depend on this interface only, not on the engine's internals
 * (`./app_engine.ts`).
 *
 * @module
 */

import type { WorkerStatus } from "../workers/worker_pool.ts";
import type { ServerDefaults } from "../codex/codex_args.ts";
import type { PendingQuestionView, Phase, SessionKind, TaskRequest, TaskSnapshot } from "./task.ts";
import type { Policy } from "../codex/policy.ts";
import type { Decision } from "./questions.ts";
import type { ForkRequest } from "./fork.ts";
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
  questions?: Array<{ task_id: string } & PendingQuestionView>;
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
 * process that runs the engine.
 */
export interface Session {
  /** Unique per connection, e.g. `s-<random>`. */
  id: string;
  /**
   * `task` when the session was opened by a process of a task (a command it runs, an MCP server
   * Codex started for it), or when the supervisor cannot tell; `client` when it found the peer
   * process and that descends from no app-server of the supervisor's. Decided once, at the hello.
   */
  kind: SessionKind;
  /** For a task session: the task whose command opened it, when known; else null. */
  taskId: string | null;
  /** The session's `-c` defaults, `--skip-git-repo-check`, `--ephemeral`. */
  defaults: ServerDefaults;
  /** The session's default time limit in seconds (0: none). */
  taskTimeoutS: number;
  /** Where a task without `cwd` runs (the front-end's working directory, or the first root). */
  cwd: string;
  /** The environment Codex gets for this session's tasks. */
  env: Record<string, string>;
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

/** A long-lived Codex process the engine runs (an app-server), as `server-info` lists it. */
export interface CodexProcessInfo {
  pid: number;
  codex_home: string;
  version: string;
}

/** A task engine as the MCP front-end sees it. */
export interface Engine {
  /** Starts a task for `session` (or queues it when the cap is reached). Invalid requests throw. */
  start(request: TaskRequest, session: Session): Promise<TaskSnapshot>;
  /** The live view of one task, or undefined. */
  get(id: string): TaskSnapshot | undefined;
  /** The tasks known, newest first, optionally only those in the given phases. */
  list(phases?: readonly Phase[]): TaskSnapshot[];
  /** Settles when the task is final. */
  finished(id: string): Promise<TaskSnapshot>;
  /** Waits until all (or any) of the tasks are final, the timeout passes or the signal aborts. */
  wait(
    ids: string[],
    options: { mode: "all" | "any"; timeoutMs: number; signal?: AbortSignal; sessionId?: string },
  ): Promise<WaitResult>;
  /** Cancels a task and every process it started. Idempotent. */
  cancel(id: string): Promise<CancelResult>;
  /** Registers a listener for task changes; returns a function that removes it. */
  onChange(listener: ChangeListener): () => void;
  /** Removes old final tasks. */
  sweep(): Promise<string[]>;
  /**
   * Starts one task per prompt, each a fork of a thread (its history), all or none; returns them
   * at once. Invalid requests throw (see lib/tasks/fork.ts).
   */
  fork(request: ForkRequest, session: Session): Promise<TaskSnapshot[]>;
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
  /** The long-lived Codex processes it runs, for `server-info`. */
  codexProcesses(): CodexProcessInfo[];
  /** Warnings about Codex itself (e.g. a version newer than the newest tested), for `server-info`. */
  codexWarnings(): string[];
  /** Where tasks may run (docs/workers.md), each with how many run there, for `server-info`. */
  workers?(): Array<WorkerStatus & { running: number }>;
}
