/**
 * The state of one `codex exec --json` run, folded from its parsed lines by a pure reducer.
 *
 * Memory stays bounded however long the run is: the state keeps counts, the latest values and
 * capped tails ({@link OUTPUT_TAIL_CHARS} of output, {@link WARNINGS_CAP} warnings,
 * {@link FILES_CHANGED_CAP} paths, {@link IN_FLIGHT_CAP} in-flight tool ids), never every item.
 * The state is plain JSON data, so it can be stored and compared as is.
 *
 * @example
 * ```ts
 * import { parseEventLine } from "./codex_events.ts";
 * import { applyEvent, describeStep, initialRunState } from "./run_state.ts";
 *
 * const jsonl = '{"type":"turn.started"}\n{"type":"turn.failed","error":{"message":"boom"}}';
 * let state = initialRunState();
 * for (const line of jsonl.split("\n")) {
 *   const parsed = parseEventLine(line);
 *   if (parsed === null) continue;
 *   const next = applyEvent(state, parsed);
 *   const step = describeStep(state, next, parsed);
 *   if (step !== null) console.log(step); // "Turn failed: boom"
 *   state = next;
 * }
 * console.log(state.turn, state.failure); // "failed" "boom"
 * ```
 * @module
 */

import type {
  CodexEvent,
  CodexItem,
  CommandExecutionItem,
  FileChangeItem,
  ItemEvent,
  McpToolCallItem,
  ParsedLine,
  WebSearchItem,
} from "./codex_events.ts";

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
/** How long a step message of {@link describeStep} may be, in characters. */
export const STEP_MAX_CHARS = 200;

/** How many tool items a run has had, each counted once. */
export interface ToolCallCounts {
  /** All tool items, including kinds without a counter of their own (`collab_tool_call`). */
  total: number;
  commands: number;
  fileChanges: number;
  mcpToolCalls: number;
  webSearches: number;
}

/** The latest tool item seen. */
export interface LastTool {
  kind: "command" | "file_change" | "mcp_tool_call" | "web_search";
  /** The command line, the files, `server.tool(args JSON, truncated)`, or the search query. */
  summary: string;
  /**
   * `in_progress`, `completed`, `failed`, `declined`... as Codex reports it. Web searches carry
   * no status: theirs is `in_progress` until `item.completed`, then `completed`.
   */
  status: string;
  /** Commands only: the exit code, null while running. */
  exitCode?: number | null;
  itemId: string;
}

/** One entry of the agent's to-do list. */
export interface TodoItem {
  text: string;
  completed: boolean;
}

/** Token usage, cumulative over the thread (as Codex reports it). */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** 0 when Codex does not report it. */
  reasoningOutputTokens: number;
}

/** What is known about a run, from the lines applied so far. */
export interface RunState {
  /** From `thread.started`; the id `codex exec resume` takes. */
  threadId: string | null;
  /** `idle` until `turn.started`; `completed` or `failed` once the turn ends. */
  turn: "idle" | "running" | "completed" | "failed";
  /** The text of the latest completed `agent_message`. */
  finalMessage: string | null;
  /** The completed agent messages joined with "\n\n"; only the last {@link OUTPUT_TAIL_CHARS}. */
  output: string;
  /** The text of the latest reasoning item. */
  reasoning: string | null;
  toolCalls: ToolCallCounts;
  lastTool: LastTool | null;
  /**
   * Unique paths of successfully applied patches (`file_change` items completed with status
   * `completed`), in first-seen order, at most {@link FILES_CHANGED_CAP}.
   */
  filesChanged: string[];
  /** The latest to-do list. */
  todoList: TodoItem[];
  /** From the latest `turn.completed`. */
  usage: Usage | null;
  /** The message of `turn.failed`; cleared by a new `turn.started`. */
  failure: string | null;
  /**
   * Non-fatal messages: `error` items, top-level `error` events (e.g. "Reconnecting... 1/5") and
   * questions the model asked. The latest {@link WARNINGS_CAP}, each at most
   * {@link WARNING_MAX_CHARS} characters. These are not failures.
   */
  warnings: string[];
  /** Lines of an unknown event type, plus item events whose item is of an unknown type. */
  unknownEvents: number;
  /** Lines that are not JSON, not an event object, or a known event with fields that do not fit. */
  malformedLines: number;
  /** The latest unknown or malformed line (raw JSON or the line), truncated. */
  lastUnknown: string | null;
  /** How many parsed lines have been applied. */
  events: number;
  /**
   * Internal: ids of tool items started but not yet completed, so each is counted once. The latest
   * {@link IN_FLIGHT_CAP}; a tool item still running after that many others started may be
   * counted twice.
   */
  inFlightToolIds: string[];
}

