/**
 * The task engine: runs Codex tasks in parallel up to a cap, queues the rest in FIFO order, follows
 * each task's JSONL into its live state, enforces time limits, cancels, commits worktrees, keeps
 * every task on disk, and picks up the tasks of an earlier server instance after a restart.
 *
 * Data flows one way: a request becomes a task; the task's Codex process writes JSONL to a file;
 * the file is followed as a Web stream of events; each event goes through the pure
 * {@link applyEvent} into the task's state; listeners are told of every change.
 *
 * @example
 * ```ts
 * const engine = new TaskEngine({ config, launcher: new DetachedLauncher(), store, worktrees, log, env });
 * await engine.init();
 * const task = await engine.start({ prompt: "fix the tests" });
 * const { tasks } = await engine.wait([task.meta.id], { mode: "all", timeoutMs: 60_000 });
 * ```
 * @module
 */

import { buildExecArgs, type RunOptions } from "./codex_args.ts";
import type { ServerConfig } from "./cli.ts";
import { followFile } from "./file_follow.ts";
import { parseJsonlStream } from "./jsonl_stream.ts";
import type { Logger } from "./log.ts";
import type { ExitStatus, ProcessLauncher } from "./process.ts";
import { applyEvent, describeStep, initialRunState, type RunState } from "./run_state.ts";
import {
  type Instance,
  isFinal,
  type Phase,
  type TaskMeta,
  type TaskRequest,
  type TaskSnapshot,
  type WorktreeOutcome,
} from "./task.ts";
import type { TaskStore } from "./task_store.ts";
import { Policy } from "./policy.ts";
import { checkTaskRequest, RequestError } from "./request_check.ts";
import { codexHomeOf } from "./client_env.ts";
import { findThreadRollout } from "./codex_threads.ts";
import { failureLine } from "./codex_stderr.ts";
import { commitTaskWork } from "./task_commit.ts";
import { ThreadLinks } from "./thread_links.ts";
import type { CancelResult, ChangeListener, Engine, Session, WaitResult } from "./engine_api.ts";

export type { CancelResult, ChangeListener, WaitResult };
import type { WorktreeInfo, WorktreeManager } from "./worktree.ts";

/** What {@link TaskEngine} needs. */
export interface EngineOptions {
  config: Pick<
    ServerConfig,
    "codexBin" | "defaults" | "maxParallel" | "taskTimeoutS" | "taskMaxAgeS"
  >;
  launcher: ProcessLauncher;
  store: TaskStore;
  worktrees: WorktreeManager;
  log: Logger;
  /** The environment Codex runs with. */
  env: Record<string, string>;
  /** How long a process gets between SIGTERM and SIGKILL (default 3000 ms). */
  killGraceMs?: number;
  /** How often to look for finished processes of an earlier instance (default 250 ms). */
  pollMs?: number;
  /** The directory a request without `cwd` runs in (default the server's working directory). */
  defaultCwd?: string;
  /** This server instance (default: this process). */
  self?: Instance;
  /** Waits between commit attempts of a task's worktree (default: task_commit.ts's). */
  commitRetryMs?: readonly number[];
  /** What callers may ask for (default: {@link Policy}'s defaults). */
  policy?: Policy;
}

const STDERR_TAIL_BYTES = 4096;
/** How often a task owned by another instance is looked at. */
const FOREIGN_POLL_MS = 500;

interface TaskRecord {
  meta: TaskMeta;
  run: RunState;
  stderrTail: string;
  /** Settles when the task reached a final phase. */
  done: Promise<void>;
  markDone: () => void;
  /** Serialises writes of meta.json. */
  saving: Promise<void>;
  timers: ReturnType<typeof setTimeout>[];
  /** Stops following the task's output (server shutdown). */
  stop: AbortController;
}

function nowIso(): string {
  return new Date().toISOString();
}

function newTaskId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}

