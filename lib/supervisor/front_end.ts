/**
 * The front-end: what `codex-swarm` is on stdio. It connects to the supervisor of its task
 * directory (starting one when none answers: `connect.ts`), sends its hello, then relays its
 * client's MCP lines both ways. It loads neither the SDK nor the engine, so it starts fast.
 *
 * It remembers the client's `initialize` request and `initialized` notification. When the
 * supervisor goes away, it answers the client's unanswered requests with an error that says so,
 * starts a new supervisor, replays `initialize` (swallowing the answer) and `initialized`, and goes
 * on: the client keeps its session.
 *
 * @example
 * ```ts ignore
 * // ignore: relays stdio to a supervisor it may start
 * const code = await runFrontEnd({ config, env: Deno.env.toObject(), version: "0.1.0", log });
 * ```
 * @module
 */

import { HELLO_PROTOCOL, type RunOptions, TOP_ROLE_ENV } from "./hello.ts";
import type { Hello } from "./hello_check.ts";
import { LineSplitter } from "../base/lines.ts";
import { chunks, orderedWriter } from "./raw_io.ts";
import { connectOrStart, type Link } from "./connect.ts";
import { delay, withTimeout } from "../base/delay.ts";
import { messageOf } from "../base/errors.ts";

const encoder = new TextEncoder();

