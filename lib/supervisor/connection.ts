/**
 * One connection to the supervisor, step by step: the auth line (at most 4 KB, within 5 s, and at
 * most 16 connections waiting for it at once: `auth_gate.ts`), then the hello (at most 1 MB, within
 * 10 s: `hello_check.ts`), then MCP over the connection as a session of its own. A refusal is one
 * line naming the reason, then the connection is closed.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a running supervisor's parts
 * for await (const conn of listener) new Connection(conn, true, parts).serve();
 * ```
 * @module
 */

import { LineSplitter, LineTooLongError } from "../base/lines.ts";
import { AUTH_LINE_MAX_BYTES } from "./auth.ts";
import type { AuthGate } from "./auth_gate.ts";
import type { Admission } from "./admission.ts";
import { HELLO_MAX_BYTES } from "./hello.ts";
import { type Hello, parseHello } from "./hello_check.ts";
import { openSession, type SupervisorParts } from "./session.ts";
import type { SessionOrigin } from "./session_kind.ts";
import { SocketTransport } from "./socket_transport.ts";
import { stdinIsTerminal } from "./terminal.ts";
import { messageOf, quietly } from "../base/errors.ts";

/**
 * How long a connection may take to send its auth line: a front-end sends it as soon as it is
 * connected (and gives up after 3 s itself), so a few seconds are ample, and a connection that
 * trickles bytes holds one of the few places for connections waiting for auth only that long.
 */
const AUTH_TIMEOUT_MS = 5_000;
/** How long a connection that proved the token may take to send its hello. */
const HELLO_TIMEOUT_MS = 10_000;

/** What serving a connection needs: the supervisor's parts, its admission and its auth gate. */
export type ConnectionParts = SupervisorParts & { admission: Admission; gate: AuthGate };

/** One connection, served until it ends by {@linkcode Connection.serve} (see the module doc). */
export class Connection {
  readonly #encoder = new TextEncoder();
  // Nothing larger than the auth line is read before the token is proved.
  readonly #split = new LineSplitter(AUTH_LINE_MAX_BYTES);
  /** What the connection waits for next. */
  #step: "auth" | "hello" | "session" = "auth";
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #transport: SocketTransport | null = null;
  #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #release: () => void = () => {};

  constructor(
    private readonly conn: Deno.Conn,
    private readonly tcp: boolean,
    private readonly parts: ConnectionParts,
  ) {}

  readonly #close = () => quietly(() => this.conn.close());

