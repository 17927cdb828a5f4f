/**
 * How a front-end reaches its supervisor: it dials what `info.json` names (over the loopback port
 * it proves the token, and the supervisor proves it too), says hello (in protocol 1 to a
 * supervisor of that protocol), waits while the supervisor has no room for another connection
 * waiting for auth, and starts a supervisor (once, under the start lock of the task directory)
 * when none answers. Loads nothing heavy: it is part of the front-end.
 *
 * @example
 * ```ts ignore
 * // ignore: connects to, or starts, a supervisor
 * const link = await connectOrStart(options, hello);
 * link.write(new TextEncoder().encode(line + "\n"));
 * ```
 * @module
 */

import { AUTH_LINE_MAX_BYTES, type AuthAnswer, proofHolds, proofOf } from "./auth.ts";
import type { AuthLine, Hello } from "./hello_check.ts";
import type { HelloReply, RunOptions } from "./hello.ts";
import { HELLO_MAX_BYTES, HELLO_PROTOCOL } from "./hello.ts";
import { spawnSupervisor } from "./launch.ts";
import { LineSplitter } from "../base/lines.ts";
import { delay, withTimeout } from "../base/delay.ts";
import { readInfo } from "./listen.ts";
import { innerPeerLookups } from "./peer_lookup.ts";
import { chunks, orderedWriter } from "./raw_io.ts";
import { type SupervisorPaths, supervisorPaths, unixSocketProblem } from "./paths.ts";
import { messageOf, quietly } from "../base/errors.ts";

/** How long a front-end waits for a supervisor it started to answer. */
const START_TIMEOUT_MS = 30_000;
/** How long a front-end waits for another front-end that is starting the supervisor. */
const LOCK_TIMEOUT_MS = 45_000;
/** How long the process on the loopback port may take to prove it is the supervisor. */
const PROOF_TIMEOUT_MS = 3_000;
/** How long a supervisor may take to answer the hello. */
const HELLO_TIMEOUT_MS = 10_000;
/**
 * How long a front-end retries a supervisor that has no room for another connection waiting for
 * auth before it takes it for gone: a little longer than the supervisor's 5 s auth deadline, by
 * which every waiting connection has proved the token or been closed.
 */
const BUSY_WAIT_MS = 6_000;
/** The pause between those tries. */
const BUSY_RETRY_MS = 100;

/**
 * A connection to a supervisor that accepted the hello: its `reader` reads the rest of the
 * connection, split by `split`, after the lines read early (`early`); `write` writes in order.
 */
export type Link = Conversation & { reply: Extract<HelloReply, { ok: true }> };

type Handshake =
  | { kind: "ok"; link: Link }
  | { kind: "absent"; why: string }
  | { kind: "busy"; why: string }
  | { kind: "retiring"; error: string }
  | { kind: "refused"; error: string };

const encoder = new TextEncoder();

/** Connects to the supervisor that `info.json` names, or null when none listens. */
async function dial(paths: SupervisorPaths, env: Record<string, string>) {
  const info = readInfo(paths.info);
  if (!info) return null;
  try {
    // The supervisor can tell a client from a task's process over TCP only (it finds the peer in
    // /proc, or with lsof), and takes every Unix-socket session for a task's: where it has a way
    // (Linux, macOS), connect over TCP.
    const tellsOverTcp = innerPeerLookups(Deno.build.os, null).length > 0;
    if (info.unix && !tellsOverTcp && unixSocketProblem(info.unix, env) === null) {
      return converse(await Deno.connect({ transport: "unix", path: info.unix }), null);
    }
    const token = Deno.readTextFileSync(paths.token).trim();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: info.port });
    return converse(conn, { port: info.port, token });
  } catch {
    return null;
  }
}

/**
 * The lines of one connection, each awaited with a time limit; `tcp`: over the loopback port, its
 * port and the token.
 */
