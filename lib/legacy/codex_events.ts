/**
 * The JSONL events that `codex exec --json` prints, as one zod schema, and a parser for one line.
 *
 * The schema follows `codex-rs/exec/src/exec_events.rs` in `openai/codex` (and its TypeScript SDK
 * mirror, `sdk/typescript/src/events.ts` and `items.ts`), checked against real codex-cli 0.169.0
 * output. Every object is loose: fields this schema does not name are kept, so a newer Codex that
 * adds fields still parses. Status and kind fields are plain strings for the same reason; their
 * known values are listed in the comments.
 *
 * {@link parseEventLine} never throws. A line becomes one of:
 * - `event`: a known event type whose fields fit the schema. An item of a type this schema does not
 *   know, or whose fields do not fit its type, is kept as an {@link UnknownItem}
 *   (`type: "unknown-item"`), so the event around it still counts.
 * - `unknown`: a JSON object whose `type` is not a known event type.
 * - `malformed`: not JSON, not an object with a string `type`, or a known event type with fields
 *   that do not fit (e.g. `turn.failed` without `error.message`).
 * - `null`: a blank line (only whitespace), which callers skip.
 *
 * @example
 * ```ts
 * import { parseEventLine } from "./codex_events.ts";
 *
 * const parsed = parseEventLine('{"type":"thread.started","thread_id":"t-1"}');
 * if (parsed?.kind === "event" && parsed.event.type === "thread.started") {
 *   console.log(parsed.event.thread_id); // "t-1"
 * }
 * ```
 * @module
 */

import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------

/** The schema of a final or streamed answer from the agent (plain text, or JSON for structured output). */
export const AgentMessageItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("agent_message"),
  text: z.string(),
});

/** The schema of a summary of the agent's reasoning. */
export const ReasoningItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("reasoning"),
  text: z.string(),
});

/** The schema of a proposed plan emitted in plan mode. */
export const PlanItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("plan"),
  text: z.string(),
});

/** The schema of a shell command run by the agent. */
export const CommandExecutionItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("command_execution"),
  /** The command line, e.g. `/bin/bash -lc 'echo hi'`. */
  command: z.string(),
  /** Stdout and stderr captured so far ("" while starting). */
  aggregated_output: z.string(),
  /** Null (or absent) until the process exits. */
  exit_code: z.number().nullable().optional(),
  /** `in_progress`, `completed`, `failed` or `declined`. */
  status: z.string(),
});

/** The schema of one file touched by a patch. */
export const FileUpdateChangeSchema = z.looseObject({
  path: z.string(),
  /** `add`, `delete` or `update`. */
  kind: z.string(),
});

/** The schema of a patch applied by the agent. */
export const FileChangeItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("file_change"),
  changes: z.array(FileUpdateChangeSchema),
  /** `in_progress`, `completed` or `failed`. */
  status: z.string(),
});

/** The schema of a call to a tool of an MCP server. */
export const McpToolCallItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("mcp_tool_call"),
  server: z.string(),
  tool: z.string(),
  /** The tool's arguments, any JSON value. */
  arguments: z.unknown().optional(),
  /** The tool's result, once it succeeded. */
  result: z.looseObject({
    content: z.array(z.unknown()),
    structured_content: z.unknown().optional(),
  }).nullable().optional(),
  /** The error, once it failed. */
  error: z.looseObject({ message: z.string() }).nullable().optional(),
  /** `in_progress`, `completed` or `failed`. */
  status: z.string(),
});

/** The schema of a call to a collaboration tool (spawning or talking to another agent). */
export const CollabToolCallItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("collab_tool_call"),
  /** `spawn_agent`, `send_input`, `wait` or `close_agent`. */
  tool: z.string(),
  /** `in_progress`, `completed` or `failed`. */
  status: z.string(),
});

/** The schema of a web search. */
export const WebSearchItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("web_search"),
  query: z.string(),
  /** What the search did (newer Codex versions), any JSON value. */
  action: z.unknown().optional(),
});

/** The schema of one entry of the agent's to-do list. */
export const TodoEntrySchema = z.looseObject({
  text: z.string(),
  completed: z.boolean(),
});

/** The schema of the agent's running to-do list (started, updated as steps change, completed). */
export const TodoListItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("todo_list"),
  items: z.array(TodoEntrySchema),
});

/** The schema of a non-fatal error reported as an item (e.g. missing model metadata). */
export const ErrorItemSchema = z.looseObject({
  id: z.string(),
  type: z.literal("error"),
  message: z.string(),
});