  readonly #expire = () => {
    this.parts.log.debug(`Closed a supervisor connection that sent no ${this.#step} line in time`);
    this.#close();
  };

  #send(value: unknown): Promise<void> {
    return this.#writer!.write(this.#encoder.encode(JSON.stringify(value) + "\n"));
  }

  async serve(): Promise<void> {
    const { gate, life, log } = this.parts;
    const release = gate.enter();
    if (release === null) {
      this.#refuseBusy();
      return;
    }
    this.#release = release;
    life.connections.add(this.conn);
    const reader = this.conn.readable.getReader();
    this.#writer = this.conn.writable.getWriter();
    this.#deadline = setTimeout(this.#expire, AUTH_TIMEOUT_MS);
    try {
      // Until the peer closes, a line is too long, or a line is refused.
      reading: for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const lines = await this.#linesOf(value);
        if (lines === null) break;
        for (const line of lines) {
          if (!(await this.#take(line))) break reading;
        }
      }
    } catch (error) {
      if (!life.stopping) log.debug(`A supervisor connection failed: ${error}`);
    } finally {
      clearTimeout(this.#deadline);
      release();
      this.#transport?.ended();
      this.#close();
      life.connections.delete(this.conn);
      life.idleSince = Date.now();
    }
  }

  /** One short line, then close: a refusal waits for nothing the peer does. */
  #refuseBusy(): void {
    const { gate, log, admission } = this.parts;
    const note = gate.refused(Date.now());
    if (note !== null) log.warning(note);
    const line = JSON.stringify({
      ...admission.refusal(
        `Cannot serve this connection now: ${gate.max} connections already wait to prove the ` +
          `token; try again`,
      ),
      busy: true,
    });
    this.conn.write(this.#encoder.encode(line + "\n")).catch(() => {}).finally(this.#close);
  }

  /** The whole lines in `chunk`, or null (after saying so) when a line is too long. */
  async #linesOf(chunk: Uint8Array): Promise<string[] | null> {
    try {
      return this.#split.push(chunk);
    } catch (error) {
      if (!(error instanceof LineTooLongError) || this.#step === "session") throw error;
      await this.#send(this.parts.admission.refusal(
        this.#step === "auth"
          ? `Cannot read the first line: it is longer than ${AUTH_LINE_MAX_BYTES} bytes (it ` +
            `holds only the proof of the token; a codex-swarm of hello protocol 1 sends its ` +
            `whole hello first)`
          : `Cannot read the hello: it is longer than ${HELLO_MAX_BYTES} bytes`,
      ));
      return null;
    }
  }

  /** Takes one line at the current step; false when the connection was refused. */
  async #take(line: string): Promise<boolean> {
    if (this.#transport) {
      this.#transport.receive(line);
      return true;
    }
    if (this.#step === "auth") return await this.#takeAuth(line);
    clearTimeout(this.#deadline);
    return await this.#takeHello(line);
  }

  async #takeAuth(line: string): Promise<boolean> {
    const { admission, life, log } = this.parts;
    const admitted = await admission.admit(line, this.tcp, this.conn);
    if (admitted.retireFor !== undefined) {
      await life.retire(() => this.#send(admitted.answer), admitted.retireFor);
    } else {
      await this.#send(admitted.answer);
    }
    if (!admitted.go) {
      const said = "error" in admitted.answer ? admitted.answer.error : "";
      log.debug(`Refused a supervisor connection: ${said}`);
      return false;
    }
    this.#release();
    this.#step = "hello";
    this.#split.limit = HELLO_MAX_BYTES;
    clearTimeout(this.#deadline);
    this.#deadline = setTimeout(this.#expire, HELLO_TIMEOUT_MS);
    return true;
  }

  async #takeHello(line: string): Promise<boolean> {
    const { admission, life } = this.parts;
    let hello: Hello;
    try {
      hello = parseHello(line);
    } catch (error) {
      await this.#send(admission.refusal(messageOf(error)));
      return false;
    }
    // Who is at the other end: a client, or a process of a task (see session_kind.ts).
    const lookupStart = performance.now();
    const origin = await admission.originOf(this.conn);
    const lookupMs = Math.round((performance.now() - lookupStart) * 10) / 10;
    const { serve: accept, ...reply } = await admission.answer(hello, origin);
    if (!accept) {
      if (reply.ok === false && reply.retiring && !life.stopping) {
        await life.retire(() => this.#send(reply), hello.version);
      } else {
        await this.#send(reply).catch(() => {});
      }
      return false;
    }
    const person = await this.#atTerminal(hello, origin);
    const open = openSession({
      ...this.parts,
      hello,
      origin,
      person,
      warnings: reply.ok ? reply.warnings : [],
    });
    if (reply.ok) {
      reply.session_id = open.session.id;
      reply.session_kind = origin.kind;
      reply.task_id = origin.taskId;
    }
    await this.#send(reply);
    this.#step = "session";
    this.#split.limit = Infinity;
    const t = new SocketTransport(this.#writer!, this.#close);
    this.#transport = t;
    life.sessions.add(t);
    const server = open.server;
    t.onclose = () => {
      life.sessions.delete(t);
      open.end();
      server.close().catch(() => {});
      this.parts.log.debug(`Session ${open.session.id} ended`, { sessions: life.sessions.size });
    };
    await server.connect(t);
    this.parts.log.info(`Session ${open.session.id} opened (${origin.kind})`, {
      kind: origin.kind,
      taskId: origin.taskId,
      peer: origin.why,
      peerLookup: origin.via,
      peerLookupMs: lookupMs,
      frontEndPid: hello.pid,
      frontEndVersion: hello.version,
      cwd: hello.cwd,
      sessions: life.sessions.size,
    });
    return true;
  }

  /** `top` at a person's terminal: its session answers approvals in every mode. */
  async #atTerminal(hello: Hello, origin: SessionOrigin): Promise<boolean> {
    const person = hello.role === "top" && origin.kind === "client" &&
      origin.ancestry !== undefined && origin.ancestry.length > 1 &&
      await stdinIsTerminal(origin.ancestry[1]!);
    if (hello.role === "top" && !person) {
      this.parts.log.info("A top session gets no approvals: its top reads no terminal here", {
        kind: origin.kind,
        peer: origin.why,
      });
    }
    return person;
  }
}
