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

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((c) => (c && typeof c.text === "string" ? c.text : "")).join("");
}

/** The newest user prompt in a request's `input`, and the output of a just-run command if any. */
function readInput(input: InputItem[]): { prompt: string; toolOutput: string | undefined } {
  let prompt = "";
  for (const item of input) {
    if (item.role === "user" && (item.type === undefined || item.type === "message")) {
      const text = textOf(item.content);
      // Codex adds its own context blocks as user messages; the prompt is the newest plain one.
      if (!text.startsWith("<")) prompt = text;
    }
  }
  const last = input.at(-1);
  const toolOutput = last?.type === "function_call_output"
    ? (typeof last.output === "string" ? last.output : textOf(last.output))
    : undefined;
  return { prompt, toolOutput };
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
      const { prompt, toolOutput } = readInput((body.input ?? []) as InputItem[]);
      requests.push({ model: String(body.model), prompt, body });
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
      if (toolOutput === undefined && run) {
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
        const text = `MOCK-DONE ${prompt}` +
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
