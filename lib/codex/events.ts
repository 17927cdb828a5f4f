/**
 * What `codex app-server` sends unasked: notifications ({@link AppServerEvent}) and requests to the
 * client ({@link ServerRequest}), validated with zod into one tagged union each, on `method`.
 *
 * Only the fields codex-swarm reads are checked; every other field is kept as sent (the schemas
 * are loose). A notification of a method not listed here is kept as `kind: "unknown"`, one of a
 * listed method whose params do not fit as `kind: "malformed"`: nothing is ever thrown. The full
 * protocol of the pinned Codex is in `./protocol/` (generated; see `./protocol/generate.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const event = parseEvent({ method: "turn/completed", params: { threadId: "t", turn: { id: "u",
 *   status: "completed", error: null, items: [] } } });
 * assert.ok(event.kind === "event" && event.method === "turn/completed");
 * assert.equal(event.params.turn.status, "completed");
 * assert.equal(event.threadId, "t");
 * ```
 * @module
 */

import { z } from "zod";
import { isRecord } from "../base/records.ts";

// ---------------------------------------------------------------------------------------------
// Shared parts
// ---------------------------------------------------------------------------------------------

/** An error Codex reports for a turn (`TurnError`). */
export const TurnErrorSchema = z.looseObject({
  message: z.string(),
  codexErrorInfo: z.unknown().optional(),
  additionalDetails: z.string().nullish(),
});
/** A turn error. */
export type TurnError = z.infer<typeof TurnErrorSchema>;

/** A turn as notifications carry it (`Turn`; `items` is often empty there). */
export const TurnSchema = z.looseObject({
  id: z.string(),
  /** The turn this one runs for (a review's sub-turn names the review's turn), or null. */
  rootTurnId: z.string().nullish(),
  status: z.enum(["inProgress", "completed", "failed", "interrupted"]),
  error: TurnErrorSchema.nullish(),
  items: z.array(z.unknown()).optional(),
  startedAt: z.number().nullish(),
  completedAt: z.number().nullish(),
  durationMs: z.number().nullish(),
});
/** A turn. */
export type Turn = z.infer<typeof TurnSchema>;

/** Token counts (`TokenUsageBreakdown`). */
export const TokenUsageBreakdownSchema = z.looseObject({
  totalTokens: z.number(),
  inputTokens: z.number(),
  cachedInputTokens: z.number(),
  outputTokens: z.number(),
  reasoningOutputTokens: z.number(),
});

/**
 * A thread's status (`ThreadStatus`): `active` (with its `activeFlags`), `notLoaded`, `idle`,
 * `systemError`, or a type of a newer Codex.
 */
export const ThreadStatusSchema = z.looseObject({
  type: z.string(),
  activeFlags: z.unknown().optional(),
});

// ---------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------

/** The schema of an item of `type`: its `id`, and `fields`. */
const item = <T extends string, F extends z.ZodRawShape>(type: T, fields: F) =>
  z.looseObject({ id: z.string(), type: z.literal(type), ...fields });

/** A shell command. `status`: inProgress, completed, failed, declined. */
export const CommandExecutionItemSchema = item("commandExecution", {
  command: z.string(),
  cwd: z.string().nullish(),
  processId: z.string().nullish(),
  status: z.string(),
  aggregatedOutput: z.string().nullish(),
  exitCode: z.number().nullish(),
  durationMs: z.number().nullish(),
});
/** One file of a patch; `kind.type` is add, delete or update. */
export const FileUpdateChangeSchema = z.looseObject({
  path: z.string(),
  kind: z.looseObject({ type: z.string(), move_path: z.string().nullish() }),
  diff: z.string(),
});
/** A patch. `status`: inProgress, completed, failed, declined. */
export const FileChangeItemSchema = item("fileChange", {
  changes: z.array(FileUpdateChangeSchema),
  status: z.string(),
});
/** A call of a tool of an MCP server. */
export const McpToolCallItemSchema = item("mcpToolCall", {
  server: z.string(),
  tool: z.string(),
  status: z.string(),
  arguments: z.unknown().optional(),
  error: z.looseObject({ message: z.string() }).nullish(),
  durationMs: z.number().nullish(),
});
/** A web search. */
export const WebSearchItemSchema = item("webSearch", { query: z.string() });

/** An item of a type not read here (kept as sent, `type` and `id` aside). */
export interface OtherItem {
  type: "other";
  /** The item's own `type`, e.g. `contextCompaction`. */
  itemType: string;
  id: string;
  raw: unknown;
}

const KnownItemSchema = z.discriminatedUnion("type", [
  // The prompt (or a steer) as an item.
  item("userMessage", {
    content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  }),
  // An answer of the model.
  item("agentMessage", { text: z.string() }),
  // Reasoning: summaries and (rarely) raw content.
  item("reasoning", { summary: z.array(z.string()), content: z.array(z.string()).optional() }),
  // A plan the model wrote (plan mode).
  item("plan", { text: z.string() }),
  CommandExecutionItemSchema,
  FileChangeItemSchema,
  McpToolCallItemSchema,
  WebSearchItemSchema,
]);

