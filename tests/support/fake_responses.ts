/**
 * A small stand-in for the OpenAI Responses API, for end-to-end tests with the real Codex CLI.
 *
 * It answers `POST /responses` with the real `text/event-stream` format, scripted by the words of the
 * newest user prompt:
 * - `SLEEP=<ms>`: wait that long before answering;
 * - `FAIL`: answer HTTP 400 with an `invalid_request_error`;
 * - `REASON=<word>`: emit a reasoning item whose summary includes the word;
 * - `RUN=<command>` (the rest of the line): ask Codex to run the shell command, then answer with a
 *   message that quotes the command's output.
 * - `MCP=<tool> <JSON arguments>` (the rest of the line, one or more lines): for Codex as an MCP
 *   client, call the tool of the `mcp__codex_swarm` namespace, one line per turn step in order
 *   (the n-th call once n-1 tool outputs are in the input), then answer quoting the last output.
 *   In the arguments, `"$TASK_IDS"` becomes the task ids seen in earlier tool outputs and
 *   `$THREAD_ID` the first thread id seen. Lines with `MCP=` are the outer model's: the other
 *   directives are looked for only outside them, so an inner prompt inside them cannot collide.
 * Every answer message starts `MOCK-DONE` and repeats the prompt.
 *
 * @example
 * ```ts
 * await using fake = startFakeResponses();
 * const home = await writeCodexHome(fake.url);
 * ```
 * @module
 */

/** One request the fake has seen. */
export interface SeenRequest {
  model: string;
  prompt: string;
  body: Record<string, unknown>;
}

/** A running fake Responses API. */
export interface FakeResponses extends AsyncDisposable {
  /** The base URL to give Codex (ends in `/v1`). */
  url: string;
  /** The requests seen so far, oldest first. */
  requests: SeenRequest[];
}

type InputItem = { type?: string; role?: string; content?: unknown; output?: unknown };

/** The namespace Codex 0.169 gives the tools of the MCP server `codex_swarm`. */
export const MCP_NAMESPACE = "mcp__codex_swarm";

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((c) => (c && typeof c.text === "string" ? c.text : "")).join("");
}

function outputOf(item: InputItem): string {
  return typeof item.output === "string" ? item.output : textOf(item.output);
}

/**
 * The newest user prompt in a request's `input`, the output of a just-run command if any, and the
 * tool outputs since that prompt.
 */
function readInput(
  input: InputItem[],
): { prompt: string; toolOutput: string | undefined; outputs: string[] } {
  let prompt = "";
  let outputs: string[] = [];
  for (const item of input) {
    if (item.role === "user" && (item.type === undefined || item.type === "message")) {
      const text = textOf(item.content);
      // Codex adds its own context blocks as user messages; the prompt is the newest plain one.
      if (!text.startsWith("<")) {
        prompt = text;
        outputs = [];
      }
    } else if (item.type === "function_call_output") {
      outputs.push(outputOf(item));
    }
  }
  const last = input.at(-1);
  const toolOutput = last?.type === "function_call_output" ? outputOf(last) : undefined;
  return { prompt, toolOutput, outputs };
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

/** Starts the fake on 127.0.0.1 on a free port. Dispose it to stop it. */
export function startFakeResponses(): FakeResponses {
  const requests: SeenRequest[] = [];
  let counter = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (req.method !== "POST" || !url.pathname.endsWith("/responses")) {
        return new Response("not found", { status: 404 });
      }
      const body = await req.json() as Record<string, unknown>;
      const { prompt: fullPrompt, toolOutput, outputs } = readInput(
        (body.input ?? []) as InputItem[],
      );
      requests.push({ model: String(body.model), prompt: fullPrompt, body });
      const calls = mcpCalls(fullPrompt);
      // The other directives are read outside the MCP= lines (those carry the inner prompts).
      const prompt = fullPrompt.replace(/MCP=.*$/gm, "");
      const sleep = /SLEEP=(\d+)/.exec(prompt);
      if (sleep && toolOutput === undefined) {
        await new Promise((r) => setTimeout(r, Number(sleep[1])));
      }
      if (/\bFAIL\b/.test(prompt)) {
        return Response.json(
          {
            error: { message: "mock model refused: FAIL directive", type: "invalid_request_error" },
          },
          { status: 400 },
        );
      }
      const id = `resp_${++counter}`;
      const events: Array<[string, unknown]> = [["response.created", { response: { id } }]];
      const run = /RUN=(.*)$/m.exec(prompt);
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
      } else if (toolOutput === undefined && run) {
        events.push(["response.output_item.done", {
          item: {
            type: "function_call",
            id: `fc_${counter}`,
            call_id: `call_${counter}`,
            name: "exec_command",
            arguments: JSON.stringify({ cmd: run[1] }),
          },
        }]);
      } else {
        const text = `MOCK-DONE ${fullPrompt}` +
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
