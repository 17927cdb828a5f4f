/**
 * The questions Codex asks while a turn runs (approvals, permissions, input for the model, an MCP
 * server's elicitation), as codex-swarm shows them to clients, and how a client's answer becomes
 * Codex's reply.
 *
 * Every question Codex can ask has one of four answers, the same for every kind:
 * `accept`, `accept_for_session`, `decline`, `cancel`. A question of a kind this version does not
 * know is still shown, and any answer to it is a clear error for Codex (so the turn never hangs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const q = describeQuestion("item/commandExecution/requestApproval",
 *   { command: "rm -rf build", cwd: "/repo", reason: "clean" }, new Map());
 * assert.equal(q.message, "Codex asks to run `rm -rf build` in /repo (clean)");
 * assert.deepEqual(replyFor(q, "accept"), { decision: "accept" });
 * ```
 * @module
 */

import { displayCommand } from "../base/text.ts";

/** The answers a client can give. */
export const DECISIONS = ["accept", "accept_for_session", "decline", "cancel"] as const;
/** One answer. */
export type Decision = typeof DECISIONS[number];

/** What a question is about. */
export type QuestionKind =
  | "command"
  | "file_change"
  | "permissions"
  | "user_input"
  | "elicitation"
  | "unknown";

/** A question as clients see it. */
export interface Question {
  kind: QuestionKind;
  /** Codex's method, e.g. `item/commandExecution/requestApproval`. */
  method: string;
  /** One paragraph for a person: what is asked, with the command and cwd or the files. */
  message: string;
  command?: string;
  cwd?: string;
  reason?: string;
  /** For a file change: the paths, and the unified diff (bounded). */
  files?: string[];
  diff?: string;
  /** The params Codex sent, kept to build the reply. */
  params: Record<string, unknown>;
}

/** How long a diff shown with a question may be. */
export const QUESTION_DIFF_MAX_CHARS = 8000;

/** A file change Codex announced (`item/started` of a fileChange), by item id. */
export interface AnnouncedChange {
  path: string;
  kind?: string;
  diff?: string;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function clip(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}\n… (${text.length - max} more characters)`
    : text;
}

/**
 * Builds the client's view of a question. `changes` holds the file changes announced so far by
 * item id: a file-change approval carries no diff of its own.
 */
export function describeQuestion(
  method: string,
  params: Record<string, unknown>,
  changes: ReadonlyMap<string, AnnouncedChange[]>,
): Question {
  const reason = str(params.reason);
  const why = reason ? ` (${reason})` : "";
  const cwd = str(params.cwd);
  const where = cwd ? ` in ${cwd}` : "";
  /** The cwd and reason Codex gave, as the question's fields. */
  const told = { ...(cwd ? { cwd } : {}), ...(reason ? { reason } : {}) };
  switch (method) {
    case "item/commandExecution/requestApproval": {
      // The command with its shell wrapper taken off.
      const given = str(params.command);
      const command = given === undefined ? "(command not given)" : displayCommand(given);
      const message = `Codex asks to run \`${command}\`${where}${why}`;
      return { kind: "command", method, message, command, ...told, params };
    }
    case "item/fileChange/requestApproval":
      return fileChangeQuestion(method, params, changes, reason, why);
    case "item/permissions/requestApproval": {
      const asked = JSON.stringify(params.permissions ?? {});
      const message = `Codex asks for more permissions: ${asked}${where}${why}`;
      return { kind: "permissions", method, message, ...told, params };
    }
    case "item/tool/requestUserInput": {
      const questions = Array.isArray(params.questions) ? params.questions : [];
      const text = questions.map((q) => str((q as Record<string, unknown>)?.question) ?? "")
        .filter((q) => q !== "").join(" / ");
      const message = `The model asks: ${text || "(no question text)"} ` +
        "(accept answers with each question's first option, decline answers nothing)";
      return { kind: "user_input", method, message, params };
    }
    case "mcpServer/elicitation/request": {
      const server = str(params.serverName) ?? "an MCP server";
      const message = `MCP server ${server} asks: ${str(params.message) ?? "(no message)"}`;
      return { kind: "elicitation", method, message, params };
    }
    default: {
      const message = `Codex asked ${method}, which this version of codex-swarm cannot answer`;
      return { kind: "unknown", method, message, params };
    }
  }
}

/** The question of a file-change approval: the files and diff announced for its item. */
function fileChangeQuestion(
  method: string,
  params: Record<string, unknown>,
  changes: ReadonlyMap<string, AnnouncedChange[]>,
  reason: string | undefined,
  why: string,
): Question {
  const announced = changes.get(String(params.itemId)) ?? [];
  const files = announced.map((c) => c.path);
  const diff = clip(
    announced.map((c) => c.diff ?? "").filter((d) => d !== "").join("\n"),
    QUESTION_DIFF_MAX_CHARS,
  );
  const root = str(params.grantRoot);
  const grant = root ? ` (and to write under ${root} from now on)` : "";
  const what = files.length > 0 ? files.join(", ") : "files";
  const message = `Codex asks to change ${what}${grant}${why}`;
  return {
    kind: "file_change",
    method,
    message,
    files,
    ...(diff ? { diff } : {}),
    ...(reason ? { reason } : {}),
    params,
  };
}

/** The error thrown when an answer cannot become a reply. */
export class UnanswerableQuestionError extends Error {}

/** Codex's reply to `question` for the client's `decision`. */
export function replyFor(question: Question, decision: Decision): unknown {
  const camel = decision === "accept_for_session" ? "acceptForSession" : decision;
  switch (question.kind) {
    case "command":
    case "file_change":
      return { decision: camel };
    case "permissions": {
      const granted = decision === "accept" || decision === "accept_for_session";
      const asked = (question.params.permissions ?? {}) as Record<string, unknown>;
      const permissions = granted
        ? Object.fromEntries(Object.entries(asked).filter(([, v]) => v !== null))
        : {};
      return { permissions, scope: decision === "accept_for_session" ? "session" : "turn" };
    }
    case "user_input": {
      const questions = Array.isArray(question.params.questions) ? question.params.questions : [];
      const answers: Record<string, { answers: string[] }> = {};
      if (decision === "accept" || decision === "accept_for_session") {
        for (const q of questions as Array<Record<string, unknown>>) {
          const options = Array.isArray(q.options) ? q.options : [];
          const first = options[0] as Record<string, unknown> | undefined;
          const label = str(first?.label) ?? "yes";
          if (typeof q.id === "string") answers[q.id] = { answers: [label] };
        }
      }
      return { answers };
    }
    case "elicitation": {
      const action = decision === "accept_for_session" ? "accept" : decision;
      return { action, content: action === "accept" ? {} : null, _meta: null };
    }
    default:
      throw new UnanswerableQuestionError(
        `Cannot answer ${question.method}: codex-swarm does not know this question`,
      );
  }
}
