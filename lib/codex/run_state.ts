/**
 * What a run (a task's turn) has done so far, folded from the app-server's thread items
 * ({@link ThreadItem}, `item/started` and `item/completed`) by a pure reducer: the state the task
 * views read. `./turn_state.ts` adds the rest of a turn (its status, usage, live detail).
 *
 * Memory stays bounded however long the run is: the state keeps counts, the latest values and
 * capped tails ({@link OUTPUT_TAIL_CHARS} of output, {@link WARNINGS_CAP} warnings,
 * {@link FILES_CHANGED_CAP} paths, {@link IN_FLIGHT_CAP} in-flight tool ids), never every item.
 * The state is plain JSON data, so it can be stored and compared as is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const item = { type: "webSearch" as const, id: "w1", query: "deno" };
 * const before = initialRunState();
 * const after = applyItem(before, "started", item);
 * assert.equal(describeItem(before, "started", item), "Searching: deno");
 * assert.equal(after.toolCalls.webSearches, 1);
 * ```
 * @module
 */

import { displayCommand, excerpt, jsonOf, tail, truncate } from "../base/text.ts";
import type {
  CommandExecutionItem,
  FileChangeItem,
  McpToolCallItem,
  ThreadItem,
  WebSearchItem,
} from "./events.ts";

/** How many characters of agent messages {@link RunState.output} keeps (the tail). */
export const OUTPUT_TAIL_CHARS = 16 * 1024;
/** How many warnings {@link RunState.warnings} keeps (the latest). */
export const WARNINGS_CAP = 20;
/** How long one warning may be, in characters. */
export const WARNING_MAX_CHARS = 500;
/** How many paths {@link RunState.filesChanged} keeps (the first seen). */
export const FILES_CHANGED_CAP = 500;
/** How many ids of started, not yet completed tool items the state remembers (the latest). */
export const IN_FLIGHT_CAP = 256;
/** How long {@link RunState.lastUnknown} may be, in characters. */
export const LAST_UNKNOWN_MAX_CHARS = 500;
/** How long {@link LastTool.summary} may be, in characters. */
export const SUMMARY_MAX_CHARS = 300;
/** How long a step message may be, in characters (one line of a progress notification). */
export const STEP_MAX_CHARS = 200;
/** How much of the reasoning being written {@link RunState.reasoning} keeps (the tail). */
export const REASONING_MAX_CHARS = 4 * 1024;

/** How many tool items a run has had, each counted once. */
export interface ToolCallCounts {
  total: number;
  commands: number;
  fileChanges: number;
  mcpToolCalls: number;
  webSearches: number;
}

/** The latest tool item seen. */
export interface LastTool {
  kind: "command" | "file_change" | "mcp_tool_call" | "web_search";
  /** The command as written, the files, `server.tool(args JSON, truncated)`, or the query. */
  summary: string;
  /**
   * `in_progress`, `completed`, `failed`, `declined`: Codex's status in snake_case. Web searches
   * carry no status: theirs is `in_progress` until `item/completed`, then `completed`.
   */
  status: string;
  /** Commands only: the exit code, null while running. */
  exitCode?: number | null;
  itemId: string;
}

/** One entry of the agent's to-do list (its plan). */
export interface TodoItem {
  text: string;
  completed: boolean;
}

/** Token usage (as Codex reports it). */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** 0 when Codex does not report it. */
  reasoningOutputTokens: number;
}

/** What is known about a run, from the notifications applied so far. */
export interface RunState {
  /** The thread the run is on. */
  threadId: string | null;
  /** `idle` until the turn starts; `completed` or `failed` once it ends. */
  turn: "idle" | "running" | "completed" | "failed";
  /** The text of the latest completed agent message. */
  finalMessage: string | null;
  /** The completed agent messages joined with "\n\n"; only the last {@link OUTPUT_TAIL_CHARS}. */
  output: string;
  /** The text of the latest reasoning. */
  reasoning: string | null;
  toolCalls: ToolCallCounts;
  lastTool: LastTool | null;
  /**
   * Unique paths of applied patches (file changes completed with status `completed`), in
   * first-seen order, at most {@link FILES_CHANGED_CAP}.
   */
  filesChanged: string[];
  /** The latest to-do list (the turn's plan). */
  todoList: TodoItem[];
  /** The run's token usage, null before Codex reports any. */
  usage: Usage | null;
  /** Why the turn failed; cleared by a new turn. */
  failure: string | null;
  /**
   * Non-fatal messages: retried errors (e.g. "Reconnecting... 1/5") and warnings. The latest
   * {@link WARNINGS_CAP}, each at most {@link WARNING_MAX_CHARS} characters. Not failures.
   */
  warnings: string[];
  /** Notifications of a method not known here, plus items of a type not known here. */
  unknownEvents: number;
  /** Notifications of a known method whose fields do not fit. */
  malformedLines: number;
  /** The latest unknown or malformed notification (as JSON), truncated. */
  lastUnknown: string | null;
  /** How many notifications have been applied. */
  events: number;
  /**
   * Internal: ids of tool items started but not yet completed, so each is counted once. The latest
   * {@link IN_FLIGHT_CAP}; a tool item still running after that many others started may be
   * counted twice.
   */
  inFlightToolIds: string[];
}