function converse(conn: Deno.Conn, tcp: { port: number; token: string } | null) {
  const reader = chunks(conn);
  const write = orderedWriter(conn);
  // Until the peer proved the token, no line longer than an answer to the auth line is read.
  const split = new LineSplitter(AUTH_LINE_MAX_BYTES);
  /** Lines read but not taken yet. */
  const early: string[] = [];
  return {
    conn,
    tcp,
    reader,
    write,
    split,
    early,
    send: (line: string) => write(encoder.encode(line + "\n")),
    /** The next line, or why there is none. */
    next: async (ms: number): Promise<string | "timeout" | "closed"> => {
      const read = (async () => {
        while (early.length === 0) {
          const { value, done } = await reader.next();
          if (done) return "closed" as const;
          early.push(...split.push(value));
        }
        return early.shift()!;
      })();
      return await withTimeout(read, ms);
    },
    drop: () => quietly(() => conn.close()),
  };
}

type Conversation = ReturnType<typeof converse>;

/** Sends the hello line on a connection whose peer proved itself, and reads the reply. */
async function sayHello(
  paths: SupervisorPaths,
  talk: Conversation,
  line: string,
): Promise<Handshake> {
  talk.split.limit = HELLO_MAX_BYTES;
  await talk.send(line);
  const got = await talk.next(HELLO_TIMEOUT_MS);
  if (got === "timeout") {
    return { kind: "refused", error: `The supervisor at ${paths.dir} did not answer the hello` };
  }
  if (got === "closed") return { kind: "absent", why: "the supervisor closed the connection" };
  const reply = JSON.parse(got) as HelloReply;
  if (!reply.ok) {
    return { kind: reply.retiring ? "retiring" : "refused", error: reply.error };
  }
  talk.split.limit = Infinity;
  return { kind: "ok", link: { ...talk, reply } };
}

/**
 * Dials the supervisor and runs `body` on the connection; the connection is closed unless `body`
 * hands it on in an `ok` link, and an error is the supervisor's absence.
 */
async function talkTo(
  paths: SupervisorPaths,
  env: Record<string, string>,
  body: (talk: Conversation) => Promise<Handshake>,
): Promise<Handshake> {
  const talk = await dial(paths, env);
  if (!talk) return { kind: "absent", why: "nothing listens" };
  try {
    const got = await body(talk);
    if (got.kind !== "ok") talk.drop();
    return got;
  } catch (error) {
    talk.drop();
    return { kind: "absent", why: messageOf(error) };
  }
}

/**
 * Connects and says hello: the auth line (with the proof of the token over the loopback port),
 * then, once the supervisor proved it knows the token too, the hello.
 */
function handshake(paths: SupervisorPaths, hello: Hello): Promise<Handshake> {
  return talkTo(paths, hello.env, async (talk) => {
    const { tcp } = talk;
    const nonce = crypto.randomUUID();
    const auth: AuthLine = { codex_swarm_auth: HELLO_PROTOCOL, version: hello.version, nonce };
    if (tcp) auth.proof = await proofOf(tcp.token, "client", tcp.port, nonce);
    await talk.send(JSON.stringify(auth));
    const got = await talk.next(PROOF_TIMEOUT_MS);
    if (got === "timeout" || got === "closed") {
      return { kind: "absent", why: `no answer to the proof of the token (${got})` };
    }
    const answer = JSON.parse(got) as Partial<AuthAnswer> & Partial<HelloReply>;
    if (answer.ok === false && answer.protocol === undefined) {
      // A supervisor of hello protocol 1 refuses the auth line as a bad hello.
      talk.drop();
      return await handshakeV1(paths, hello);
    }
    if (answer.ok === false && answer.busy === true) {
      return { kind: "busy", why: String(answer.error) };
    }
    // Over the loopback port only a peer that proved the token is believed, refusals included.
    const proved = tcp === null ||
      (typeof answer.proof === "string" &&
        await proofHolds(answer.proof, tcp.token, "supervisor", tcp.port, nonce));
    if (!proved) {
      const said = answer.ok === false ? `: ${answer.error}` : "";
      return { kind: "absent", why: `the process on the port did not prove the token${said}` };
    }
    if (answer.ok === false) {
      return { kind: answer.retiring ? "retiring" : "refused", error: String(answer.error) };
    }
    if (answer.codex_swarm_auth !== HELLO_PROTOCOL) {
      return { kind: "absent", why: `the supervisor answered the auth line with ${got}` };
    }
    return await sayHello(paths, talk, JSON.stringify(hello));
  });
}