/** The state before any line. */
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

// ---------------------------------------------------------------------------------------------
// String helpers
// ---------------------------------------------------------------------------------------------

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** `text` cut to at most `max` characters, ending in "…" when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end) + "…";
}

/** The last `max` characters of `text`; never starts in the middle of a surrogate pair. */
export function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  let start = text.length - max;
  if (isLowSurrogate(text.charCodeAt(start))) start++;
  return text.slice(start);
}

/** `text` on one line: runs of whitespace become one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** `value` as JSON, or as a string when it cannot be. */
export function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Reducer
// ---------------------------------------------------------------------------------------------

type ToolKind = LastTool["kind"];
/** The phase of an item event. */
export type ItemPhase = ItemEvent["type"];
type Phase = ItemPhase;
type ToolItem = CommandExecutionItem | FileChangeItem | McpToolCallItem | WebSearchItem;

const KIND_OF = {
  command_execution: "command",
  file_change: "file_change",
  mcp_tool_call: "mcp_tool_call",
  web_search: "web_search",
} as const satisfies Record<ToolItem["type"], ToolKind>;

const COUNTER_OF = {
  command: "commands",
  file_change: "fileChanges",
  mcp_tool_call: "mcpToolCalls",
  web_search: "webSearches",
} as const satisfies Record<ToolKind, Exclude<keyof ToolCallCounts, "total">>;

/** `warnings` with `message` added, truncated, keeping the latest {@link WARNINGS_CAP}. */
export function withWarning(warnings: string[], message: string): string[] {
  const next = [...warnings, truncate(message, WARNING_MAX_CHARS)];
  return next.length > WARNINGS_CAP ? next.slice(next.length - WARNINGS_CAP) : next;
}

/** `output` with one more agent message, keeping the last {@link OUTPUT_TAIL_CHARS}. */
export function withOutput(output: string, text: string): string {
  const piece = tail(text, OUTPUT_TAIL_CHARS);
  return tail(output === "" ? piece : `${output}\n\n${piece}`, OUTPUT_TAIL_CHARS);
}

/** `files` with the paths of a patch added (first seen kept, at most {@link FILES_CHANGED_CAP}). */
export function withFiles(
  files: string[],
  item: { changes: ReadonlyArray<{ path: string }> },
): string[] {
  let next = files;
  for (const change of item.changes) {
    if (next.length >= FILES_CHANGED_CAP) break;
    if (next.includes(change.path)) continue;
    if (next === files) next = [...files];
    next.push(change.path);
  }
  return next;
}

/** The files of a patch, joined. */
export function filesSummary(item: { changes: ReadonlyArray<{ path: string }> }): string {
  return item.changes.map((change) => change.path).join(", ");
}

/** `server.tool(arguments as JSON)`, the arguments cut short. */
function mcpSummary(item: McpToolCallItem): string {
  const args = item.arguments === undefined || item.arguments === null
    ? ""
    : truncate(jsonOf(item.arguments), 120);
  return `${item.server}.${item.tool}(${args})`;
}