/** The state before any notification. */
export function initialRunState(): RunState {
  return {
    threadId: null,
    turn: "idle",
    finalMessage: null,
    output: "",
    reasoning: null,
    toolCalls: { total: 0, commands: 0, fileChanges: 0, mcpToolCalls: 0, webSearches: 0 },
    lastTool: null,
    filesChanged: [],
    todoList: [],
    usage: null,
    failure: null,
    warnings: [],
    unknownEvents: 0,
    malformedLines: 0,
    lastUnknown: null,
    events: 0,
    inFlightToolIds: [],
  };
}

/** Which notification an item came with: `item/started` or `item/completed`. */
export type ItemPhase = "started" | "completed";

type ToolItem = CommandExecutionItem | FileChangeItem | McpToolCallItem | WebSearchItem;
type ToolKind = LastTool["kind"];

type Counter = Exclude<keyof ToolCallCounts, "total">;

/** Each tool item type's kind (as {@link LastTool} says it) and the count it adds to. */
const TOOLS = {
  commandExecution: { kind: "command", counter: "commands" },
  fileChange: { kind: "file_change", counter: "fileChanges" },
  mcpToolCall: { kind: "mcp_tool_call", counter: "mcpToolCalls" },
  webSearch: { kind: "web_search", counter: "webSearches" },
} as const satisfies Record<ToolItem["type"], { kind: ToolKind; counter: Counter }>;

/** `warnings` with `message` added, truncated, keeping the latest {@link WARNINGS_CAP}. */
export function withWarning(warnings: string[], message: string): string[] {
  const next = [...warnings, truncate(message, WARNING_MAX_CHARS)];
  return next.length > WARNINGS_CAP ? next.slice(next.length - WARNINGS_CAP) : next;
}

/** `state` with one more unknown notification or item, `raw` (as JSON, truncated) the latest. */
export function withUnknown<S extends RunState>(state: S, raw: unknown): S {
  const lastUnknown = truncate(jsonOf(raw), LAST_UNKNOWN_MAX_CHARS);
  return { ...state, unknownEvents: state.unknownEvents + 1, lastUnknown };
}

/** `output` with one more agent message, keeping the last {@link OUTPUT_TAIL_CHARS}. */
function withOutput(output: string, text: string): string {
  const piece = tail(text, OUTPUT_TAIL_CHARS);
  return tail(output === "" ? piece : `${output}\n\n${piece}`, OUTPUT_TAIL_CHARS);
}

/** `files` with the paths of a patch added (first seen kept, at most {@link FILES_CHANGED_CAP}). */
function withFiles(files: string[], item: FileChangeItem): string[] {
  const next = [...new Set([...files, ...item.changes.map((change) => change.path)])];
  return next.length === files.length ? files : next.slice(0, FILES_CHANGED_CAP);
}

