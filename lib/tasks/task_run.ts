/**
 * One run of a task: its clock, its app-server, its thread (new, resumed or forked) with the
 * sandbox capped to its session's ceiling, its worktree's set-up, its turn until the turn ends,
 * its check; then its end (task_ending.ts). Also what stops a running turn (cancel, time limit).
 *
 * @example Not run: needs the engine's state: see app_engine.ts.
 * ```ts ignore
 * const runs = new TaskRun(state, ending);
 * runs.start(record);
 * ```
 * @module
 */

import type { AppServer } from "../codex/app_server.ts";
import { capSandbox } from "../codex/configured_sandbox.ts";
import { stopTurn } from "../codex/stop_turn.ts";
import { type CommandOutcome, runSandboxed } from "../codex/sandboxed_command.ts";
import { checkAddDirsSandbox, placeThread, threadSettings } from "../codex/thread_params.ts";
import { readProjectContext } from "../codex/project_context.ts";
import { projectDocsChange } from "../codex/project_docs.ts";
import { hasSetup, setUpWorktree } from "../git/worktree_setup.ts";
import { describeCheck, runTaskCheck } from "./attempt_check.ts";
import type { Session } from "./engine_api.ts";
import { type EngineState, nowIso } from "./engine_state.ts";
import { messageOf } from "../base/errors.ts";
import { runClock } from "./scheduling.ts";
import { isFinal, type SessionRecord } from "./task.ts";
import { taskEnd } from "./task_end.ts";
import type { TaskEnding } from "./task_ending.ts";
import type { TaskRecord } from "./task_record.ts";
import { openThread, startTurn } from "./thread_turn.ts";
import { TimeBudget } from "./time_budget.ts";

/** Runs tasks. */
export class TaskRun {
  constructor(private readonly state: EngineState, private readonly ending: TaskEnding) {}

