/**
 * The state of one app-server turn (a task), folded from the notifications of its thread by a pure
 * reducer. A {@link TurnState} is a {@link RunState} (what the items did, folded by `./run_state.ts`,
 * which the views of `lib/mcp/tools/task_view.ts` read) plus the turn's id and status, its own token
 * usage and the thread's total, whether it waits on an approval, and live detail (the message being
 * written, the running command's output, the plan, the diff stat).
 *
 * Memory stays bounded as in `./run_state.ts`: counts, latest values, capped tails. Deltas are
 * best-effort (Codex can miss chunks), so every final value comes from `item/completed`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * import { parseEvent } from "./events.ts";
 *
 * const notifications = [
 *   { method: "turn/started", params: { threadId: "t", turn: { id: "u", status: "inProgress", error: null, items: [] } } },
 *   { method: "turn/completed", params: { threadId: "t", turn: { id: "u", status: "completed", error: null, items: [] } } },
 * ];
 * let state = initialTurnState();
 * const steps: string[] = [];
 * for (const message of notifications) {
 *   const event = parseEvent(message);
 *   const next = applyEvent(state, event);
 *   const step = describeStep(state, next, event);
 *   if (step !== null) steps.push(step); // "Running: ls", "Turn completed (10 input, 5 output tokens)"
 *   state = next;
 * }
 * assert.deepEqual(steps, ["Turn completed"]);
 * ```
 * @module
 */

import { jsonOf, tail, truncate } from "../base/text.ts";
import {
  applyItem,
  describeItem,
  initialRunState,
  type ItemPhase,
  LAST_UNKNOWN_MAX_CHARS,
  REASONING_MAX_CHARS,
  type RunState,
  step,
  type Usage,
  withUnknown,
  withWarning,
} from "./run_state.ts";
import type {
  AppServerEvent,
  EventParams,
  KnownEvent,
  ThreadItem,
  Turn,
  TurnError,
} from "./events.ts";

type TokenUsageParams = EventParams<"thread/tokenUsage/updated">;

/** How much of the message being written {@link LiveDetail.message} keeps (the tail). */
export const LIVE_MESSAGE_CHARS = 4 * 1024;
/** How much of the running command's output {@link LiveDetail.commandOutput} keeps (the tail). */
export const LIVE_OUTPUT_CHARS = 8 * 1024;
/** How many plan steps {@link LiveDetail.plan} keeps (the first). */
export const PLAN_STEPS_CAP = 50;
/** How long one plan step may be, in characters. */
export const PLAN_STEP_MAX_CHARS = 300;

/** Where a turn is. */
export type TurnStatus = "idle" | "inProgress" | "completed" | "failed" | "interrupted";

/** Lines a unified diff adds and removes, over how many files. */
export interface DiffStat {
  files: number;
  insertions: number;
  deletions: number;
}

/** What is happening right now, for the full view. */
export interface LiveDetail {
  /** The agent message being written (from deltas), or the latest one once complete; a tail. */
  message: string;
  /** The output of the running command so far, or of the latest one once complete; a tail. */
  commandOutput: string;
  /** The latest plan (`turn/plan/updated`). */
  plan: Array<{ step: string; status: string }>;
  /** The stat of the turn's diff (`turn/diff/updated`), null before the first. */
  diffStat: DiffStat | null;
}

/** The state of one turn. */
export interface TurnState extends RunState {
  /** The turn's id, from `turn/started`. */
  turnId: string | null;
  /**
   * The sub-turn a review's turn runs (its own id, `rootTurnId` the review's turn), or null.
   * Interrupting the review's turn does not stop it in Codex 0.169; interrupting this does.
   */
  subTurnId?: string | null;
  turnStatus: TurnStatus;
  /**
   * This turn's own token usage: the thread's total now less the total before the turn (what
   * `last` of the turn's first update says was added), so a turn of several model requests
   * counts them all. Null before the first `thread/tokenUsage/updated` of the turn.
   */
  usage: Usage | null;
  /** The thread's running total (`total` of the latest update). */
  usageTotal: Usage | null;
  /** The `last` of the latest update: the latest model request alone. */
  usageLast: Usage | null;
  /** Internal: the thread's total before this turn, from its first usage update. */
  usageBase: Usage | null;
  /** Whether the thread waits on an approval or answer (`thread/status/changed`). */
  waitingOnApproval: boolean;
  live: LiveDetail;
}