/** The item types read here. */
const KNOWN_ITEM_TYPES: ReadonlySet<string> = new Set(
  KnownItemSchema.options.map((schema) => schema.shape.type.value),
);

/** A thread item: one of the known types, or {@link OtherItem}. */
export type ThreadItem = z.infer<typeof KnownItemSchema> | OtherItem;
/** A command item. */
export type CommandExecutionItem = z.infer<typeof CommandExecutionItemSchema>;
/** A patch item. */
export type FileChangeItem = z.infer<typeof FileChangeItemSchema>;
/** An MCP tool call item. */
export type McpToolCallItem = z.infer<typeof McpToolCallItemSchema>;
/** A web search item. */
export type WebSearchItem = z.infer<typeof WebSearchItemSchema>;

/**
 * A thread item: a known type checked, any other type kept as {@link OtherItem}. A known type
 * whose fields do not fit fails (so the notification is `malformed`).
 */
export const ThreadItemSchema: z.ZodType<ThreadItem> = z.looseObject({
  type: z.string(),
  id: z.string(),
}).transform((item, ctx): ThreadItem => {
  if (!KNOWN_ITEM_TYPES.has(item.type)) {
    return { type: "other", itemType: item.type, id: item.id, raw: item };
  }
  const parsed = KnownItemSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  }
  return z.NEVER;
});

// ---------------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------------

const turnScoped = { threadId: z.string(), turnId: z.string() };
const itemDelta = { ...turnScoped, itemId: z.string(), delta: z.string() };
const environmentChange = z.looseObject({ threadId: z.string(), environmentId: z.string() });

/** The params schema of every notification read here, by method. */
export const EVENT_PARAMS = {
  "thread/started": z.looseObject({ thread: z.looseObject({ id: z.string() }) }),
  "thread/status/changed": z.looseObject({ threadId: z.string(), status: ThreadStatusSchema }),
  "turn/started": z.looseObject({ threadId: z.string(), turn: TurnSchema }),
  "turn/completed": z.looseObject({ threadId: z.string(), turn: TurnSchema }),
  "item/started": z.looseObject({ ...turnScoped, item: ThreadItemSchema }),
  "item/completed": z.looseObject({ ...turnScoped, item: ThreadItemSchema }),
  "item/agentMessage/delta": z.looseObject(itemDelta),
  "item/reasoning/summaryTextDelta": z.looseObject({
    ...itemDelta,
    summaryIndex: z.number().optional(),
  }),
  "item/commandExecution/outputDelta": z.looseObject(itemDelta),
  "turn/diff/updated": z.looseObject({ ...turnScoped, diff: z.string() }),
  "turn/plan/updated": z.looseObject({
    ...turnScoped,
    explanation: z.string().nullish(),
    plan: z.array(z.looseObject({ step: z.string(), status: z.string() })),
  }),
  "thread/tokenUsage/updated": z.looseObject({
    ...turnScoped,
    tokenUsage: z.looseObject({
      total: TokenUsageBreakdownSchema,
      last: TokenUsageBreakdownSchema,
      modelContextWindow: z.number().nullish(),
    }),
  }),
  "error": z.looseObject({ ...turnScoped, error: TurnErrorSchema, willRetry: z.boolean() }),
  /** A non-fatal message, for one thread or (threadId null) the whole server. */
  "warning": z.looseObject({ threadId: z.string().nullish(), message: z.string() }),
  // Known, and of no use to a task: kept as events so they do not count as unknown.
  "account/rateLimits/updated": z.looseObject({}),
  "thread/readState/changed": z.looseObject({}),
  "configWarning": z.looseObject({}),
  "remoteControl/status/changed": z.looseObject({}),
  /** A thread's worker environment (docs/workers.md) went away, or came (back). */
  "thread/environment/connected": environmentChange,
  "thread/environment/disconnected": environmentChange,
  "serverRequest/resolved": z.looseObject({
    threadId: z.string(),
    requestId: z.union([z.string(), z.number()]),
  }),
} as const;

/** A method of a notification read here. */
export type EventMethod = keyof typeof EVENT_PARAMS;
/** The params of a notification of method `M`. */
export type EventParams<M extends EventMethod> = z.infer<typeof EVENT_PARAMS[M]>;

/** A message of a known method in `schemas` whose params fit, tagged `kind`. */
type Known<Schemas extends Record<string, z.ZodType>, Kind extends string> = {
  [M in keyof Schemas]: {
    kind: Kind;
    method: M;
    params: z.infer<Schemas[M]>;
    /** The thread it is about (`params.threadId`, or `params.thread.id`), null for none. */
    threadId: string | null;
  };
}[keyof Schemas];