  /** Runs a task the scheduler let start; a failure ends it `failed` with the error. */
  start(record: TaskRecord): void {
    this.#run(record).catch(async (error) => {
      this.state.log.error(`Task ${record.meta.id} failed: ${error?.stack ?? error}`, {
        session: record.meta.session?.id,
      });
      record.meta.failure ??= messageOf(error);
      await this.ending.finalize(record);
    });
  }

  /** Runs one task: its thread and turn, until the turn ends; then records the end. */
  async #run(record: TaskRecord): Promise<void> {
    const state = this.state;
    const { meta } = record;
    const session = record.session ?? meta.session ?? state.options.fallbackSession;
    meta.phase = "starting";
    meta.startedAt = nowIso();
    if (meta.worktree) {
      // Where the branch was: the task's own commit and files are what it adds to this.
      meta.worktreeStartHead = await state.options.worktrees.branchHead(meta.worktree)
        .catch(() => null);
    }
    this.#startClock(record, meta.request.timeoutS ?? session.taskTimeoutS);
    await state.save(record);
    state.emit(record, "Starting Codex");
    const server = await state.serverFor(session);
    record.server = server;
    record.commandEnv = state.commandEnv(session);
    if (meta.cancelRequested || meta.timedOut) return await this.ending.finalize(record);
    const { threadId, turn } = await this.#open(record, server, session);
    if (meta.cancelRequested || meta.timedOut) return await this.ending.finalize(record);
    checkAddDirsSandbox(meta.request.addDirs, record.sandbox!);
    if (meta.worktree && hasSetup(meta.request) && !await this.#setUp(record)) {
      return await this.ending.finalize(record);
    }
    meta.turnId = await startTurn(server, threadId, meta.request, turn);
    if (meta.phase === "starting") meta.phase = "running";
    state.save(record);
    state.log.info(`Task ${meta.id} running`, {
      session: meta.session?.id,
      threadId,
      turnId: meta.turnId,
    });
    state.emit(record, null);
    if (meta.cancelRequested || meta.timedOut) this.stopTurn(record);
    await record.turnEnded.promise;
    // A worker in its grace decides: back, the task goes on; down, it failed (worker_loss.ts).
    meta.workerLost ??= await state.remote.settle(meta) ?? undefined;
    if (meta.request.check !== undefined) await this.#runCheck(record, meta.request.check);
    await this.ending.finalize(record);
  }

  /** Starts the task's time limit (none for 0 seconds). */
  #startClock(record: TaskRecord, timeoutS: number): void {
    const { meta } = record;
    record.budget = new TimeBudget(timeoutS > 0 ? timeoutS * 1000 : null, () => {
      if (isFinal(meta.phase)) return;
      meta.timedOut = true;
      this.state.log.warning(`Task ${meta.id} reached its time limit`, {
        session: meta.session?.id,
      });
      this.state.save(record);
      this.stopTurn(record);
    });
    runClock(record);
  }

  /**
   * Opens the task's thread (new, resumed or forked) and records it; returns what its turn starts
   * with.
   */
  async #open(record: TaskRecord, server: AppServer, session: Session | SessionRecord) {
    const state = this.state;
    const { meta } = record;
    // On a worker: its workspace there, and the worker's environment on this app-server.
    const place = state.remote.isRemote(meta)
      ? await state.remote.open(server, meta, state.remoteOfWorktree(meta))
      : state.remote.localPlace(meta.cwd!);
    // Its plan's settings, placed where it runs (a task a restart queued again has no plan in
    // memory: its settings come from its record).
    const settings = record.thread ??
      threadSettings(meta.request, session.defaults, server.info.codexHome);
    const params = placeThread(settings, place?.cwd ?? meta.cwd!);
    if (place) params.thread.environments = place.environments;
    // The session's environment reaches the commands inside the sandbox, not Codex itself.
    if (Object.keys(record.commandEnv).length > 0) {
      params.thread.config = {
        ...params.thread.config,
        "shell_environment_policy.set": record.commandEnv,
      };
    }
    // The thread a reply or fork goes on with, to tell it of changed AGENTS.md instructions.
    const continued = meta.threadId ?? meta.request.forkOf?.threadId ?? null;
    // The project's instructions as shipped: read from the local worktree.
    const context = await readProjectContext(server, { ...params.thread, cwd: meta.cwd! });
    const opened = await openThread(server, meta.request, meta.threadId, params.thread, context);
    const threadId = opened.threadId;
    // A new thread has them in its developer instructions (thread_turn.ts).
    const docs = projectDocsChange(state.projectDocsOf(continued, meta.id), context.docs);
    meta.projectDocs = docs.digest;
    meta.threadId = threadId;
    // A reply or fork inherits its thread's sandbox: never wider than this session's ceiling.
    const capped = capSandbox(
      opened.sandbox,
      (session as Session).policy?.maxSandbox ?? (session as SessionRecord).maxSandbox ?? null,
      meta.request.addDirs ?? [],
    );
    record.sandbox = capped ?? opened.sandbox;
    state.byThread.set(threadId, meta.id);
    if (meta.worktree) {
      state.links.save(threadId, meta.worktree).catch((error) =>
        state.log.error(`Cannot record the worktree of thread ${threadId}: ${error}`)
      );
    }
    return {
      threadId,
      turn: {
        input: params.input,
        sandbox: capped,
        update: continued === null ? null : docs.update,
        environments: params.thread.environments,
      },
    };
  }

  /** Runs the worktree's set-up; false when the task is to end (it failed, or was stopped). */
  async #setUp(record: TaskRecord): Promise<boolean> {
    const { meta } = record;
    const remote = this.state.remote;
    const { record: done, failure } = await setUpWorktree(meta.worktree!, meta.request, {
      run: (command) => this.runCommand(record, command),
      // On a worker the files go to its worktree there (the task runs there).
      copyFiles: remote.isRemote(meta)
        ? (from, paths) => remote.copyIgnored(meta, from, paths)
        : undefined,
      step: (text) => this.state.emit(record, text),
      log: this.state.log,
      taskId: meta.id,
    });
    meta.setup = done;
    meta.failure = failure ?? meta.failure;
    this.state.save(record);
    return !(failure !== null || meta.cancelRequested || meta.timedOut);
  }

  /** Runs the task's check once its turn completed, on its committed work (attempt_check.ts). */
  async #runCheck(record: TaskRecord, command: string): Promise<void> {
    const state = this.state;
    const { meta } = record;
    if (!record.server || taskEnd(meta, record.run, record.serverGone).phase !== "completed") {
      return;
    }
    meta.check = await runTaskCheck(command, {
      commit: async () =>
        meta.worktree && meta.request.commit !== false
          ? meta.worktreeOutcome = await this.ending.commitWorktree(meta)
          : null,
      running: (check) => {
        meta.check = check;
        state.save(record);
        state.emit(record, describeCheck(check));
      },
      run: (line) => this.runCommand(record, line),
      dropLeftovers: () =>
        state.remote.isRemote(meta)
          ? state.remote.dropLeftovers(meta)
          : state.options.worktrees.dropUncommitted(meta.worktree!),
      timedOut: () => meta.timedOut,
    });
    state.emit(record, describeCheck(meta.check));
  }

  /**
   * Runs a shell command of the task (its worktree set-up, its check) in the task's sandbox and
   * cwd; a cancel or the time limit terminates it.
   */
  runCommand(record: TaskRecord, command: string): Promise<CommandOutcome> {
    const server = record.server;
    if (!server || !record.sandbox) {
      return Promise.reject(
        new Error(`Cannot run ${JSON.stringify(command)}: Codex is not running`),
      );
    }
    if (this.state.remote.isRemote(record.meta)) {
      const { meta, commandEnv, stopping, sandbox } = record;
      return this.state.remote.runCommand(meta, command, commandEnv, stopping.signal, sandbox);
    }
    return runSandboxed(server, {
      command,
      cwd: record.meta.cwd!,
      sandbox: record.sandbox,
      env: record.commandEnv,
      timeoutMs: null, // the task's time budget stops it, through `stopping`
      signal: record.stopping.signal,
    });
  }

  /** Ends the task's turn and every process it started; the turn's end finalizes the task. */
  stopTurn(record: TaskRecord): void {
    const { meta } = record;
    record.stopping.abort();
    record.pending?.answer("cancel", "codex-swarm");
    if (!record.server || !meta.threadId || !meta.turnId) return; // #run checks the flags
    const sub = record.run.subTurnId ?? meta.turnId; // a review's sub-turn (see turn_state.ts)
    stopTurn(record.server, meta.threadId, meta.turnId, sub).catch((error: unknown) => {
      this.state.log.warning(`Cannot stop the turn of task ${meta.id}: ${error}`);
    }).finally(() => {
      // Should Codex not report the end of the turn, the stop still ends the task.
      setTimeout(() => record.turnEnded.resolve(), 2000);
    });
  }
}
