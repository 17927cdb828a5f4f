/**
 * Where the app-servers' messages go: a notification is folded into its task's state with the
 * pure {@link applyEvent} and told to listeners; a server request (an approval, a question) makes
 * the task wait for an answer from its session, any client or top, with grants capped to the
 * session's ceiling; a server's exit ends the turns that ran on it.
 *
 * @example Not run: needs the engine's state: see app_engine.ts.
 * ```ts ignore
 * const routing = new EventRouting(state, ending);
 * routing.onEvent(server, event);
 * ```
 * @module
 */

import type { AppServer } from "../codex/app_server.ts";
import type { AppServerEvent, ServerRequest } from "../codex/events.ts";
import { applyEvent, describeStep } from "../codex/turn_state.ts";
import { Policy } from "../codex/policy.ts";
import type { Session } from "./engine_api.ts";
import { type EngineState, firstLine, nowIso } from "./engine_state.ts";
import { PendingQuestion } from "./pending_question.ts";
import { describeQuestion } from "./questions.ts";
import { pauseClock, runClock } from "./scheduling.ts";
import { grantWithin, mayBeAsked } from "./session_rights.ts";
import { isFinal } from "./task.ts";
import type { TaskEnding } from "./task_ending.ts";
import { sessionFromRecord, type TaskRecord } from "./task_record.ts";

/** How many answered questions a task keeps (the newest). */
const MAX_ANSWERED = 50;

/** Routes the app-servers' notifications, requests and exits to their tasks. */
export class EventRouting {
  constructor(private readonly state: EngineState, private readonly ending: TaskEnding) {}

  #recordFor(event: AppServerEvent | ServerRequest): TaskRecord | undefined {
    const threadId = event.threadId;
    const id = threadId === null ? undefined : this.state.byThread.get(threadId);
    return id === undefined ? undefined : this.state.tasks.get(id);
  }

  onEvent(_server: AppServer, event: AppServerEvent): void {
    const record = this.#recordFor(event);
    if (!record || isFinal(record.meta.phase)) return;
    const before = record.run;
    record.run = applyEvent(before, event);
    if (event.kind === "event" && event.method === "item/started") {
      const item = event.params.item as { type?: string; id?: string; changes?: unknown };
      if (item.type === "fileChange" && typeof item.id === "string") {
        record.changes.set(item.id, (Array.isArray(item.changes) ? item.changes : []) as never);
      }
    }
    if (event.kind === "event" && event.method === "turn/completed") {
      const turnId = event.params.turn.id;
      if (record.meta.turnId === null || record.meta.turnId === turnId) {
        record.turnEnded.resolve();
      }
    }
    this.state.emit(record, describeStep(before, record.run, event));
  }

  /** A question of Codex: the task waits for an answer from its session, any client or top. */
  onRequest(_server: AppServer, request: ServerRequest): Promise<unknown> {
    const state = this.state;
    const record = this.#recordFor(request);
    if (!record || isFinal(record.meta.phase)) {
      return Promise.reject(
        new Error(`codex-swarm has no running task on thread ${request.threadId}`),
      );
    }
    let params = (request.params ?? {}) as Record<string, unknown>;
    const capped: string[] = [];
    if (request.method === "item/permissions/requestApproval") {
      // A grant never exceeds the ceiling of the session that started the task.
      const operator = state.options.fallbackSession.policy ?? new Policy();
      const saved = record.meta.session;
      const policy = record.session?.policy ??
        (saved ? sessionFromRecord(saved, operator).policy : operator);
      const within = grantWithin((params.permissions ?? {}) as Record<string, unknown>, policy);
      params = { ...params, permissions: within.permissions };
      capped.push(...within.dropped);
    }
    const question = describeQuestion(request.method, params, record.changes);
    if (capped.length > 0) {
      question.message += ` (beyond the session's ceiling, not granted: ${capped.join(", ")})`;
    }
    const pending = new PendingQuestion(`q${++record.questions}`, question, (decision, by) => {
      if (record.pending === pending) record.pending = null;
      const answered = {
        kind: question.kind,
        message: question.message,
        decision,
        by,
        at: nowIso(),
      };
      record.meta.answered = [...(record.meta.answered ?? []), answered].slice(-MAX_ANSWERED);
      if (record.meta.phase === "waiting_approval") record.meta.phase = "running";
      runClock(record);
      state.save(record);
      state.emit(record, `Answered ${decision}: ${firstLine(question.message, 120)}`);
    });
    record.pending = pending;
    record.meta.phase = "waiting_approval";
    pauseClock(record);
    state.save(record);
    // Asked first, so a codex_wait of the same session knows it was told.
    if (record.session && mayBeAsked(record.session)) this.ask(record, record.session);
    state.emit(record, `Waiting for an answer: ${firstLine(question.message, 120)}`);
    return pending.reply;
  }

  /** Asks `session`'s client (MCP elicitation) to answer the task's pending question. */
  ask(record: TaskRecord, session: Session): void {
    const pending = record.pending;
    pending?.askWith(session, record.meta.id, this.state.log, () => {
      if (record.pending === pending) this.state.emit(record, null);
    });
  }

  onServerExit(server: AppServer, exit: Awaited<AppServer["exited"]>): void {
    for (const record of this.state.tasks.values()) {
      if (record.server !== server || isFinal(record.meta.phase)) continue;
      if (this.state.closed) {
        // The supervisor stops: the turn ends with its app-server, the thread stays resumable.
        this.ending.interrupt(record);
        continue;
      }
      record.serverGone = `Codex app-server (pid ${server.pid}) exited (${
        exit.signal ?? `code ${exit.code}`
      }) while the task ran`;
      record.turnEnded.resolve();
    }
  }
}