/** Codex's camelCase status (`inProgress`) in the snake_case the views show (`in_progress`). */
function statusWord(status: string): string {
  return status.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function filesSummary(item: FileChangeItem): string {
  return item.changes.map((change) => change.path).join(", ");
}

/** What a tool item is about, in one line: the command, the files, the MCP call, the query. */
function toolSummary(item: ToolItem): string {
  switch (item.type) {
    case "commandExecution":
      return displayCommand(item.command);
    case "fileChange":
      return filesSummary(item);
    case "mcpToolCall": {
      const args = item.arguments === undefined || item.arguments === null
        ? ""
        : truncate(jsonOf(item.arguments), 120);
      return `${item.server}.${item.tool}(${args})`;
    }
    case "webSearch":
      return item.query;
  }
}

function lastToolOf(item: ToolItem, phase: ItemPhase): LastTool {
  const tool: LastTool = {
    kind: TOOLS[item.type].kind,
    summary: truncate(toolSummary(item), SUMMARY_MAX_CHARS),
    // A web search has no status of its own: its phase says it.
    status: item.type === "webSearch"
      ? (phase === "completed" ? "completed" : "in_progress")
      : statusWord(item.status),
    itemId: item.id,
  };
  return item.type === "commandExecution" ? { ...tool, exitCode: item.exitCode ?? null } : tool;
}

/** Counts a tool item once and keeps the in-flight ids in step. */
function countTool(
  state: RunState,
  counter: Counter,
  id: string,
  phase: ItemPhase,
): Pick<RunState, "toolCalls" | "inFlightToolIds"> {
  const ids = state.inFlightToolIds;
  if (ids.includes(id)) {
    const inFlightToolIds = phase === "completed" ? ids.filter((known) => known !== id) : ids;
    return { toolCalls: state.toolCalls, inFlightToolIds };
  }
  const toolCalls = { ...state.toolCalls, total: state.toolCalls.total + 1 };
  toolCalls[counter] += 1;
  const inFlightToolIds = phase === "started" ? [...ids, id].slice(-IN_FLIGHT_CAP) : ids;
  return { toolCalls, inFlightToolIds };
}

function reasoningText(summary: string[], content: string[] | undefined): string {
  const text = summary.length > 0 ? summary.join("\n\n") : (content ?? []).join("\n\n");
  return tail(text, REASONING_MAX_CHARS);
}

/** The state after `item/started` or `item/completed` (`phase`) of `item`. Pure. */
export function applyItem<S extends RunState>(state: S, phase: ItemPhase, item: ThreadItem): S {
  switch (item.type) {
    case "userMessage":
    case "plan":
      return state;
    case "agentMessage":
      if (phase !== "completed") return state;
      return { ...state, finalMessage: item.text, output: withOutput(state.output, item.text) };
    case "reasoning":
      return { ...state, reasoning: reasoningText(item.summary, item.content) };
    case "other":
      return withUnknown(state, { method: `item/${phase}`, item: item.raw });
    case "commandExecution":
    case "fileChange":
    case "mcpToolCall":
    case "webSearch": {
      const next: S = {
        ...state,
        ...countTool(state, TOOLS[item.type].counter, item.id, phase),
        lastTool: lastToolOf(item, phase),
      };
      if (item.type === "fileChange" && phase === "completed" && item.status === "completed") {
        next.filesChanged = withFiles(state.filesChanged, item);
      }
      return next;
    }
  }
}

/** `text` as a step message: one line, at most {@link STEP_MAX_CHARS} characters. */
export function step(text: string): string {
  return excerpt(text, STEP_MAX_CHARS);
}

/**
 * The step message of `item/started` or `item/completed` (`phase`) of `item`, or null. Pure.
 * Steps: a command started ("Running: ls -la") or finished ("Command finished (exit 0): ls"), an
 * MCP tool call or web search started or finished, an applied patch ("Edited 2 files: a.ts,
 * b.ts"), an agent message ("Message: " and its first 80 characters), reasoning ("Thinking: ...").
 *
 * @param before The state before the item was applied (a tool already in flight is not told
 *   again).
 */
export function describeItem(before: RunState, phase: ItemPhase, item: ThreadItem): string | null {
  const again = before.inFlightToolIds.includes(item.id);
  switch (item.type) {
    case "commandExecution": {
      const command = displayCommand(item.command);
      if (phase === "started") return again ? null : step(`Running: ${command}`);
      const exit = item.exitCode === null || item.exitCode === undefined
        ? ""
        : ` (exit ${item.exitCode})`;
      if (item.status === "failed") return step(`Command failed${exit}: ${command}`);
      if (item.status === "declined") return step(`Command declined: ${command}`);
      return step(`Command finished${exit}: ${command}`);
    }
    case "fileChange": {
      if (phase !== "completed") return null;
      const n = item.changes.length;
      if (item.status === "completed") {
        return step(`Edited ${n} file${n === 1 ? "" : "s"}: ${filesSummary(item)}`);
      }
      return step(`File change ${statusWord(item.status)}: ${filesSummary(item)}`);
    }
    case "mcpToolCall": {
      const name = `${item.server}.${item.tool}`;
      if (phase === "started") return again ? null : step(`Calling tool: ${name}`);
      if (item.status === "failed") {
        const why = item.error?.message ? `: ${item.error.message}` : "";
        return step(`Tool call failed: ${name}${why}`);
      }
      return step(`Tool call finished: ${name}`);
    }
    case "webSearch":
      if (phase === "started") return again ? null : step(`Searching: ${item.query}`);
      return step(`Searched: ${item.query}`);
    case "agentMessage":
      return phase === "completed" ? step(`Message: ${excerpt(item.text, 80)}`) : null;
    case "reasoning": {
      if (phase !== "completed") return null;
      const text = reasoningText(item.summary, item.content).replace(/\*\*/g, "");
      return step(`Thinking: ${excerpt(text, 80)}`);
    }
    case "userMessage":
    case "plan":
    case "other":
      return null;
  }
}