/** The state before any notification. */
export function initialTurnState(): TurnState {
  return {
    ...initialRunState(),
    turnId: null,
    turnStatus: "idle",
    usage: null,
    usageTotal: null,
    usageLast: null,
    usageBase: null,
    waitingOnApproval: false,
    live: { message: "", commandOutput: "", plan: [], diffStat: null },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const USAGE_COUNTS: ReadonlyArray<keyof Usage> = [
  "inputTokens",
  "cachedInputTokens",
  "outputTokens",
  "reasoningOutputTokens",
];

/** The {@link Usage} counts of `usage` (a breakdown has more), less those of `base` (never below 0). */
function usageOf(usage: Usage, base?: Usage): Usage {
  return Object.fromEntries(
    USAGE_COUNTS.map((key) => [key, Math.max(0, usage[key] - (base?.[key] ?? 0))]),
  ) as Record<keyof Usage, number>;
}

/** The files, added and removed lines of a unified diff. */
export function diffStatOf(diff: string): DiffStat {
  const stat: DiffStat = { files: 0, insertions: 0, deletions: 0 };
  let inHeader = false;
  for (const line of diff.split("\n")) {
    if (line.startsWith("diff --git ")) {
      stat.files++;
      inHeader = true;
    } else if (line.startsWith("@@")) {
      inHeader = false;
    } else if (!inHeader && line.startsWith("+")) {
      stat.insertions++;
    } else if (!inHeader && line.startsWith("-")) {
      stat.deletions++;
    }
  }
  return stat;
}

// ---------------------------------------------------------------------------------------------
// Reducer
// ---------------------------------------------------------------------------------------------

/** The state after an item event: folded by `./run_state.ts`, plus the live detail. */
function applyThreadItem(state: TurnState, phase: ItemPhase, item: ThreadItem): TurnState {
  const next = applyItem(state, phase, item);
  if (item.type === "agentMessage") {
    return { ...next, live: { ...next.live, message: tail(item.text, LIVE_MESSAGE_CHARS) } };
  }
  if (item.type === "commandExecution") {
    const output = phase === "started"
      ? item.aggregatedOutput ?? ""
      : item.aggregatedOutput ?? state.live.commandOutput;
    return { ...next, live: { ...next.live, commandOutput: tail(output, LIVE_OUTPUT_CHARS) } };
  }
  return next;
}

/** A turn started: a fresh live view, and the turn that will complete. */
function turnStarted(state: TurnState, params: EventParams<"turn/started">): TurnState {
  const { turn } = params;
  return {
    ...state,
    threadId: state.threadId ?? params.threadId,
    // A review's turn runs a sub-turn (its own id, rootTurnId the review's): the root is
    // the turn that completes.
    turnId: turn.rootTurnId ?? turn.id,
    subTurnId: turn.rootTurnId && turn.rootTurnId !== turn.id ? turn.id : null,
    turnStatus: "inProgress",
    turn: "running",
    failure: null,
    usage: null,
    usageLast: null,
    usageBase: null,
    live: { message: "", commandOutput: "", plan: [], diffStat: null },
  };
}

/** The task's turn completed (another turn's completion changes nothing). */
function turnCompleted(state: TurnState, turn: Turn): TurnState {
  if (state.turnId !== null && turn.id !== state.turnId) return state;
  const status = turn.status === "inProgress" ? "completed" : turn.status;
  const failure = status === "completed"
    ? null
    : (turn.error ? describeTurnError(turn.error) : null) ?? state.failure ??
      (status === "interrupted" ? "Turn interrupted" : "Turn failed");
  return {
    ...state,
    turnId: turn.id,
    turnStatus: status,
    turn: status === "completed" ? "completed" : "failed",
    failure,
    waitingOnApproval: false,
  };
}

/** Token usage: the thread's totals, and this task's part of them (from its first report on). */
function usageUpdated(state: TurnState, { tokenUsage }: TokenUsageParams): TurnState {
  const total = usageOf(tokenUsage.total);
  const last = usageOf(tokenUsage.last);
  const base = state.usageBase ?? usageOf(total, last);
  return {
    ...state,
    usage: usageOf(total, base),
    usageTotal: total,
    usageLast: last,
    usageBase: base,
  };
}

function applyKnown(state: TurnState, event: KnownEvent): TurnState {
  switch (event.method) {
    case "thread/started":
      return { ...state, threadId: event.params.thread.id };
    case "thread/status/changed": {
      // Waiting on an approval or the user's input.
      const { status } = event.params;
      const waiting = status.type === "active" && Array.isArray(status.activeFlags) &&
        status.activeFlags.some((flag) =>
          flag === "waitingOnApproval" || flag === "waitingOnUserInput"
        );
      return waiting === state.waitingOnApproval ? state : { ...state, waitingOnApproval: waiting };
    }
    case "turn/started":
      return turnStarted(state, event.params);
    case "turn/completed":
      return turnCompleted(state, event.params.turn);
    case "item/started":
      return applyThreadItem(state, "started", event.params.item);
    case "item/completed":
      return applyThreadItem(state, "completed", event.params.item);
    case "item/agentMessage/delta": {
      const message = tail(state.live.message + event.params.delta, LIVE_MESSAGE_CHARS);
      return { ...state, live: { ...state.live, message } };
    }
    case "item/reasoning/summaryTextDelta":
      return {
        ...state,
        reasoning: tail((state.reasoning ?? "") + event.params.delta, REASONING_MAX_CHARS),
      };
    case "item/commandExecution/outputDelta": {
      const output = tail(state.live.commandOutput + event.params.delta, LIVE_OUTPUT_CHARS);
      return { ...state, live: { ...state.live, commandOutput: output } };
    }
    case "turn/diff/updated":
      return { ...state, live: { ...state.live, diffStat: diffStatOf(event.params.diff) } };
    case "turn/plan/updated": {
      // The plan, capped, as the live view's steps and the to-do list.
      const plan = event.params.plan.slice(0, PLAN_STEPS_CAP).map((entry) => ({
        step: truncate(entry.step, PLAN_STEP_MAX_CHARS),
        status: entry.status,
      }));
      const todoList = plan.map((entry) => ({
        text: entry.step,
        completed: entry.status === "completed",
      }));
      return { ...state, todoList, live: { ...state.live, plan } };
    }
    case "thread/tokenUsage/updated":
      return usageUpdated(state, event.params);
    case "error": {
      const { error, willRetry } = event.params;
      if (willRetry) return { ...state, warnings: withWarning(state.warnings, error.message) };
      return { ...state, failure: describeTurnError(error) };
    }
    case "warning":
      return { ...state, warnings: withWarning(state.warnings, event.params.message) };
    // Known, and nothing to fold: each is named, so that a notification added to EVENT_PARAMS
    // fails the type check here until it is folded or named too.
    case "serverRequest/resolved":
    case "account/rateLimits/updated":
    case "thread/readState/changed":
    case "configWarning":
    case "remoteControl/status/changed":
    case "thread/environment/connected": // their steps are told (describeStep)
    case "thread/environment/disconnected":
      return state;
  }
}

/** What the kinds of `codexErrorInfo` without an HTTP status say the model API answered. */
const ERROR_KINDS: Record<string, string> = {
  internalServerError: "the model API answered a server error, HTTP 5xx",
  badRequest: "the model API refused the request, HTTP 400",
  unauthorized: "the model API refused the credentials, HTTP 401",
  rateLimitExceeded: "the model API rate-limits, HTTP 429",
  usageLimitExceeded: "the usage limit is reached, HTTP 429",
  serverOverloaded: "the model API is overloaded, HTTP 503",
};

/**
 * A turn error's message with what `codexErrorInfo` adds: its kind and the HTTP status the model
 * API answered (Codex's messages often name neither, e.g. "We're currently experiencing high
 * demand" for a 500). Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   describeTurnError({
 *     message: "busy",
 *     codexErrorInfo: { responseTooManyFailedAttempts: { httpStatusCode: 500 } },
 *   }),
 *   "busy (responseTooManyFailedAttempts, HTTP 500)",
 * );
 * ```
 */
export function describeTurnError(error: TurnError): string {
  const info = error.codexErrorInfo;
  let kind: string | null = null;
  let status: unknown = null;
  if (typeof info === "string") kind = info;
  else if (info !== null && typeof info === "object") {
    const [name, value] = Object.entries(info)[0] ?? [];
    kind = name ?? null;
    status = (value as { httpStatusCode?: unknown } | undefined)?.httpStatusCode ?? null;
  }
  const parts: string[] = [];
  if (kind !== null && kind !== "other" && !error.message.includes(kind)) {
    parts.push(
      typeof status !== "number" && ERROR_KINDS[kind] ? `${kind}: ${ERROR_KINDS[kind]}` : kind,
    );
  }
  if (typeof status === "number" && !error.message.includes(String(status))) {
    parts.push(`HTTP ${status}`);
  }
  return parts.length > 0 ? `${error.message} (${parts.join(", ")})` : error.message;
}

/**
 * The state after one more notification. Pure: `state` is not changed, and the result shares the
 * parts that did not change with it. A notification of another thread than the state's (once it
 * knows its thread) is counted and otherwise ignored, so one listener can feed every task.
 */
export function applyEvent(state: TurnState, event: AppServerEvent): TurnState {
  const counted: TurnState = { ...state, events: state.events + 1 };
  const thread = event.threadId;
  if (state.threadId !== null && thread !== null && thread !== state.threadId) return state;
  switch (event.kind) {
    case "event":
      return applyKnown(counted, event);
    case "unknown":
      return withUnknown(counted, { method: event.method, params: event.params });
    case "malformed":
      return {
        ...counted,
        malformedLines: counted.malformedLines + 1,
        lastUnknown: truncate(
          `${event.method}: ${event.problem ?? ""} ${jsonOf(event.params)}`,
          LAST_UNKNOWN_MAX_CHARS,
        ),
      };
  }
}

// ---------------------------------------------------------------------------------------------
// Step messages
// ---------------------------------------------------------------------------------------------

/**
 * A short message for a progress notification when `event` is a step worth telling a person
 * about, or null. Pure. The steps of items (`describeItem` of `./run_state.ts`: commands, patches,
 * MCP calls, searches, messages, reasoning), plan changes, warnings, "Waiting for approval" when the
 * thread starts waiting, and the end of the turn ("Turn completed", "Turn failed: ...", "Turn
 * interrupted").
 *
 * @param before The state before `event` was applied.
 * @param after The state after (`applyEvent(before, event)`).
 * @param event The notification just applied.
 */
export function describeStep(
  before: TurnState,
  after: TurnState,
  event: AppServerEvent,
): string | null {
  if (event.kind !== "event" || after === before) return null;
  switch (event.method) {
    case "item/started":
      return describeItem(before, "started", event.params.item);
    case "item/completed":
      return describeItem(before, "completed", event.params.item);
    case "turn/completed": {
      if (after.turnStatus === "interrupted") return "Turn interrupted";
      if (after.turnStatus === "failed") return step(`Turn failed: ${after.failure ?? ""}`);
      const usage = after.usage;
      return usage === null
        ? "Turn completed"
        : `Turn completed (${usage.inputTokens} input, ${usage.outputTokens} output tokens)`;
    }
    case "turn/plan/updated": {
      if (jsonOf(before.live.plan) === jsonOf(after.live.plan)) return null;
      const done = after.live.plan.filter((entry) => entry.status === "completed").length;
      return step(`Plan: ${done}/${after.live.plan.length} done`);
    }
    case "thread/status/changed":
      return after.waitingOnApproval && !before.waitingOnApproval ? "Waiting for approval" : null;
    case "error":
      return event.params.willRetry ? step(`Warning: ${event.params.error.message}`) : null;
    case "warning":
      return step(`Warning: ${event.params.message}`);
    case "thread/environment/disconnected":
      // The worker's pool gives it its grace; past it the task fails, naming the worker.
      return step(`Worker environment ${event.params.environmentId} disconnected`);
    case "thread/environment/connected":
      return step(`Worker environment ${event.params.environmentId} connected`);
    default:
      return null;
  }
}