/** What a tool item is about, in one line: the command, the files, the MCP call, the query. */
function toolSummary(item: ToolItem): string {
  switch (item.type) {
    case "command_execution":
      return item.command;
    case "file_change":
      return filesSummary(item);
    case "mcp_tool_call":
      return mcpSummary(item);
    case "web_search":
      return item.query;
  }
}

function lastToolOf(item: ToolItem, phase: Phase): LastTool {
  const tool: LastTool = {
    kind: KIND_OF[item.type],
    summary: truncate(toolSummary(item), SUMMARY_MAX_CHARS),
    // A web search item has no status of its own: its phase says it.
    status: item.type === "web_search"
      ? (phase === "item.completed" ? "completed" : "in_progress")
      : item.status,
    itemId: item.id,
  };
  return item.type === "command_execution" ? { ...tool, exitCode: item.exit_code ?? null } : tool;
}

/**
 * Counts a tool item once and keeps the in-flight ids in step (`kind` null: counted in the total
 * only).
 */
export function countTool(
  state: RunState,
  kind: ToolKind | null,
  id: string,
  phase: Phase,
): Pick<RunState, "toolCalls" | "inFlightToolIds"> {
  const inFlight = state.inFlightToolIds.includes(id);
  if (phase === "item.completed") {
    if (inFlight) {
      return {
        toolCalls: state.toolCalls,
        inFlightToolIds: state.inFlightToolIds.filter((known) => known !== id),
      };
    }
  } else if (inFlight) {
    return { toolCalls: state.toolCalls, inFlightToolIds: state.inFlightToolIds };
  }
  const toolCalls = { ...state.toolCalls, total: state.toolCalls.total + 1 };
  if (kind !== null) toolCalls[COUNTER_OF[kind]] += 1;
  let inFlightToolIds = state.inFlightToolIds;
  if (phase !== "item.completed") {
    inFlightToolIds = [...inFlightToolIds, id];
    if (inFlightToolIds.length > IN_FLIGHT_CAP) {
      inFlightToolIds = inFlightToolIds.slice(inFlightToolIds.length - IN_FLIGHT_CAP);
    }
  }
  return { toolCalls, inFlightToolIds };
}

/** The state after one item event (`phase`) of `item`. Pure. */
export function applyItem(state: RunState, phase: Phase, item: CodexItem): RunState {
  switch (item.type) {
    case "agent_message":
      if (phase !== "item.completed") return state;
      return { ...state, finalMessage: item.text, output: withOutput(state.output, item.text) };
    case "reasoning":
      return { ...state, reasoning: item.text };
    case "todo_list":
      return {
        ...state,
        todoList: item.items.map((entry) => ({ text: entry.text, completed: entry.completed })),
      };
    case "error":
      if (phase !== "item.completed") return state;
      return { ...state, warnings: withWarning(state.warnings, item.message) };
    case "plan":
      return state;
    case "unknown-item":
      return {
        ...state,
        unknownEvents: state.unknownEvents + 1,
        lastUnknown: truncate(jsonOf({ type: phase, item: item.raw }), LAST_UNKNOWN_MAX_CHARS),
      };
    case "collab_tool_call":
      return { ...state, ...countTool(state, null, item.id, phase) };
    case "command_execution":
    case "file_change":
    case "mcp_tool_call":
    case "web_search": {
      const next: RunState = {
        ...state,
        ...countTool(state, KIND_OF[item.type], item.id, phase),
        lastTool: lastToolOf(item, phase),
      };
      if (
        item.type === "file_change" && phase === "item.completed" && item.status === "completed"
      ) {
        next.filesChanged = withFiles(state.filesChanged, item);
      }
      return next;
    }
  }
}