/** The schema of every item type this module knows, tagged by `type`. */
export const KnownItemSchema = z.discriminatedUnion("type", [
  AgentMessageItemSchema,
  ReasoningItemSchema,
  PlanItemSchema,
  CommandExecutionItemSchema,
  FileChangeItemSchema,
  McpToolCallItemSchema,
  CollabToolCallItemSchema,
  WebSearchItemSchema,
  TodoListItemSchema,
  ErrorItemSchema,
]);

/**
 * The schema of any other item: an object with a string `type`, turned into an
 * {@link UnknownItem} that keeps the original type and the raw object.
 */
export const UnknownItemSchema = z.looseObject({
  type: z.string(),
  id: z.unknown().optional(),
}).transform((raw) => ({
  type: "unknown-item" as const,
  itemType: raw.type,
  id: typeof raw.id === "string" ? raw.id : null,
  raw: raw as Record<string, unknown>,
}));

/** The schema of an item inside `item.started`, `item.updated` and `item.completed`. */
export const CodexItemSchema = z.union([KnownItemSchema, UnknownItemSchema]);

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** The schema of token usage; cumulative over the thread (a resumed thread keeps counting). */
export const CodexUsageSchema = z.looseObject({
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  output_tokens: z.number(),
  /** Present in codex-cli 0.169.0 output, absent from older versions. */
  reasoning_output_tokens: z.number().optional(),
  /** Present in codex-cli 0.169.0 output, absent from older versions. */
  cache_write_input_tokens: z.number().optional(),
});

/** The schema of the first event: the thread (session) id, usable with `codex exec resume`. */
export const ThreadStartedEventSchema = z.looseObject({
  type: z.literal("thread.started"),
  thread_id: z.string(),
});

/** The schema of the start of a turn (a prompt sent to the model). */
export const TurnStartedEventSchema = z.looseObject({
  type: z.literal("turn.started"),
});

/** The schema of a turn's successful end. */
export const TurnCompletedEventSchema = z.looseObject({
  type: z.literal("turn.completed"),
  usage: CodexUsageSchema,
});

/** The schema of a turn's failure: the only event that means the task failed. */
export const TurnFailedEventSchema = z.looseObject({
  type: z.literal("turn.failed"),
  error: z.looseObject({ message: z.string() }),
});

/** The schema of a new item, typically in progress. */
export const ItemStartedEventSchema = z.looseObject({
  type: z.literal("item.started"),
  item: CodexItemSchema,
});

/** The schema of a changed item (e.g. a to-do list whose steps changed). */
export const ItemUpdatedEventSchema = z.looseObject({
  type: z.literal("item.updated"),
  item: CodexItemSchema,
});

/** The schema of an item that reached its final state (success or failure). */
export const ItemCompletedEventSchema = z.looseObject({
  type: z.literal("item.completed"),
  item: CodexItemSchema,
});

/** The schema of streamed text of a plan item. */
export const PlanDeltaEventSchema = z.looseObject({
  type: z.literal("item.plan.delta"),
  item_id: z.string(),
  delta: z.string(),
});

/** The schema of the model asking the user questions (which `codex exec` cannot answer). */
export const RequestUserInputEventSchema = z.looseObject({
  type: z.literal("request_user_input"),
  id: z.string(),
  call_id: z.string(),
  questions: z.array(z.looseObject({ question: z.string().optional() })),
});

/**
 * The schema of a top-level error event. Despite upstream calling it unrecoverable, Codex also
 * uses it for retries ("Reconnecting... 1/5"): only `turn.failed` means the turn failed.
 */
export const ErrorEventSchema = z.looseObject({
  type: z.literal("error"),
  message: z.string(),
});

