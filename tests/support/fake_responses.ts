/**
 * A small stand-in for the OpenAI Responses API, for end-to-end tests with the real Codex CLI.
 *
 * It answers `POST /responses` with the real `text/event-stream` format, scripted by the words of the
 * newest user prompt:
 * - `SLEEP=<ms>`: wait that long before answering;
 * - `LATER=<ms>`: wait that long before answering once a tool's output came back (after the edit of
 *   `PATCH=` or the command of `RUN=`), so a turn stays running after its edit;
 * - `FAIL`: answer HTTP 400 with an `invalid_request_error`;
 * - `STATUS=<code>`: answer that HTTP status (e.g. 429, 500) with an error body (which does not
 *   name the status, so a test sees whether Codex and codex-swarm do);
 * - `REASON=<word>`: emit a reasoning item whose summary includes the word;
 * - `RUN=<command>` (the rest of the line): ask Codex to run the shell command, then answer with a
 *   message that quotes the command's output. With `YIELD=<ms>` also in the prompt (before RUN=),
 *   the call sets `yield_time_ms`: a command still running then is left as a background
 *   terminal, and the turn goes on (and ends) without it.
 * - `ESCALATE=<command>` (the rest of the line): the same, but the call asks to run outside the
 *   sandbox, as Codex 0.169's `exec_command` takes it: `sandbox_permissions: "require_escalated"`
 *   and a `justification` (`MOCK needs <command> outside the sandbox`). Under `on-request` Codex
 *   asks the client for approval.
 * - `PATCH=<path>` (the next word): make a patch that adds the file `<path>` with the one line
 *   `MOCK-PATCH <path>`, in the form the request's `tools` offer: an `apply_patch` function or
 *   freeform (custom) tool when there is one, else (as for the mock model, which Codex 0.169
 *   offers no `apply_patch` tool) an `exec_command` running `apply_patch` with the patch as a
 *   heredoc, which Codex intercepts and applies as a patch (a `fileChange` item). Then a message
 *   quoting the tool's output.
 * - `VARIANTS=<a>|<b>|...` (the next word): the k-th turn with this prompt text (counted at its
 *   first request, from 0) gets variant k (cyclically), so attempts of one prompt differ: with
 *   `PATCH=`, the patch's line is `MOCK-PATCH <path> <variant>`. Which attempt gets which variant
 *   depends on the order their requests arrive; a test reads it from the attempt's file.
 * - `HOLD=<ms>`: hold the first answer of the turn that long (so a steer can arrive); every answer
 *   in a turn whose prompt has `HOLD=` quotes every user message from that prompt on, joined with
 *   ` | `, so a test sees a steer arrive in the answer after the held one.
 * - `ASK=<question>` (the rest of the line): call Codex's `request_user_input` tool with that one
 *   question (id `q1`, options `Yes` and `No`), then answer with a message quoting the tool's
 *   output (the user's answer).
 * - `MCP=<tool> <JSON arguments>` (the rest of the line, one or more lines): for Codex as an MCP
 *   client, call the tool of the `mcp__codex_swarm` namespace, one line per turn step in order
 *   (the n-th call once n-1 tool outputs are in the input), then answer quoting the last output.
 *   In the arguments, `"$TASK_IDS"` becomes the task ids seen in earlier tool outputs and
 *   `$THREAD_ID` the first thread id seen. Lines with `MCP=` are the outer model's: the other
 *   directives are looked for only outside them, so an inner prompt inside them cannot collide.
 * - quoted lines (starting `> `, as a merge's resolving task quotes the tasks' prompts and final
 *   messages) are context, not directives: none is read there, except `RESOLVE=<directives>`
 *   (the rest of the line): in a quoted line, its directives are the prompt's (the resolving
 *   task's script, e.g. `RESOLVE=PATCH=a.txt` or `RESOLVE=SLEEP=60000`); unquoted, it is ignored.
 * - a request with a `json_schema` text format (an `outputSchema`) is answered with the JSON of
 *   `JSON=<json>` (the rest of the line) verbatim, or `{}`.
 * - Codex's review mode (its developer message holds Codex's review guidelines) is answered as a
 *   reviewer would: first it runs the command that shows the changes (`RUN=` in the prompt, else the
 *   one the review prompt implies: `git diff <merge base>`, `git show <sha>`, `git diff HEAD`),
 *   then it answers the JSON Codex's review mode expects, with one finding per added line of that
 *   diff that holds `REVIEW: P<0-3> <title>`: title `[P<n>] <title>`, priority n, confidence 0.8,
 *   the file's absolute path (under the request's `<cwd>`) and the line in the new file. No such
 *   line: no findings, `patch is correct`. See {@link reviewAnswer}.
 * Every other answer message starts `MOCK-DONE` and repeats the prompt. Every request is kept in
 * `requests`, with its conversation (the user's prompts and the assistant's messages it carries),
 * so a test sees what history a thread (a fork) sent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * await using fake = startFakeResponses();
 * const home = await writeCodexHome(fake.url); // CODEX_HOME for a Codex that asks `fake`
 * assert.match(await Deno.readTextFile(`${home}/config.toml`), new RegExp(fake.url));
 * await Deno.remove(home, { recursive: true });
 * ```
 * @module
 */