function firstLine(text: string, max = 72): string {
  const line = text.split("\n", 1)[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Runs and tracks Codex tasks. */
export class TaskEngine implements Engine {
  #options: EngineOptions;
  #tasks = new Map<string, TaskRecord>();
  #queue: string[] = [];
  #active = new Set<string>();
  #listeners = new Set<ChangeListener>();
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #self: Instance;
  #links: ThreadLinks;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#links = new ThreadLinks(`${options.worktrees.worktreeDir}/.threads`);
    this.#self = options.self ??
      { pid: Deno.pid, startTime: options.launcher.startTimeOf(Deno.pid) };
  }

  /**
   * Loads the tasks on disk: replays finished ones, and takes over the unfinished ones whose
   * server instance is gone (adopting running processes, re-queueing queued tasks). Tasks that
   * another live instance runs are followed, not taken.
   */
  async init(): Promise<void> {
    const { store, log } = this.#options;
    await store.init();
    const metas = await store.loadAll((id, error) =>
      log.warning(`Cannot read task "${id}": ${error instanceof Error ? error.message : error}`)
    );
    metas.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    await Promise.all(metas.map((meta) => this.#load(meta)));
    this.#pump();
    const sweepMs = Math.min(600_000, Math.max(1000, this.#options.config.taskMaxAgeS * 250));
    this.#sweepTimer = setInterval(() => {
      this.sweep().catch((error) => log.error(`Sweep failed: ${error}`));
    }, sweepMs);
  }

  /** Stops watching (tasks keep running; a later instance picks them up). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    for (const record of this.#tasks.values()) {
      record.stop.abort();
      for (const timer of record.timers) clearTimeout(timer);
    }
  }

  /** Registers a listener for task changes; returns a function that removes it. */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts a task (or queues it when the cap is reached). Invalid requests throw. */
  async start(request: TaskRequest, _session?: Session): Promise<TaskSnapshot> {
    const policy = this.#options.policy ?? new Policy();
    // Everything is checked before anything (task, worktree, branch) is created.
    checkTaskRequest(request, policy);
    if (request.threadId !== undefined) this.#requireThread(request.threadId);
    const id = newTaskId();
    const cwd = await this.#resolveCwd(request.cwd);
    policy.checkPath(cwd, "cwd");
    let worktree: WorktreeInfo | null = null;
    let runCwd = cwd;
    const inherited = request.threadId !== undefined && request.worktree !== false
      ? this.#worktreeOfThread(request.threadId)
      : null;
    if (inherited) {
      const there = await Deno.stat(inherited.cwd).then((i) => i.isDirectory, () => false);
      if (!there) {
        throw new RequestError(
          "threadId",
          `Cannot continue thread "${request.threadId}" as its worktree ${inherited.path} ` +
            `(branch ${inherited.branch}) no longer exists; pass worktree: false to continue it ` +
            `in cwd instead`,
        );
      }
      worktree = inherited;
      runCwd = inherited.cwd;
    } else if (request.worktree) {
      const repo = await this.#options.worktrees.resolveRepo(cwd);
      policy.checkPath(repo.root, "the worktree's repository");
      worktree = await this.#options.worktrees.create(id, cwd, request.base);
      runCwd = worktree.cwd;
    }
    try {
      return await this.#create(id, request, cwd, runCwd, worktree);
    } catch (error) {
      // Undo what was made for the task: its directory, and a worktree and branch made for it.
      this.#tasks.delete(id);
      this.#queue = this.#queue.filter((q) => q !== id);
      await this.#options.store.remove(id);
      if (worktree && !inherited) {
        await this.#options.worktrees.discard(worktree).catch((e) =>
          this.#options.log.warning(`Cannot remove the worktree of task ${id}: ${e}`)
        );
      }
      throw error;
    }
  }

  async #create(
    id: string,
    request: TaskRequest,
    cwd: string,
    runCwd: string,
    worktree: WorktreeInfo | null,
  ): Promise<TaskSnapshot> {
    const meta: TaskMeta = {
      version: 1,
      id,
      phase: "queued",
      request: { ...request, cwd },
      createdAt: nowIso(),
      startedAt: null,
      endedAt: null,
      deadline: null,
      cwd: runCwd,
      argv: null,
      pid: null,
      pidStartTime: null,
      exit: null,
      threadId: request.threadId ?? null,
      finalMessage: null,
      failure: null,
      cancelRequested: false,
      timedOut: false,
      worktree,
      worktreeOutcome: null,
      owner: this.#self,
    };
    await this.#options.store.create(meta);
    const record = this.#addRecord(meta);
    this.#options.log.info(`Task ${id} created`, {
      worktree: worktree?.branch ?? null,
      ...(this.#options.log.enabled("debug") ? { prompt: request.prompt } : {}),
    });
    this.#queue.push(id);
    this.#pump();
    this.#emit(record, null);
    return this.#snapshot(record);
  }

  /** The live view of one task, or undefined. */
  get(id: string): TaskSnapshot | undefined {
    const record = this.#tasks.get(id) ?? this.#discover(id);
    return record ? this.#snapshot(record) : undefined;
  }

  /** The tasks known, newest first, optionally only those in the given phases. */
  list(phases?: readonly Phase[]): TaskSnapshot[] {
    for (const id of this.#options.store.idsSync()) {
      if (!this.#tasks.has(id)) this.#discover(id);
    }
    return [...this.#tasks.values()]
      .filter((r) => !phases || phases.includes(r.meta.phase))
      .sort((a, b) => b.meta.createdAt.localeCompare(a.meta.createdAt))
      .map((r) => this.#snapshot(r));
  }

  /** Settles when the task is final. */
  async finished(id: string): Promise<TaskSnapshot> {
    const record = this.#require(id, "wait for");
    await record.done;
    return this.#snapshot(record);
  }

  /**
   * Waits until all (or any) of the tasks are final, the timeout passes or the signal aborts;
   * never stops a task. Driven by task events, not by polling.
   */
  wait(
    ids: string[],
    options: { mode: "all" | "any"; timeoutMs: number; signal?: AbortSignal },
  ): Promise<WaitResult> {
    const records = ids.map((id) => this.#require(id, "wait for"));
    const holds = () =>
      options.mode === "all"
        ? records.every((r) => isFinal(r.meta.phase))
        : records.some((r) => isFinal(r.meta.phase));
    const result = (satisfied: boolean): WaitResult => ({
      satisfied,
      tasks: records.map((r) => this.#snapshot(r)),
    });
    if (records.length === 0 || holds()) return Promise.resolve(result(true));
    return new Promise<WaitResult>((resolve) => {
      const signal = AbortSignal.any([
        AbortSignal.timeout(options.timeoutMs),
        ...(options.signal ? [options.signal] : []),
      ]);
      const finish = (satisfied: boolean) => {
        off();
        signal.removeEventListener("abort", onAbort);
        resolve(result(satisfied));
      };
      const onAbort = () => finish(holds());
      const off = this.onChange((task) => {
        if (ids.includes(task.meta.id) && isFinal(task.meta.phase) && holds()) finish(true);
      });
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Cancels a task: stops it and every process it started, records `cancelled`. Idempotent. */
  async cancel(id: string): Promise<CancelResult> {
    const record = this.#require(id, "cancel");
    if (isFinal(record.meta.phase)) {
      return { alreadyFinished: true, task: this.#snapshot(record) };
    }
    await this.#options.store.requestCancel(id);
    if (this.#ownedByOther(record.meta)) {
      // Its owner records the end; stopping the process is enough to make it happen.
      if (record.meta.pid !== null) this.#options.launcher.killTree(record.meta.pid, "SIGTERM");
      const grace = (this.#options.killGraceMs ?? 3000) + 5000;
      await Promise.race([record.done, new Promise((r) => setTimeout(r, grace))]);
      return { alreadyFinished: false, task: this.#snapshot(record) };
    }
    record.meta.cancelRequested = true;
    if (record.meta.phase === "queued") {
      this.#queue = this.#queue.filter((q) => q !== id);
      await this.#finalize(record, null);
    } else {
      this.#save(record);
      if (record.meta.pid !== null) this.#kill(record);
      // A task still spawning is killed as soon as its process exists (see #launch).
    }
    await record.done;
    return { alreadyFinished: false, task: this.#snapshot(record) };
  }

  /** Removes final tasks older than the maximum age, with their worktree directories. */
  async sweep(): Promise<string[]> {
    const { config, store, worktrees, log } = this.#options;
    const cutoff = Date.now() - config.taskMaxAgeS * 1000;
    const removed: string[] = [];
    for (const record of [...this.#tasks.values()]) {
      const { meta } = record;
      if (!isFinal(meta.phase) || meta.endedAt === null) continue;
      if (Date.parse(meta.endedAt) > cutoff) continue;
      if (meta.worktree && this.#worktreeInUse(meta.worktree, meta.id)) continue;
      if (meta.worktree) {
        try {
          if (meta.worktreeOutcome?.error !== undefined && meta.request.commit !== false) {
            // The commit failed when the task ended: try again before anything is removed.
            meta.worktreeOutcome = await this.#commitWorktree(meta, meta.worktree);
            await this.#save(record);
          }
          // Only a worktree whose every change is committed on its branch is removed.
          const { removed, uncommitted } = await worktrees.removeWorktreeIfCommitted(
            meta.worktree,
          );
          if (!removed) {
            log.warning(
              `Keeping the worktree of task ${meta.id} at ${meta.worktree.path}: not committed: ` +
                uncommitted.slice(0, 10).join(", "),
            );
            continue;
          }
          if (!(await worktrees.branchHasUnmergedCommits(meta.worktree))) {
            await worktrees.discard(meta.worktree);
          }
        } catch (error) {
          log.warning(`Cannot clean up the worktree of task ${meta.id}: ${error}`);
          continue;
        }
      }
      await store.remove(meta.id);
      this.#tasks.delete(meta.id);
      removed.push(meta.id);
    }
    if (removed.length > 0) log.info(`Removed ${removed.length} old task(s)`, { removed });
    return removed;
  }

  // ---- internals ----

  #addRecord(meta: TaskMeta): TaskRecord {
    let markDone!: () => void;
    const done = new Promise<void>((resolve) => (markDone = resolve));
    const record: TaskRecord = {
      meta,
      run: initialRunState(),
      stderrTail: "",
      done,
      markDone,
      saving: Promise.resolve(),
      timers: [],
      stop: new AbortController(),
    };
    if (isFinal(meta.phase)) markDone();
    this.#tasks.set(meta.id, record);
    return record;
  }

  /** Adds a task read from disk: replays it, takes it over, or follows its live owner. */
  #load(meta: TaskMeta): Promise<void> {
    const record = this.#addRecord(meta);
    if (isFinal(meta.phase)) return this.#replay(record);
    if (this.#ownedByOther(meta)) this.#followForeign(record);
    else this.#takeOver(record);
    return Promise.resolve();
  }

  /** Loads a task that another instance created after this one started, if it exists. */
  #discover(id: string): TaskRecord | undefined {
    if (!/^[0-9a-zA-Z_-]{1,64}$/.test(id)) return undefined;
    const meta = this.#options.store.readSync(id);
    if (!meta || this.#tasks.has(id)) return this.#tasks.get(id);
    this.#load(meta).catch((error) =>
      this.#options.log.warning(`Cannot load task ${id}: ${error}`)
    );
    return this.#tasks.get(id);
  }

  /** Whether another live server instance owns the task. */
  #ownedByOther(meta: TaskMeta): boolean {
    const owner = meta.owner;
    if (!owner) return false;
    if (owner.pid === this.#self.pid && owner.startTime === this.#self.startTime) return false;
    return this.#options.launcher.isAlive(owner.pid, owner.startTime);
  }

  /** Makes this instance the owner of an unfinished task whose owner is gone. */
  #takeOver(record: TaskRecord): void {
    const { meta } = record;
    const { launcher, log } = this.#options;
    meta.owner = this.#self;
    if (meta.phase === "queued" || meta.pid === null) {
      meta.phase = "queued";
      this.#queue.push(meta.id);
      this.#save(record);
      return;
    }
    const alive = launcher.isAlive(meta.pid, meta.pidStartTime);
    log.info(`Took over task ${meta.id} of an earlier instance`, { pid: meta.pid, alive });
    this.#active.add(meta.id);
    this.#save(record);
    this.#watch(record, alive ? this.#pollExit(record) : Promise.resolve(null));
  }

  /**
   * Follows a task that another live instance owns: its events for the live view, its metadata
   * for its phase and end. Should the owner go away first, this instance takes the task over.
   */
  #followForeign(record: TaskRecord): void {
    const { store, launcher } = this.#options;
    const id = record.meta.id;
    const follower = followFile(store.eventsPath(id), { signal: record.stop.signal });
    const consumed = (async () => {
      const events = parseJsonlStream(follower.readable);
      for await (const parsed of events) {
        const before = record.run;
        record.run = applyEvent(before, parsed);
        this.#emit(record, describeStep(before, record.run, parsed));
      }
    })();
    const poll = async () => {
      if (record.stop.signal.aborted) return;
      const disk = store.readSync(id);
      if (disk && JSON.stringify(disk) !== JSON.stringify(record.meta)) {
        record.meta = disk;
        this.#emit(record, null);
      }
      if (isFinal(record.meta.phase)) {
        follower.finish();
        await consumed;
        record.stderrTail = await store.stderrTail(id, STDERR_TAIL_BYTES);
        record.markDone();
        this.#emit(record, null);
        return;
      }
      const owner = record.meta.owner;
      if (owner && !launcher.isAlive(owner.pid, owner.startTime)) {
        // The owner went away without finishing the task: start over from the files.
        record.stop.abort();
        await consumed.catch(() => {});
        record.stop = new AbortController();
        record.run = initialRunState();
        this.#takeOver(record);
        this.#pump();
        return;
      }
      record.timers.push(setTimeout(poll, FOREIGN_POLL_MS));
    };
    poll();
  }

  #require(id: string, verb: string): TaskRecord {
    const record = this.#tasks.get(id) ?? this.#discover(id);
    if (!record) throw new Error(`Cannot ${verb} task "${id}" as no such task is known`);
    return record;
  }

  async #resolveCwd(cwd: string | undefined): Promise<string> {
    const path = cwd ?? this.#options.defaultCwd ?? Deno.cwd();
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch {
      throw new Error(`Cannot use cwd "${path}" as it does not exist`);
    }
    if (!info.isDirectory) throw new Error(`Cannot use cwd "${path}" as it is not a directory`);
    return await Deno.realPath(path);
  }

  /** Refuses a thread Codex does not know: `exec resume` would silently start a new one. */
  #requireThread(threadId: string): void {
    if ([...this.#tasks.values()].some((r) => r.meta.threadId === threadId)) return;
    const home = codexHomeOf(this.#options.env);
    if (home === null || findThreadRollout(home, threadId) !== null) return;
    throw new RequestError(
      "threadId",
      `Cannot continue threadId "${threadId}" as Codex has no such thread in ${home}/sessions`,
    );
  }

  /** The worktree a thread works in: from a task known here, else from its link on disk. */
  #worktreeOfThread(threadId: string): WorktreeInfo | null {
    const owners = [...this.#tasks.values()]
      .filter((r) => r.meta.threadId === threadId && r.meta.worktree)
      .sort((a, b) => b.meta.createdAt.localeCompare(a.meta.createdAt));
    return owners[0]?.meta.worktree ?? this.#links.load(threadId);
  }

  #linkThread(threadId: string, info: WorktreeInfo): void {
    this.#links.save(threadId, info).catch((error) =>
      this.#options.log.error(`Cannot record the worktree of thread ${threadId}: ${error}`)
    );
  }

  #worktreeInUse(info: WorktreeInfo, exceptId: string): boolean {
    return [...this.#tasks.values()].some((r) =>
      r.meta.id !== exceptId && !isFinal(r.meta.phase) && r.meta.worktree?.path === info.path
    );
  }

  #snapshot(record: TaskRecord): TaskSnapshot {
    const { meta } = record;
    const from = Date.parse(meta.startedAt ?? meta.createdAt);
    const to = meta.endedAt ? Date.parse(meta.endedAt) : Date.now();
    return {
      meta: structuredClone(meta),
      run: record.run,
      stderrTail: record.stderrTail,
      elapsedMs: Math.max(0, to - from),
    };
  }

  #emit(record: TaskRecord, step: string | null): void {
    if (this.#listeners.size === 0) return;
    const snapshot = this.#snapshot(record);
    for (const listener of this.#listeners) {
      try {
        listener(snapshot, step);
      } catch (error) {
        this.#options.log.warning(`A task listener failed: ${error}`);
      }
    }
  }

  #save(record: TaskRecord): Promise<void> {
    const copy = structuredClone(record.meta);
    record.saving = record.saving
      .then(() => this.#options.store.save(copy))
      .catch((error) =>
        this.#options.log.error(`Cannot save task ${copy.id}: ${error}`, { id: copy.id })
      );
    return record.saving;
  }

  #pump(): void {
    while (!this.#closed && this.#active.size < this.#options.config.maxParallel) {
      const id = this.#queue.shift();
      if (id === undefined) return;
      const record = this.#tasks.get(id);
      if (!record || record.meta.phase !== "queued") continue;
      this.#active.add(id);
      this.#launch(record).catch((error) => {
        this.#options.log.error(`Task ${id} failed to start: ${error}`);
        record.meta.failure ??= error instanceof Error ? error.message : String(error);
        return this.#finalize(record, null);
      });
    }
  }

  async #launch(record: TaskRecord): Promise<void> {
    const { meta } = record;
    const { config, launcher, store } = this.#options;
    meta.phase = "starting";
    meta.startedAt = nowIso();
    const timeoutS = meta.request.timeoutS ?? config.taskTimeoutS;
    meta.deadline = timeoutS > 0 ? new Date(Date.now() + timeoutS * 1000).toISOString() : null;
    const { threadId, worktree: _w, base: _b, commit: _c, timeoutS: _t, ...codex } = meta.request;
    const run: RunOptions = { ...codex, cwd: meta.cwd ?? undefined, resumeThreadId: threadId };
    // The prompt goes on stdin: on argv a prompt over 128 KiB fails with E2BIG.
    meta.argv = buildExecArgs(run, config.defaults, { promptOnStdin: true });
    const promptPath = `${store.dir(meta.id)}/prompt.txt`;
    await Deno.writeTextFile(promptPath, meta.request.prompt, { mode: 0o600 });
    if (await store.cancelRequested(meta.id)) {
      meta.cancelRequested = true;
      await this.#finalize(record, null);
      return;
    }
    if (meta.worktree) {
      meta.worktreeStartHead = await this.#options.worktrees.branchHead(meta.worktree)
        .catch(() => null);
    }
    await this.#save(record);
    this.#emit(record, "Starting Codex");
    let spawned;
    try {
      spawned = await launcher.spawn({
        bin: config.codexBin,
        args: meta.argv,
        cwd: meta.cwd ?? Deno.cwd(),
        env: this.#options.env,
        stdoutPath: store.eventsPath(meta.id),
        stderrPath: store.stderrPath(meta.id),
        stdinPath: promptPath,
      });
    } catch (error) {
      meta.failure = error instanceof Error ? error.message : String(error);
      await this.#finalize(record, null);
      return;
    }
    meta.pid = spawned.pid;
    meta.pidStartTime = spawned.startTime;
    meta.phase = "running";
    this.#save(record);
    this.#options.log.info(`Task ${meta.id} running`, { pid: spawned.pid });
    this.#emit(record, null);
    if (meta.cancelRequested) this.#kill(record);
    this.#watch(record, spawned.exited);
  }

  /** For a process of an earlier instance: settles (with null) once it is gone. */
  #pollExit(record: TaskRecord): Promise<ExitStatus | null> {
    const { launcher } = this.#options;
    const pollMs = this.#options.pollMs ?? 250;
    return new Promise((resolve) => {
      const check = () => {
        if (record.stop.signal.aborted) return;
        if (!launcher.isAlive(record.meta.pid!, record.meta.pidStartTime)) resolve(null);
        else record.timers.push(setTimeout(check, pollMs));
      };
      check();
    });
  }

  #watch(record: TaskRecord, exited: Promise<ExitStatus | null>): void {
    const { meta } = record;
    if (meta.deadline !== null) {
      const ms = Math.max(0, Date.parse(meta.deadline) - Date.now());
      record.timers.push(setTimeout(() => {
        if (isFinal(meta.phase)) return;
        meta.timedOut = true;
        this.#options.log.warning(`Task ${meta.id} reached its time limit`);
        this.#save(record);
        this.#kill(record);
      }, ms));
    }
    const follower = followFile(this.#options.store.eventsPath(meta.id), {
      signal: record.stop.signal,
    });
    let exit: ExitStatus | null = null;
    exited.then((status) => {
      exit = status;
      follower.finish();
    });
    const consume = async () => {
      const events = parseJsonlStream(follower.readable);
      for await (const parsed of events) {
        const before = record.run;
        record.run = applyEvent(before, parsed);
        if (record.run.threadId !== null && record.run.threadId !== meta.threadId) {
          meta.threadId = record.run.threadId;
          this.#save(record);
          if (meta.worktree) this.#linkThread(meta.threadId, meta.worktree);
        }
        this.#emit(record, describeStep(before, record.run, parsed));
      }
      if (record.stop.signal.aborted) return;
      await this.#finalize(record, exit);
    };
    consume().catch((error) => {
      this.#options.log.error(`Cannot follow task ${meta.id}: ${error}`);
      meta.failure ??= `Cannot follow the task's output: ${error}`;
      return this.#finalize(record, exit);
    });
  }

  #kill(record: TaskRecord): void {
    const { pid, pidStartTime } = record.meta;
    if (pid === null) return;
    const { launcher } = this.#options;
    launcher.killTree(pid, "SIGTERM");
    record.timers.push(setTimeout(() => {
      if (isFinal(record.meta.phase) && !launcher.isAlive(pid, pidStartTime)) return;
      launcher.killTree(pid, "SIGKILL");
    }, this.#options.killGraceMs ?? 3000));
  }

  /**
   * After a stop was asked for: waits until no process of the task's group is left, sending
   * SIGKILL once the grace period has passed, so "cancelled" means every process is gone.
   */
  async #reap(pid: number): Promise<void> {
    const { launcher } = this.#options;
    const grace = this.#options.killGraceMs ?? 3000;
    const start = Date.now();
    let killed = false;
    while (launcher.groupAlive(pid)) {
      if (!killed && Date.now() - start >= grace) {
        launcher.killTree(pid, "SIGKILL");
        killed = true;
      }
      if (Date.now() - start >= grace + 2000) {
        this.#options.log.warning(`Processes of group ${pid} outlived SIGKILL`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Replays a finished task's events so its status shows everything. */
  async #replay(record: TaskRecord): Promise<void> {
    const follower = followFile(this.#options.store.eventsPath(record.meta.id));
    follower.finish();
    const events = parseJsonlStream(follower.readable);
    try {
      for await (const parsed of events) record.run = applyEvent(record.run, parsed);
    } catch (error) {
      this.#options.log.warning(`Cannot replay task ${record.meta.id}: ${error}`);
    }
    record.stderrTail = await this.#options.store.stderrTail(record.meta.id, STDERR_TAIL_BYTES);
  }

  /** Decides the final phase from what is known, commits the worktree, saves, tells listeners. */
  async #finalize(record: TaskRecord, exit: ExitStatus | null): Promise<void> {
    const { meta } = record;
    if (isFinal(meta.phase)) return;
    for (const timer of record.timers) clearTimeout(timer);
    record.timers = [];
    const { run } = record;
    if (await this.#options.store.cancelRequested(meta.id)) meta.cancelRequested = true;
    if ((meta.cancelRequested || meta.timedOut) && meta.pid !== null) await this.#reap(meta.pid);
    record.stderrTail = await this.#options.store.stderrTail(meta.id, STDERR_TAIL_BYTES);
    meta.exit = exit;
    meta.finalMessage = run.finalMessage;
    meta.threadId = run.threadId ?? meta.threadId;
    const stderrLine = failureLine(record.stderrTail);
    let phase: Phase;
    if (meta.cancelRequested) {
      phase = "cancelled";
    } else if (meta.timedOut) {
      phase = "timed_out";
      meta.failure = `Codex did not finish within the task's time limit (${
        meta.request.timeoutS ?? this.#options.config.taskTimeoutS
      } s)`;
    } else if (run.turn === "completed") {
      phase = "completed";
    } else if (run.turn === "failed") {
      phase = "failed";
      meta.failure = run.failure ?? "Codex reported the turn failed";
    } else if (meta.failure !== null) {
      phase = "failed";
    } else if (exit === null && meta.pid !== null) {
      phase = "lost";
      meta.failure = `Codex (pid ${meta.pid}) ended while no server was watching it, ` +
        `without a final event` + (stderrLine ? `; its stderr ends: ${stderrLine}` : "");
    } else {
      phase = "failed";
      const how = exit?.signal ? `was killed by ${exit.signal}` : `exited with code ${exit?.code}`;
      const warning = run.warnings.at(-1);
      meta.failure = `Codex ${how} without finishing the turn` +
        (warning ? `; last error: ${warning}` : "") +
        (stderrLine ? `; its stderr ends: ${stderrLine}` : "");
    }
    if (meta.worktree && meta.request.commit !== false && meta.startedAt !== null) {
      meta.worktreeOutcome = await this.#commitWorktree(meta, meta.worktree);
      if (meta.worktreeOutcome.error !== undefined && phase === "completed") {
        // "Completed, nothing changed" would hide work that is only in the worktree.
        phase = "failed";
        meta.failure =
          `Codex finished, but committing its work failed: ${meta.worktreeOutcome.error}`;
      }
    }
    meta.phase = phase;
    meta.endedAt = nowIso();
    await this.#save(record);
    this.#active.delete(meta.id);
    this.#options.log.info(`Task ${meta.id} ${phase}`, { failure: meta.failure });
    record.markDone();
    this.#emit(record, `Task ${phase.replace("_", " ")}`);
    this.#pump();
  }

  async #commitWorktree(meta: TaskMeta, info: WorktreeInfo): Promise<WorktreeOutcome> {
    const outcome = await commitTaskWork(
      this.#options.worktrees,
      info,
      `codex-swarm: task ${meta.id}: ${firstLine(meta.request.prompt)}`,
      meta.worktreeStartHead ?? null,
      this.#options.commitRetryMs,
    );
    if (outcome.error !== undefined) {
      this.#options.log.error(`Cannot commit the worktree of task ${meta.id}: ${outcome.error}`);
    }
    return outcome;
  }
}