function applyCodexEvent(state: RunState, event: CodexEvent): RunState {
  switch (event.type) {
    case "thread.started":
      return { ...state, threadId: event.thread_id };
    case "turn.started":
      return { ...state, turn: "running", failure: null };
    case "turn.completed":
      return {
        ...state,
        turn: "completed",
        usage: {
          inputTokens: event.usage.input_tokens,
          cachedInputTokens: event.usage.cached_input_tokens,
          outputTokens: event.usage.output_tokens,
          reasoningOutputTokens: event.usage.reasoning_output_tokens ?? 0,
        },
      };
    case "turn.failed":
      return { ...state, turn: "failed", failure: event.error.message };
    case "item.started":
    case "item.updated":
    case "item.completed":
      return applyItem(state, event.type, event.item);
    case "item.plan.delta":
      return state;
    case "request_user_input": {
      const questions = event.questions.map((q) => q.question ?? "").filter((q) => q !== "");
      const message = `Codex asked for input, which exec mode cannot give: ${
        questions.join(" / ") || "(no question text)"
      }`;
      return { ...state, warnings: withWarning(state.warnings, message) };
    }
    case "error":
      return { ...state, warnings: withWarning(state.warnings, event.message) };
  }
}

/**
 * The state after one more parsed line. Pure: `state` is not changed, and the result shares the
 * parts that did not change with it.
 *
 * @param state The state so far (from {@link initialRunState} or an earlier call).
 * @param parsed One line, from `parseEventLine` (blank lines, for which it returns null, are
 *   not applied).
 */
export function applyEvent(state: RunState, parsed: ParsedLine): RunState {
  const counted: RunState = { ...state, events: state.events + 1 };
  switch (parsed.kind) {
    case "event":
      return applyCodexEvent(counted, parsed.event);
    case "unknown":
      return {
        ...counted,
        unknownEvents: counted.unknownEvents + 1,
        lastUnknown: truncate(jsonOf(parsed.raw), LAST_UNKNOWN_MAX_CHARS),
      };
    case "malformed":
      return {
        ...counted,
        malformedLines: counted.malformedLines + 1,
        lastUnknown: truncate(parsed.line, LAST_UNKNOWN_MAX_CHARS),
      };
  }
}

// ---------------------------------------------------------------------------------------------
// Step messages
// ---------------------------------------------------------------------------------------------

const SHELL_WRAPPER = /^(?:\/usr)?(?:\/bin\/)?(?:ba|z|da)?sh -l?c (.+)$/s;

/** Reads `text` as exactly one shell word (quotes and backslashes resolved), or null. */
function singleShellWord(text: string): string | null {
  let word = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return null;
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) i++;
        word += text[i]!;
        i++;
      }
      if (i >= text.length) return null;
      i++;
    } else if (c === "\\") {
      if (i + 1 >= text.length) return null;
      word += text[i + 1]!;
      i += 2;
    } else if (/\s/.test(c)) {
      return null;
    } else {
      word += c;
      i++;
    }
  }
  return word;
}

/**
 * The command a person typed, without the shell wrapper Codex adds: `/bin/bash -lc 'ls -la'`
 * becomes `ls -la`. Any other command line is returned as is.
 */
export function displayCommand(command: string): string {
  const match = SHELL_WRAPPER.exec(command);
  if (!match) return command;
  return singleShellWord(match[1]!) ?? command;
}

/** `text` on one line, at most `max` characters (cut before collapsing, so huge texts are cheap). */
export function excerpt(text: string, max: number): string {
  return truncate(oneLine(truncate(text, max * 4)), max);
}

function step(text: string): string {
  return excerpt(text, STEP_MAX_CHARS);
}