/** One request the fake has seen. */
export interface SeenRequest {
  model: string;
  prompt: string;
  /**
   * The conversation the request carries, oldest first: the user's prompts (without Codex's own
   * context blocks) and the assistant's messages. A forked thread's first request holds its
   * parent's conversation, then the fork's prompt.
   */
  conversation: ConversationMessage[];
  body: Record<string, unknown>;
}

/** One message of {@link SeenRequest.conversation}. */
export interface ConversationMessage {
  role: "user" | "assistant";
  text: string;
}

/** A running fake Responses API. */
export interface FakeResponses extends AsyncDisposable {
  /** The base URL to give Codex (ends in `/v1`). */
  url: string;
  /** The requests seen so far, oldest first. */
  requests: SeenRequest[];
}

type InputItem = { type?: string; role?: string; content?: unknown; output?: unknown };
type Tool = { type?: string; name?: string };

/** The namespace Codex 0.169 gives the tools of the MCP server `codex_swarm`. */
export const MCP_NAMESPACE = "mcp__codex_swarm";

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  // One line per part: a prompt's directives end before an attached image's `<image ...>` tag.
  return content.map((c) => (c && typeof c.text === "string" ? c.text : "")).join("\n");
}

function outputOf(item: InputItem): string {
  return typeof item.output === "string" ? item.output : textOf(item.output);
}

/**
 * The newest user prompt in a request's `input`, every plain user message (oldest first), the
 * output of a just-run tool if any, and the tool outputs since the newest prompt.
 */
function readInput(input: InputItem[]): {
  prompt: string;
  userMessages: string[];
  toolOutput: string | undefined;
  outputs: string[];
} {
  let prompt = "";
  const userMessages: string[] = [];
  let outputs: string[] = [];
  for (const item of input) {
    if (item.role === "user" && (item.type === undefined || item.type === "message")) {
      const text = textOf(item.content);
      // Codex adds its own context blocks as user messages; the prompt is the newest plain one.
      if (!text.startsWith("<")) {
        prompt = text;
        userMessages.push(text);
        outputs = [];
      }
    } else if (item.type === "function_call_output") {
      outputs.push(outputOf(item));
    }
  }
  const last = input.at(-1);
  const toolOutput =
    last?.type === "function_call_output" || last?.type === "custom_tool_call_output"
      ? outputOf(last)
      : undefined;
  return { prompt, userMessages, toolOutput, outputs };
}

/** Whether a request is Codex's review mode: a developer message holds its review guidelines. */
function isReviewMode(input: InputItem[]): boolean {
  return input.some((item) =>
    item.role === "developer" && textOf(item.content).includes("# Review guidelines:")
  );
}

/** The working directory Codex states in its environment context, or "". */
function contextCwd(input: InputItem[]): string {
  for (const item of input) {
    const cwd = /<cwd>([^<]*)<\/cwd>/.exec(textOf(item.content));
    if (cwd) return cwd[1]!;
  }
  return "";
}

/** The command that shows the changes a review prompt of Codex 0.169 asks about, or null. */
function reviewCommand(prompt: string): string | null {
  const base = /`git diff ([0-9a-f]{7,40})`/.exec(prompt);
  if (base) return `git diff ${base[1]}`;
  const commit = /introduced by commit ([0-9A-Za-z_./~^-]+)/.exec(prompt);
  if (commit) return `git show --format= ${commit[1]!.replace(/[.:]$/, "")}`;
  if (/\b(uncommitted|staged|unstaged)\b/i.test(prompt)) return "git diff HEAD";
  return null;
}