/** A JSON-RPC message as far as the relay looks at it, or null when the line is not one. */
function peek(line: string): { id?: string | number | null; method?: string } | null {
  try {
    const value = JSON.parse(line);
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

/** Runs the front-end until its client closes stdin or a signal comes. Returns the exit code. */
export async function runFrontEnd(options: RunOptions): Promise<number> {
  const { log } = options;
  const hello: Hello = {
    codex_swarm_hello: HELLO_PROTOCOL,
    version: options.version,
    pid: Deno.pid,
    cwd: Deno.cwd(),
    env: options.env,
    config: options.config,
    ...(options.env[TOP_ROLE_ENV] === "1" ? { role: "top" as const } : {}),
  };
  const relay = new Relay(options, hello);
  const first = await connectOrStart(options, hello).catch((error) => {
    log.error(messageOf(error));
  });
  if (!first) return 1;
  relay.attach(first, false);
  log.debug(`codex-swarm ${options.version} relaying to supervisor ${first.reply.version}`, {
    supervisorPid: first.reply.pid,
    session: first.reply.session_id,
    kind: first.reply.session_kind,
  });

  const signals: Array<[Deno.Signal, () => void]> = [];
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => relay.stop(0);
    try {
      Deno.addSignalListener(signal, handler);
      signals.push([signal, handler]);
    } catch {
      // Not on this platform.
    }
  }
  (async () => {
    const split = new LineSplitter();
    try {
      for await (const chunk of chunks(Deno.stdin)) {
        for (const line of split.push(chunk)) relay.fromClient(line);
      }
      if (split.rest().trim() !== "") relay.fromClient(split.rest());
    } catch {
      // stdin failed: as good as closed.
    }
    relay.stop(0);
  })();

  const code = await relay.finished.promise;
  for (const [signal, handler] of signals) Deno.removeSignalListener(signal, handler);
  await relay.close();
  return code;
}

/**
 * The relay between the client (stdio) and the supervisor of the moment: what it remembers to
 * replay, the client's requests not answered yet, and the lines waiting for a supervisor.
 */
class Relay {
  /** Settles with the exit code once the relay stops. */
  readonly finished = Promise.withResolvers<number>();
  readonly #stdout = orderedWriter(Deno.stdout);
  #link: Link | null = null;
  #initialize: string | null = null;
  #initialized: string | null = null;
  #replays = 0;
  #replayId: string | null = null;
  #stopping = false;
  /** The client's requests the supervisor has not answered yet, by JSON id. */
  readonly #inFlight = new Map<string, string | number>();
  /** Client lines waiting for a supervisor. */
  #queue: string[] = [];

  constructor(private readonly options: RunOptions, private readonly hello: Hello) {}

  /** Stops with `code`. */
  stop(code: number): void {
    this.#stopping = true;
    this.finished.resolve(code);
  }

  /** Lets what was written reach the supervisor, then closes the connection. */
  async close(): Promise<void> {
    this.#stopping = true;
    const last = this.#link;
    if (!last) return;
    await withTimeout(last.write(new Uint8Array()), 200);
    last.drop();
  }

  /** A client whose end of stdout is gone (EPIPE) is gone: the front-end stops, never retries. */
  #toClient(line: string): void {
    this.#stdout(encoder.encode(line + "\n")).catch((error) => {
      if (this.#stopping) return;
      this.options.log.local("warning", `Cannot write to the client (${error}); stopping`);
      this.stop(0);
    });
  }

  #toSupervisor(line: string): void {
    if (this.#link) this.#link.send(line).catch(() => {});
    else this.#queue.push(line);
  }

  #fromSupervisor(line: string): void {
    const message = peek(line);
    if (message && message.method === undefined && message.id !== undefined) {
      if (this.#replayId !== null && message.id === this.#replayId) {
        this.#replayId = null;
        return; // The answer to the replayed initialize: the client has its own.
      }
      this.#inFlight.delete(JSON.stringify(message.id));
    }
    this.#toClient(line);
  }

  /** A line from the client: requests are remembered until answered, `initialize` for replays. */
  fromClient(line: string): void {
    if (line.trim() === "") return;
    const message = peek(line);
    if (message?.method !== undefined && message.id !== undefined && message.id !== null) {
      this.#inFlight.set(JSON.stringify(message.id), message.id);
      if (message.method === "initialize") this.#initialize = line;
    } else if (message?.method === "notifications/initialized") {
      this.#initialized = line;
    }
    this.#toSupervisor(line);
  }

  /** Relays to `next`; with `replay`, says `initialize` and `initialized` again first. */
  attach(next: Link, replay: boolean): void {
    this.#link = next;
    for (const warning of next.reply.warnings) this.options.log.warning(warning);
    if (replay && this.#initialize) {
      const init = JSON.parse(this.#initialize);
      this.#replayId = `codex-swarm-replay-${++this.#replays}`;
      next.send(JSON.stringify({ ...init, id: this.#replayId })).catch(() => {});
      if (this.#initialized) next.send(this.#initialized).catch(() => {});
    }
    const waiting = this.#queue;
    this.#queue = [];
    for (const line of waiting) this.#toSupervisor(line);
    for (const line of next.early) this.#fromSupervisor(line);
    this.#pump(next);
  }

  async #pump(current: Link): Promise<void> {
    let why = "its connection closed";
    try {
      for await (const chunk of current.reader) {
        for (const line of current.split.push(chunk)) this.#fromSupervisor(line);
      }
    } catch (error) {
      why = messageOf(error);
    }
    if (this.#link === current) this.#lost(why);
  }

  /** The supervisor went away: fails the requests in flight, then connects again (3 tries). */
  async #lost(why: string): Promise<void> {
    if (this.#stopping) return;
    this.#link = null;
    this.options.log.warning(`The supervisor went away (${why}); starting a new one`);
    for (const id of this.#inFlight.values()) {
      this.#toClient(JSON.stringify({
        jsonrpc: "2.0",
        id,
        error: {
          code: -32603,
          message: `The codex-swarm supervisor went away (${why}) before it answered: a new ` +
            `one is being started; tasks keep their records, so retry or look them up with ` +
            `codex_list`,
        },
      }));
    }
    this.#inFlight.clear();
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        this.attach(await connectOrStart(this.options, this.hello), true);
        this.options.log.info("Connected to a new supervisor; the session goes on");
        return;
      } catch (error) {
        this.options.log.error(`Cannot reach a supervisor (attempt ${attempt}): ${error}`);
        if (attempt >= 3) {
          this.finished.resolve(1);
          return;
        }
        await delay(500 * attempt);
      }
    }
  }
}