/** The step message of one item event (`phase`) of `item`, or null. Pure. */
export function describeItem(
  prev: RunState,
  next: RunState,
  phase: Phase,
  item: CodexItem,
): string | null {
  switch (item.type) {
    case "command_execution": {
      const command = displayCommand(item.command);
      if (phase === "item.started") {
        return prev.inFlightToolIds.includes(item.id) ? null : step(`Running: ${command}`);
      }
      if (phase !== "item.completed") return null;
      const exit = item.exit_code === null || item.exit_code === undefined
        ? ""
        : ` (exit ${item.exit_code})`;
      if (item.status === "failed") return step(`Command failed${exit}: ${command}`);
      if (item.status === "declined") return step(`Command declined: ${command}`);
      return step(`Command finished${exit}: ${command}`);
    }
    case "file_change": {
      if (phase !== "item.completed") return null;
      const n = item.changes.length;
      if (item.status === "completed") {
        return step(`Edited ${n} file${n === 1 ? "" : "s"}: ${filesSummary(item)}`);
      }
      return step(`File change ${item.status}: ${filesSummary(item)}`);
    }
    case "mcp_tool_call": {
      const name = `${item.server}.${item.tool}`;
      if (phase === "item.started") {
        return prev.inFlightToolIds.includes(item.id) ? null : step(`Calling tool: ${name}`);
      }
      if (phase !== "item.completed") return null;
      if (item.status === "failed") {
        const why = item.error?.message ? `: ${item.error.message}` : "";
        return step(`Tool call failed: ${name}${why}`);
      }
      return step(`Tool call finished: ${name}`);
    }
    case "web_search":
      if (phase === "item.started") {
        return prev.inFlightToolIds.includes(item.id) ? null : step(`Searching: ${item.query}`);
      }
      return phase === "item.completed" ? step(`Searched: ${item.query}`) : null;
    case "agent_message":
      return phase === "item.completed" ? step(`Message: ${excerpt(item.text, 80)}`) : null;
    case "reasoning":
      return phase === "item.completed"
        ? step(`Thinking: ${excerpt(item.text.replace(/\*\*/g, ""), 80)}`)
        : null;
    case "todo_list": {
      if (jsonOf(prev.todoList) === jsonOf(next.todoList)) return null;
      const done = item.items.filter((entry) => entry.completed).length;
      return step(`Plan: ${done}/${item.items.length} done`);
    }
    case "error":
      return phase === "item.completed" ? step(`Warning: ${item.message}`) : null;
    case "plan":
    case "collab_tool_call":
    case "unknown-item":
      return null;
  }
}

/**
 * A short message for a progress notification when `parsed` is a step worth telling a person
 * about, or null. Pure.
 *
 * Steps: a command started ("Running: ls -la") or finished ("Command finished (exit 0): ls"), an
 * MCP tool call or web search started or finished, an agent message ("Message: " and its first 80
 * characters), an applied patch ("Edited 2 files: a.ts, b.ts"), reasoning ("Thinking: ..."), a
 * to-do list change ("Plan: 2/5 done"), a warning ("Warning: Reconnecting... 1/5"), and the end of
 * the turn ("Turn completed", "Turn failed: ..."). Messages are on one line and at most
 * {@link STEP_MAX_CHARS} characters.
 *
 * @param prev The state before `parsed` was applied.
 * @param next The state after (`applyEvent(prev, parsed)`).
 * @param parsed The line just applied.
 */
export function describeStep(prev: RunState, next: RunState, parsed: ParsedLine): string | null {
  if (parsed.kind !== "event") return null;
  const event = parsed.event;
  switch (event.type) {
    case "item.started":
    case "item.updated":
    case "item.completed":
      return describeItem(prev, next, event.type, event.item);
    case "turn.completed": {
      const usage = next.usage;
      return usage === null
        ? "Turn completed"
        : `Turn completed (${usage.inputTokens} input, ${usage.outputTokens} output tokens)`;
    }
    case "turn.failed":
      return step(`Turn failed: ${event.error.message}`);
    case "error":
      return step(`Warning: ${event.message}`);
    case "request_user_input":
      return step("Codex asked for input, which exec mode cannot give");
    case "thread.started":
    case "turn.started":
    case "item.plan.delta":
      return null;
  }
}