/** One finding of {@link reviewAnswer}, in the format of Codex's review mode. */
export interface FakeFinding {
  title: string;
  body: string;
  confidence_score: number;
  priority: number;
  code_location: { absolute_file_path: string; line_range: { start: number; end: number } };
}

/**
 * The review JSON for a unified diff: a finding per added line that holds `REVIEW: P<n> <title>`,
 * at that line of the new file (`cwd` joined with the diff's path).
 */
export function reviewAnswer(diff: string, cwd: string): {
  findings: FakeFinding[];
  overall_correctness: string;
  overall_explanation: string;
  overall_confidence_score: number;
} {
  const findings: FakeFinding[] = [];
  let file: string | null = null;
  let line = 0;
  let files = 0;
  for (const text of diff.split("\n")) {
    if (text.startsWith("+++ ")) {
      file = text.slice(4).replace(/^b\//, "");
      line = 0;
      files++;
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      line = Number(hunk[1]);
      continue;
    }
    if (file === null || line === 0) continue;
    if (text.startsWith("+")) {
      const marker = /REVIEW: P([0-3]) (.+?)\s*$/.exec(text);
      if (marker) {
        const title = `[P${marker[1]}] ${marker[2]}`;
        findings.push({
          title,
          body: `MOCK-REVIEW ${marker[2]} in \`${file}\` line ${line}.`,
          confidence_score: 0.8,
          priority: Number(marker[1]),
          code_location: {
            absolute_file_path: `${cwd.replace(/\/$/, "")}/${file}`,
            line_range: { start: line, end: line },
          },
        });
      }
      line++;
    } else if (text.startsWith(" ")) {
      line++;
    }
  }
  return {
    findings,
    overall_correctness: findings.length > 0 ? "patch is incorrect" : "patch is correct",
    overall_explanation: `MOCK-REVIEW of ${files} file(s): ${findings.length} finding(s).`,
    overall_confidence_score: 0.7,
  };
}

/** The user prompts and assistant messages of a request's `input`, oldest first. */
function conversationOf(input: InputItem[]): ConversationMessage[] {
  return input.flatMap((item): ConversationMessage[] => {
    if (item.type !== undefined && item.type !== "message") return [];
    const text = textOf(item.content);
    if (item.role === "assistant") return [{ role: "assistant", text }];
    return item.role === "user" && !text.startsWith("<") ? [{ role: "user", text }] : [];
  });
}

/** The `MCP=` lines of a prompt, as `[tool, arguments JSON]`. */
function mcpCalls(prompt: string): Array<[string, string]> {
  return [...prompt.matchAll(/MCP=(\S+)[ \t]*(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim() || "{}"]);
}

/** `args` with `"$TASK_IDS"` and `$THREAD_ID` filled in from earlier tool outputs. */
function fillIn(args: string, outputs: string[]): string {
  const all = outputs.join("\n");
  const ids = [
    ...new Set([...all.matchAll(/\\?"task_id\\?":\s*\\?"([0-9a-f]{12})/g)].map((m) => m[1])),
  ];
  const thread = /\\?"thread_?[iI]d\\?":\s*\\?"([0-9a-f-]{36})/.exec(all)?.[1] ?? "";
  return args.replaceAll('"$TASK_IDS"', JSON.stringify(ids)).replaceAll("$THREAD_ID", thread);
}

/** The patch that adds `path` with one line (naming the variant, if any), as apply_patch takes it. */
function addFilePatch(path: string, variant?: string): string {
  const line = `MOCK-PATCH ${path}${variant === undefined ? "" : ` ${variant}`}`;
  return `*** Begin Patch\n*** Add File: ${path}\n+${line}\n*** End Patch\n`;
}

/** The tool call that makes {@link addFilePatch}, in the form the request's tools offer. */
function patchCall(
  tools: Tool[],
  path: string,
  n: number,
  variant?: string,
): Record<string, unknown> {
  const patch = addFilePatch(path, variant);
  const tool = tools.find((t) => t.name === "apply_patch");
  if (tool?.type === "custom") {
    return {
      type: "custom_tool_call",
      id: `ctc_${n}`,
      call_id: `call_${n}`,
      name: "apply_patch",
      input: patch,
    };
  }
  if (tool?.type === "function") {
    return {
      type: "function_call",
      id: `fc_${n}`,
      call_id: `call_${n}`,
      name: "apply_patch",
      arguments: JSON.stringify({ input: patch }),
    };
  }
  return execCall(n, { cmd: `apply_patch <<'MOCK_EOF'\n${patch}MOCK_EOF\n` });
}

/** The `n`th call of Codex's `exec_command` tool with `args`. */
function execCall(n: number, args: Record<string, unknown>): Record<string, unknown> {
  return {
    type: "function_call",
    id: `fc_${n}`,
    call_id: `call_${n}`,
    name: "exec_command",
    arguments: JSON.stringify(args),
  };
}

function sse(events: Array<[string, unknown]>): string {
  return events.map(([type, data]) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...(data as object) })}\n\n`
  ).join("");
}

const usage = {
  input_tokens: 10,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 5,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 15,
};

/** Waits `ms`, or less when the client went away (so the fake can shut down at once). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Starts the fake on 127.0.0.1 on a free port. Dispose it to stop it. */
export function startFakeResponses(): FakeResponses {
  const requests: SeenRequest[] = [];
  let counter = 0;
  /** Turns seen per prompt text, for `VARIANTS=`. */
  const turnsOf = new Map<string, number>();
  // Ends every held answer when the fake is disposed: a client killed mid-request does not always
  // abort its request's signal, and shutdown waits for the handlers.
  const closing = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (req.method !== "POST" || !url.pathname.endsWith("/responses")) {
        return new Response("not found", { status: 404 });
      }
      const body = await req.json() as Record<string, unknown>;
      const input = (body.input ?? []) as InputItem[];
      const { prompt: fullPrompt, userMessages, toolOutput, outputs } = readInput(input);
      const review = isReviewMode(input);
      requests.push({
        model: String(body.model),
        prompt: fullPrompt,
        conversation: conversationOf(input),
        body,
      });
      const calls = mcpCalls(fullPrompt);
      // The other directives are read outside the MCP= lines (those carry the inner prompts).
      const resolve = /^> .*?RESOLVE=(.*)$/m.exec(fullPrompt)?.[1] ?? "";
      const prompt = fullPrompt.replace(/MCP=.*$/gm, "").replace(/^> .*$/gm, "")
        .replace(/RESOLVE=.*$/gm, "") + (resolve === "" ? "" : `\n${resolve}`);
      const sleep = /SLEEP=(\d+)/.exec(prompt);
      if (sleep && toolOutput === undefined) {
        await pause(Number(sleep[1]), AbortSignal.any([req.signal, closing.signal]));
      }
      const hold = /HOLD=(\d+)/.exec(prompt);
      if (hold && toolOutput === undefined) {
        await pause(Number(hold[1]), AbortSignal.any([req.signal, closing.signal]));
      }
      const later = /LATER=(\d+)/.exec(prompt);
      if (later && toolOutput !== undefined) {
        await pause(Number(later[1]), AbortSignal.any([req.signal, closing.signal]));
      }
      const holdFrom = userMessages.findLastIndex((m) => /HOLD=\d+/.test(m));
      if (/\bFAIL\b/.test(prompt)) {
        return Response.json(
          {
            error: { message: "mock model refused: FAIL directive", type: "invalid_request_error" },
          },
          { status: 400 },
        );
      }
      const status = /STATUS=(\d{3})/.exec(prompt);
      if (status) {
        const code = Number(status[1]);
        return Response.json(
          {
            error: { message: "mock model error: STATUS directive", type: "mock_error" },
          },
          { status: code, headers: code === 429 ? { "retry-after": "0" } : {} },
        );
      }
      const variants = /VARIANTS=(\S+)/.exec(prompt);
      let variant: string | undefined;
      if (variants && toolOutput === undefined) {
        const k = turnsOf.get(fullPrompt) ?? 0;
        turnsOf.set(fullPrompt, k + 1);
        const list = variants[1]!.split("|");
        variant = list[k % list.length];
      }
      const id = `resp_${++counter}`;
      const events: Array<[string, unknown]> = [["response.created", { response: { id } }]];
      const runWord = /RUN=(.*)$/m.exec(prompt)?.[1];
      const run = runWord ?? (review ? reviewCommand(prompt) : null);
      const escalate = /ESCALATE=(.*)$/m.exec(prompt);
      const yieldMs = /YIELD=(\d+)/.exec(prompt);
      const ask = /ASK=(.*)$/m.exec(prompt);
      const patch = /PATCH=(\S+)/.exec(prompt);
      const format = (body.text as { format?: { type?: string } } | undefined)?.format;
      const json = /JSON=(.*)$/m.exec(prompt);
      const reason = /REASON=(\S+)/.exec(prompt);
      if (toolOutput === undefined && reason) {
        events.push(["response.output_item.done", {
          item: {
            type: "reasoning",
            id: `rs_${counter}`,
            summary: [{ type: "summary_text", text: `**Thinking** about ${reason[1]}` }],
          },
        }]);
      }
      const call = calls[outputs.length];
      if (call) {
        events.push(["response.output_item.done", {
          item: {
            type: "function_call",
            id: `fc_${counter}`,
            call_id: `call_${counter}`,
            namespace: MCP_NAMESPACE,
            name: call[0],
            arguments: fillIn(call[1], outputs),
          },
        }]);
      } else if (toolOutput === undefined && escalate) {
        events.push(["response.output_item.done", {
          item: execCall(counter, {
            cmd: escalate[1],
            sandbox_permissions: "require_escalated",
            justification: `MOCK needs ${escalate[1]} outside the sandbox`,
          }),
        }]);
      } else if (toolOutput === undefined && ask) {
        events.push(["response.output_item.done", {
          item: {
            type: "function_call",
            id: `fc_${counter}`,
            call_id: `call_${counter}`,
            name: "request_user_input",
            arguments: JSON.stringify({
              questions: [{
                id: "q1",
                header: "Mock",
                question: ask[1],
                options: [
                  { label: "Yes (Recommended)", description: "Go on." },
                  { label: "No", description: "Stop." },
                ],
              }],
            }),
          },
        }]);
      } else if (toolOutput === undefined && patch) {
        events.push(["response.output_item.done", {
          item: patchCall((body.tools ?? []) as Tool[], patch[1]!, counter, variant),
        }]);
      } else if (toolOutput === undefined && run) {
        events.push(["response.output_item.done", {
          item: execCall(counter, {
            cmd: run,
            ...(yieldMs ? { yield_time_ms: Number(yieldMs[1]) } : {}),
          }),
        }]);
      } else {
        const said = holdFrom === -1 ? fullPrompt : userMessages.slice(holdFrom).join(" | ");
        const text = review
          ? JSON.stringify(reviewAnswer(toolOutput ?? "", contextCwd(input)))
          : format?.type === "json_schema"
          ? (json?.[1]?.trim() || "{}")
          : `MOCK-DONE ${said}` +
            (toolOutput === undefined ? "" : ` OUTPUT: ${toolOutput.replace(/\s+/g, " ").trim()}`);
        events.push(["response.output_item.done", {
          item: {
            type: "message",
            role: "assistant",
            id: `msg_${counter}`,
            content: [{ type: "output_text", text, annotations: [] }],
          },
        }]);
      }
      events.push(["response.completed", { response: { id, usage } }]);
      return new Response(sse(events), { headers: { "content-type": "text/event-stream" } });
    },
  );
  const addr = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${addr.port}/v1`,
    requests,
    async [Symbol.asyncDispose]() {
      closing.abort();
      await server.shutdown();
    },
  };
}

/** The name of the provider that {@link writeCodexHome} configures. */
export const MOCK_PROVIDER = "mock";

/**
 * Writes a fresh `CODEX_HOME` whose default provider is the fake at `baseUrl`, with retries off.
 * Returns the directory.
 */
export async function writeCodexHome(baseUrl: string): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "codex-home-" });
  await Deno.writeTextFile(
    `${home}/config.toml`,
    [
      `model = "mock-model"`,
      `model_provider = "${MOCK_PROVIDER}"`,
      `[model_providers.${MOCK_PROVIDER}]`,
      `name = "Mock"`,
      `base_url = "${baseUrl}"`,
      `env_key = "MOCK_API_KEY"`,
      `wire_api = "responses"`,
      `request_max_retries = 0`,
      `stream_max_retries = 0`,
      `stream_idle_timeout_ms = 60000`,
      "",
    ].join("\n"),
  );
  return home;
}