/**
 * Says hello in protocol 1, as codex-swarm spoke it until protocol 2, to a supervisor of that
 * protocol (whose answer to the auth line has no `protocol`): it retires for a newer codex-swarm
 * when idle, and serves it while busy (as a newer version of the same protocol is), until it
 * retires. Over the loopback port the front-end sends a challenge (a nonce), the supervisor
 * answers SHA-256 of `token:nonce` (hex), and the front-end sends its hello with the token in it;
 * over the Unix socket the hello comes first. The supervisor never speaks it.
 */
function handshakeV1(paths: SupervisorPaths, hello: Hello): Promise<Handshake> {
  return talkTo(paths, hello.env, async (talk) => {
    const { tcp } = talk;
    if (tcp) {
      const nonce = crypto.randomUUID();
      await talk.send(JSON.stringify({ codex_swarm_challenge: nonce }));
      const got = await talk.next(PROOF_TIMEOUT_MS);
      const proof = got === "timeout" || got === "closed"
        ? undefined
        : (JSON.parse(got) as { codex_swarm_proof?: string }).codex_swarm_proof;
      const digest = await crypto.subtle.digest("SHA-256", encoder.encode(`${tcp.token}:${nonce}`));
      if (proof === undefined || proof !== new Uint8Array(digest).toHex()) {
        return { kind: "absent", why: "the process on the port is not this supervisor" };
      }
    }
    const helloV1 = { ...hello, codex_swarm_hello: 1, ...(tcp?.token ? { token: tcp.token } : {}) };
    return await sayHello(paths, talk, JSON.stringify(helloV1));
  });
}

/**
 * {@link handshake}, tried again for up to {@link BUSY_WAIT_MS} while the supervisor has no room
 * for another connection waiting for auth (then it counts as absent: a process that is not the
 * supervisor can say it is busy too).
 */
async function handshakeWhenFree(paths: SupervisorPaths, hello: Hello): Promise<Handshake> {
  const end = Date.now() + BUSY_WAIT_MS;
  for (;;) {
    const got = await handshake(paths, hello);
    if (got.kind !== "busy") return got;
    if (Date.now() >= end) return { kind: "absent", why: got.why };
    await delay(BUSY_RETRY_MS);
  }
}

/** Connects to the supervisor, starting one (once) when none answers. */
export async function connectOrStart(options: RunOptions, hello: Hello): Promise<Link> {
  const { config, log } = options;
  const paths = supervisorPaths(config.taskDir);
  const first = await handshakeWhenFree(paths, hello);
  if (first.kind === "ok") return first.link;
  if (first.kind === "refused") throw new Error(first.error);
  Deno.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  if (Deno.build.os !== "windows") Deno.chmodSync(paths.dir, 0o700);
  // The start lock of the task directory, held until this returns.
  using lock = await Deno.open(paths.startLock, { create: true, write: true, mode: 0o600 });
  if (await withTimeout(lock.lock(true), LOCK_TIMEOUT_MS) === "timeout") {
    throw new Error(
      `Cannot start the supervisor: another codex-swarm has held ${paths.startLock} for ` +
        `${LOCK_TIMEOUT_MS / 1000} s`,
    );
  }
  // Another front-end may have started one while this one waited for the lock.
  let again = await handshakeWhenFree(paths, hello);
  if (again.kind === "ok") return again.link;
  if (again.kind === "refused") throw new Error(again.error);
  if (again.kind === "retiring") log.info(again.error);
  const unixSocket = unixSocketProblem(paths.socket, options.env) === null ? paths.socket : null;
  const child = spawnSupervisor(config, options.env, paths.dir, unixSocket);
  log.info(`Started a supervisor (pid ${child.pid}) for ${config.taskDir}`);
  let exitCode: number | null = null;
  child.status.then((status) => (exitCode = status.code)).catch(() => {});
  const seeLog = `see the log ${config.logFile ?? "(none: set --log-file)"}`;
  const end = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < end) {
    await delay(40);
    again = await handshake(paths, hello);
    if (again.kind === "ok") return again.link;
    if (again.kind === "refused") throw new Error(again.error);
    if (exitCode !== null && (again.kind === "absent" || again.kind === "busy")) {
      throw new Error(
        `Cannot start the supervisor: it exited with code ${exitCode} before it listened ` +
          `(${seeLog})`,
      );
    }
  }
  throw new Error(
    `Cannot start the supervisor: it did not listen within ${START_TIMEOUT_MS / 1000} s ` +
      `(${seeLog})`,
  );
}