/** The schema of one line of `codex exec --json` output: every event type, tagged by `type`. */
export const CodexEventSchema = z.discriminatedUnion("type", [
  ThreadStartedEventSchema,
  TurnStartedEventSchema,
  TurnCompletedEventSchema,
  TurnFailedEventSchema,
  ItemStartedEventSchema,
  ItemUpdatedEventSchema,
  ItemCompletedEventSchema,
  PlanDeltaEventSchema,
  RequestUserInputEventSchema,
  ErrorEventSchema,
]);

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** An answer from the agent. */
export type AgentMessageItem = z.infer<typeof AgentMessageItemSchema>;
/** A reasoning summary. */
export type ReasoningItem = z.infer<typeof ReasoningItemSchema>;
/** A plan (plan mode). */
export type PlanItem = z.infer<typeof PlanItemSchema>;
/** A shell command. */
export type CommandExecutionItem = z.infer<typeof CommandExecutionItemSchema>;
/** One file of a patch. */
export type FileUpdateChange = z.infer<typeof FileUpdateChangeSchema>;
/** A patch. */
export type FileChangeItem = z.infer<typeof FileChangeItemSchema>;
/** An MCP tool call. */
export type McpToolCallItem = z.infer<typeof McpToolCallItemSchema>;
/** A collaboration tool call. */
export type CollabToolCallItem = z.infer<typeof CollabToolCallItemSchema>;
/** A web search. */
export type WebSearchItem = z.infer<typeof WebSearchItemSchema>;
/** One entry of a to-do list. */
export type TodoEntry = z.infer<typeof TodoEntrySchema>;
/** A to-do list. */
export type TodoListItem = z.infer<typeof TodoListItemSchema>;
/** A non-fatal error item. */
export type ErrorItem = z.infer<typeof ErrorItemSchema>;
/** Any item of a known type. */
export type KnownItem = z.infer<typeof KnownItemSchema>;
/** An item of an unknown type, or of a known type whose fields did not fit; `raw` is the object. */
export type UnknownItem = z.infer<typeof UnknownItemSchema>;
/** Any item. */
export type CodexItem = z.infer<typeof CodexItemSchema>;
/** Token usage as Codex reports it. */
export type CodexUsage = z.infer<typeof CodexUsageSchema>;
/** `thread.started` */
export type ThreadStartedEvent = z.infer<typeof ThreadStartedEventSchema>;
/** `turn.started` */
export type TurnStartedEvent = z.infer<typeof TurnStartedEventSchema>;
/** `turn.completed` */
export type TurnCompletedEvent = z.infer<typeof TurnCompletedEventSchema>;
/** `turn.failed` */
export type TurnFailedEvent = z.infer<typeof TurnFailedEventSchema>;
/** `item.started` */
export type ItemStartedEvent = z.infer<typeof ItemStartedEventSchema>;
/** `item.updated` */
export type ItemUpdatedEvent = z.infer<typeof ItemUpdatedEventSchema>;
/** `item.completed` */
export type ItemCompletedEvent = z.infer<typeof ItemCompletedEventSchema>;
/** `item.plan.delta` */
export type PlanDeltaEvent = z.infer<typeof PlanDeltaEventSchema>;
/** `request_user_input` */
export type RequestUserInputEvent = z.infer<typeof RequestUserInputEventSchema>;
/** `error` (top level; not a failure by itself) */
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
/** Any event of a known type. */
export type CodexEvent = z.infer<typeof CodexEventSchema>;
/** The event types that carry an item. */
export type ItemEvent = ItemStartedEvent | ItemUpdatedEvent | ItemCompletedEvent;

/** One parsed line of `codex exec --json` output. */
export type ParsedLine =
  | { kind: "event"; event: CodexEvent }
  | { kind: "unknown"; type: string; raw: unknown }
  | { kind: "malformed"; line: string; error: string };

/** Every event type {@link CodexEventSchema} knows. */
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(
  CodexEventSchema.options.map((option) => option.shape.type.value),
);

/** How many schema issues a malformed line's error names at most. */
const MAX_ISSUES = 3;

function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = issue.path.map(String).join(".");
    return path === "" ? issue.message : `${path}: ${issue.message}`;
  });
  const more = error.issues.length - shown.length;
  return shown.join("; ") + (more > 0 ? `; and ${more} more` : "");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses one line of `codex exec --json` output. Never throws.
 *
 * @param line One line, with or without its line ending.
 * @returns The parsed line, or `null` when the line is blank (only whitespace): callers skip it.
 *
 * @example
 * ```ts
 * import { parseEventLine } from "./codex_events.ts";
 *
 * parseEventLine('{"type":"turn.started"}'); // { kind: "event", event: { type: "turn.started" } }
 * parseEventLine('{"type":"future.event"}'); // { kind: "unknown", type: "future.event", raw: {...} }
 * parseEventLine("not json"); // { kind: "malformed", line: "not json", error: "..." }
 * parseEventLine("  "); // null
 * ```
 */
export function parseEventLine(line: string): ParsedLine | null {
  if (line.trim() === "") return null;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: "malformed", line, error: `not JSON: ${message}` };
  }
  if (!isRecord(raw)) {
    return { kind: "malformed", line, error: "not a JSON object" };
  }
  const type = raw.type;
  if (typeof type !== "string") {
    return { kind: "malformed", line, error: 'no string "type" field' };
  }
  if (!KNOWN_EVENT_TYPES.has(type)) {
    return { kind: "unknown", type, raw };
  }
  const result = CodexEventSchema.safeParse(raw);
  if (!result.success) {
    return { kind: "malformed", line, error: `${type}: ${describeIssues(result.error)}` };
  }
  return { kind: "event", event: result.data };
}