/** A message of a method not read here, or of a known one whose params do not fit. */
export interface OtherMessage {
  kind: "unknown" | "malformed";
  method: string;
  params: unknown;
  /** `params.threadId` when it is a string, else null. */
  threadId: string | null;
  /** Malformed only: what did not fit. */
  problem?: string;
}

/** A notification of a known method whose params fit. */
export type KnownEvent = Known<typeof EVENT_PARAMS, "event"> & {
  /** When the server sent it (`emittedAtMs`), if it said. */
  emittedAtMs?: number;
};

/** Every notification of the app-server: tagged on `kind`, then `method`. */
export type AppServerEvent = KnownEvent | OtherMessage;

/** A message the server sends with a `method`: a notification, or (with an `id`) a request. */
export interface MethodMessage {
  method: string;
  params?: unknown;
  id?: unknown;
  emittedAtMs?: unknown;
}

/**
 * `params` of `method` checked by its schema in `schemas` (`known` its kind when it fits), with
 * its thread: what {@link parseEvent} and {@link parseServerRequest} share.
 */
function checkParams<K extends string>(
  known: K,
  schemas: Record<string, z.ZodType>,
  { method, params }: MethodMessage,
) {
  const threadId = rawThreadId(params);
  const schema = schemas[method];
  if (schema === undefined) return { kind: "unknown" as const, method, params, threadId };
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    // What did not fit, its first three issues.
    const problem = parsed.error.issues.slice(0, 3).map((issue) =>
      `${issue.path.length > 0 ? issue.path.join(".") : "params"}: ${issue.message}`
    ).join("; ");
    return { kind: "malformed" as const, method, params, threadId, problem };
  }
  return { kind: known, method, params: parsed.data, threadId };
}

/**
 * Reads one notification (`{method, params}`, as the server sends it). Never throws: an unknown
 * method is `kind: "unknown"`, a known one that does not fit is `kind: "malformed"` (with the
 * problem).
 */
export function parseEvent(message: MethodMessage): AppServerEvent {
  const event = checkParams("event", EVENT_PARAMS, message) as AppServerEvent;
  if (event.kind === "event" && typeof message.emittedAtMs === "number") {
    event.emittedAtMs = message.emittedAtMs;
  }
  return event;
}

/** `params.threadId`, or `params.thread.id` (`thread/started`), when a string; else null. */
function rawThreadId(params: unknown): string | null {
  if (!isRecord(params)) return null;
  if (typeof params.threadId === "string") return params.threadId;
  if (isRecord(params.thread) && typeof params.thread.id === "string") return params.thread.id;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Server-to-client requests
// ---------------------------------------------------------------------------------------------

const requestScoped = { threadId: z.string(), turnId: z.string(), itemId: z.string() };

/** The params schema of every server request read here, by method. */
export const SERVER_REQUEST_PARAMS = {
  /** A command wants to run. Answer `{decision}`, one of `availableDecisions`. */
  "item/commandExecution/requestApproval": z.looseObject({
    ...requestScoped,
    command: z.string().nullish(),
    cwd: z.string().nullish(),
    reason: z.string().nullish(),
    availableDecisions: z.array(z.unknown()).nullish(),
  }),
  /** A patch wants to apply (its diff is in the fileChange item with `itemId`). `{decision}`. */
  "item/fileChange/requestApproval": z.looseObject({
    ...requestScoped,
    reason: z.string().nullish(),
    grantRoot: z.string().nullish(),
  }),
  /** The model asks for more permissions. Answer `{permissions, scope}`. */
  "item/permissions/requestApproval": z.looseObject({
    ...requestScoped,
    cwd: z.string().nullish(),
    reason: z.string().nullish(),
    permissions: z.unknown(),
  }),
  /** The model asks the user questions. Answer `{answers: {[questionId]: {answers: string[]}}}`. */
  "item/tool/requestUserInput": z.looseObject({
    ...requestScoped,
    questions: z.array(z.looseObject({
      id: z.string(),
      header: z.string().optional(),
      question: z.string(),
    })),
  }),
  /** An MCP server inside Codex asks. Answer `{action, content, _meta}`. */
  "mcpServer/elicitation/request": z.looseObject({
    threadId: z.string(),
    turnId: z.string().nullish(),
    serverName: z.string(),
    mode: z.string(),
    message: z.string().optional(),
  }),
} as const;

/** A request id (the server's own, integers from 0). */
export type RequestId = string | number;

/** Every request of the server to the client: tagged on `kind`, then `method`. */
export type ServerRequest = (Known<typeof SERVER_REQUEST_PARAMS, "request"> | OtherMessage) & {
  id: RequestId;
};

/** Reads one server request (`{id, method, params}`). Never throws; see {@link parseEvent}. */
export function parseServerRequest(message: MethodMessage & { id: RequestId }): ServerRequest {
  return {
    ...checkParams("request", SERVER_REQUEST_PARAMS, message),
    id: message.id,
  } as ServerRequest;
}
