/**
 * The supervisor: the one long-lived process of a task directory. It runs the engine, listens on a
 * Unix socket (or, where there is none, a loopback port with a token), and serves every front-end
 * connection as an MCP session of its own. It exits once it has had no connection and no
 * unfinished task for `--idle-exit` seconds, or to make way for a newer program.
 *
 * It always listens on a loopback port, where a connection must prove it knows the token of the
 * 0600 file `token` in its first line (`auth.ts`), and also on the Unix socket (0600, in a 0700
 * directory) where Deno allows it (see {@link unixSocketProblem}). `info.json` says where. Before
 * the proof a connection is read one line of at most 4 KB, for at most 5 s, and at most 16 wait at
 * once (`auth_gate.ts`); then the hello, of at most 1 MB (`hello_check.ts`); then MCP.
 *
 * @example
 * ```sh
 * codex-swarm supervisor --task-dir ~/.local/state/codex-swarm/tasks --idle-exit 60
 * ```
 * @module
 */

import type { ServerConfig } from "./cli.ts";
import type { Engine } from "../tasks/engine_api.ts";
import { AppServerEngine } from "../tasks/app_engine.ts";
import type { Logger } from "../base/log.ts";
import type { SupervisorInfo } from "../mcp/resources.ts";
import { isFinal } from "../tasks/task.ts";
import { TaskStore } from "../tasks/task_store.ts";
import { WorktreeManager } from "../git/worktree.ts";
import {
  AUTH_LINE_MAX_BYTES,
  type AuthAnswer,
  type AuthLine,
  parseAuthLine,
  proofHolds,
  proofOf,
} from "./auth.ts";
import { AuthGate } from "./auth_gate.ts";
import {
  type Hello,
  HELLO_MAX_BYTES,
  HELLO_PROTOCOL,
  type HelloReply,
  machineWideDifferences,
} from "./hello.ts";
import { parseHello } from "./hello_check.ts";
import { LineSplitter, LineTooLongError } from "../base/lines.ts";
import { supervisorPaths, unixSocketProblem } from "./paths.ts";
import { peerLookupSetting } from "./peer_lookup.ts";
import { codexEnvFor } from "../request/client_env.ts";
import { openSession } from "./session.ts";
import { type SessionOrigin, sessionOrigin } from "./session_kind.ts";
import { OperatorCeiling, settingsPath } from "./settings.ts";
import { stdinIsTerminal } from "./terminal.ts";
import { SocketTransport } from "./socket_transport.ts";
import { compareVersions } from "./version.ts";

/**
 * How long a connection may take to send its auth line: a front-end sends it as soon as it is
 * connected (and gives up after 3 s itself), so a few seconds are ample, and a connection that
 * trickles bytes holds one of the few places for connections waiting for auth only that long.
 */
const AUTH_TIMEOUT_MS = 5_000;
/** How long a connection that proved the token may take to send its hello. */
const HELLO_TIMEOUT_MS = 10_000;
/** How long a new supervisor waits for the one before it to let go of the task directory. */
const LIFE_LOCK_WAIT_MS = 8_000;

/** What `info.json` holds. */
export interface InfoFile extends SupervisorInfo {
  /** The loopback port (a hello over it must carry the token). */
  port: number;
  /** The Unix socket, or null when there is none. */
  unix: string | null;
}

/** What the supervisor runs with. */
export interface SupervisorOptions {
  config: ServerConfig;
  /** The supervisor's own environment (tasks of an earlier supervisor run with it). */
  env: Record<string, string>;
  log: Logger;
  /** The version it claims. */
  version: string;
  /** Makes the engine (default {@link startAppServerEngine}); the one place an engine is chosen. */
  makeEngine?: EngineFactory;
}

/** An engine the supervisor can run: the tools' {@link Engine}, stopped by disposing it. */
export type SupervisorEngine = Engine & AsyncDisposable;

/** Builds and initialises the engine of a supervisor. */
export type EngineFactory = (parts: {
  config: ServerConfig;
  env: Record<string, string>;
  log: Logger;
  worktrees: WorktreeManager;
}) => Promise<SupervisorEngine>;

/** The engine: every task a turn of a `codex app-server` thread. */
export const startAppServerEngine: EngineFactory = async ({ config, env, log, worktrees }) => {
  // What runs outside a sandbox is the supervisor's: Codex from its PATH, its CODEX_HOME and
  // environment (without a client's secrets); a session brings only its model credentials.
  const codexEnv = codexEnvFor(env, config.policy.passEnv).env;
  const engine = new AppServerEngine({
    config,
    store: new TaskStore(config.taskDir),
    worktrees,
    log,
    // Queued tasks of codex-swarm 0.1 kept no session: they run with the supervisor's.
    fallbackSession: {
      id: "supervisor",
      // Who opened the session of such a task is not known: as for a peer that cannot be told.
      kind: "task",
      taskId: null,
      defaults: config.defaults,
      taskTimeoutS: config.taskTimeoutS,
      cwd: Deno.cwd(),
      env: codexEnv,
      policy: config.policy,
    },
    codexEnv,
  });
  await engine.init();
  return engine;
};

function delay(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => setTimeout(() => resolve("timeout"), ms));
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads the running supervisor's `info.json`, or null. */
export function readInfo(path: string): InfoFile | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as InfoFile;
  } catch {
    return null;
  }
}

/** Runs the supervisor until it exits (idle, retired or signalled). Returns the exit code. */
export async function runSupervisor(options: SupervisorOptions): Promise<number> {
  const { config, log, version } = options;
  const paths = supervisorPaths(config.taskDir);
  Deno.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  if (Deno.build.os !== "windows") Deno.chmodSync(paths.dir, 0o700);

  // One supervisor per task directory: the lock is held for the supervisor's whole life.
  const lifeLock = Deno.openSync(paths.lifeLock, { create: true, write: true, mode: 0o600 });
  if (await Promise.race([lifeLock.lock(true), delay(LIFE_LOCK_WAIT_MS)]) === "timeout") {
    const other = readInfo(paths.info);
    log.error(
      `Cannot start the supervisor of ${config.taskDir} as another one runs` +
        (other ? ` (pid ${other.pid}, version ${other.version}, ${other.socket})` : ""),
    );
    return 1;
  }

  // The ceiling of every session: the operator's settings file, else this supervisor's flags.
  const ceiling = new OperatorCeiling(settingsPath(options.env), config.policy, log);
  const worktrees = new WorktreeManager({ worktreeDir: config.worktreeDir });
  const engine = await (options.makeEngine ?? startAppServerEngine)({
    config,
    env: options.env,
    log,
    worktrees,
  });
  const unfinished = () => engine.list().filter((t) => !isFinal(t.meta.phase)).length;

  // Listen: always on a loopback port (with a token), and on the Unix socket where allowed.
  const unixProblem = unixSocketProblem(paths.socket, options.env);
  const token = randomToken();
  for (const path of [paths.token, paths.socket]) {
    try {
      Deno.removeSync(path);
    } catch {
      // Nothing stale.
    }
  }
  Deno.writeTextFileSync(paths.token, token, { mode: 0o600, createNew: true });
  const listeners: Deno.Listener[] = [Deno.listen({ hostname: "127.0.0.1", port: 0 })];
  const port = (listeners[0]!.addr as Deno.NetAddr).port;
  if (unixProblem === null) {
    listeners.push(Deno.listen({ transport: "unix", path: paths.socket }));
    Deno.chmodSync(paths.socket, 0o600);
  } else {
    log.debug(`No Unix socket: ${unixProblem}`);
  }
  const info: InfoFile = {
    pid: Deno.pid,
    started_at: new Date().toISOString(),
    version,
    socket: unixProblem === null ? paths.socket : `tcp://127.0.0.1:${port}`,
    port,
    unix: unixProblem === null ? paths.socket : null,
  };
  Deno.writeTextFileSync(`${paths.info}.tmp`, JSON.stringify(info), { mode: 0o600 });
  Deno.renameSync(`${paths.info}.tmp`, paths.info);
  log.info(`codex-swarm supervisor ${version} listening on ${info.socket}`, {
    pid: Deno.pid,
    port,
    taskDir: config.taskDir,
  });
  const supervisorInfo: SupervisorInfo = {
    pid: info.pid,
    started_at: info.started_at,
    version,
    socket: info.socket,
  };

  const sessions = new Set<SocketTransport>();
  const connections = new Set<Deno.Conn>();
  const gate = new AuthGate();
  let retireWhenIdle = false;
  let stopping = false;
  let idleSince = Date.now();
  const done = Promise.withResolvers<void>();

  const stopListening = () => {
    for (const listener of listeners) {
      try {
        listener.close();
      } catch {
        // Closed already.
      }
    }
    for (const path of [paths.socket, paths.info, paths.token]) {
      if (path === paths.info && readInfo(path)?.pid !== Deno.pid) continue;
      try {
        Deno.removeSync(path);
      } catch {
        // Gone already.
      }
    }
  };
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`The supervisor stops: ${reason}`, { unfinished: unfinished() });
    stopListening();
    for (const transport of sessions) transport.close();
    for (const conn of connections) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
    // The app-servers stop with the engine; their threads stay resumable.
    Promise.resolve(engine[Symbol.asyncDispose]())
      .catch((error: unknown) => log.error(`Cannot stop the engine: ${error}`))
      .finally(() => {
        lifeLock.close();
        done.resolve();
      });
  };

  const checkMs = Math.min(1000, config.idleExitS * 250);
  const idleTimer = setInterval(() => {
    const busy = unfinished();
    if (retireWhenIdle && busy === 0) {
      shutdown("a newer codex-swarm is waiting and no task is unfinished");
      return;
    }
    if (sessions.size > 0 || busy > 0) idleSince = Date.now();
    else if (Date.now() - idleSince >= config.idleExitS * 1000) {
      shutdown(`no client and no unfinished task for ${config.idleExitS} s`);
    }
  }, checkMs);

  const signals: Array<[Deno.Signal, () => void]> = [];
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => shutdown(`${signal}`);
    try {
      Deno.addSignalListener(signal, handler);
      signals.push([signal, handler]);
    } catch {
      // Not on this platform (SIGTERM on Windows).
    }
  }

  /** A refusal: `proof` when the connection proved the token, so that the refusal is trusted. */
  const refusal = (error: string, retiring = false, proof?: string): HelloReply => ({
    ok: false,
    protocol: HELLO_PROTOCOL,
    version,
    pid: Deno.pid,
    retiring,
    error,
    ...(proof === undefined ? {} : { proof }),
  });

  /** Who is at the other end of `conn`: a client, or a process of a task (session_kind.ts). */
  const peerLookup = peerLookupSetting(options.env);
  const originOf = (conn: Deno.Conn) =>
    sessionOrigin(conn.localAddr, conn.remoteAddr, {
      appServerPids: engine.codexProcesses().map((p) => p.pid),
      tasks: () => engine.list(),
      peerLookup,
    });

  /**
   * What a front-end of version `other` means here: nothing when it is not newer; else retire
   * now when no task is unfinished, or keep serving and retire once none is (with the warning).
   * A task's own front-end never makes the supervisor retire.
   */
  const newerProgram = async (
    other: string,
    origin: () => Promise<SessionOrigin>,
  ): Promise<{ retire: true } | { warning: string } | null> => {
    if (compareVersions(other, version) <= 0) return null;
    if ((await origin()).kind === "task") {
      log.warning(
        `A task's own codex-swarm ${other} is newer than the supervisor ${version}: it does ` +
          "not replace the supervisor",
      );
      return null;
    }
    const busy = unfinished();
    if (busy === 0) {
      log.info(`The supervisor ${version} retires for codex-swarm ${other}`);
      return { retire: true };
    }
    retireWhenIdle = true;
    const warning = `The running supervisor ${version} is older than this codex-swarm ` +
      `${other} and has ${busy} unfinished task(s): it keeps serving and will be replaced once ` +
      `no task is unfinished`;
    log.warning(warning);
    return { warning };
  };
  const retiresFor = (other: string) =>
    `The supervisor ${version} retires for the newer codex-swarm ${other}: start a new one`;

  /** Answers a hello: the reply, and whether to serve the session. */
  const answer = async (
    hello: Hello,
    origin: SessionOrigin,
  ): Promise<HelloReply & { serve: boolean }> => {
    if (stopping) {
      return {
        ...refusal(`The supervisor ${version} is stopping: start a new one`, true),
        serve: false,
      };
    }
    const now = ceiling.current();
    if ("error" in now) {
      return {
        ...refusal(`Cannot serve a session as the operator's policy is unusable: ${now.error}`),
        serve: false,
      };
    }
    const warnings = machineWideDifferences(hello.config, config);
    const newer = await newerProgram(hello.version, () => Promise.resolve(origin));
    if (newer !== null && "retire" in newer) {
      return { ...refusal(retiresFor(hello.version), true), serve: false };
    }
    if (newer !== null) warnings.push(newer.warning);
    for (const warning of warnings) log.warning(warning, { frontEndPid: hello.pid });
    return {
      ok: true,
      protocol: HELLO_PROTOCOL,
      version,
      pid: Deno.pid,
      session_id: "",
      warnings,
      serve: true,
    };
  };

  /** Says the reply, then stops: the front-end that asked can start the new one at once. */
  const retire = async (say: () => Promise<void>, other: string) => {
    stopListening();
    await say().catch(() => {});
    shutdown(`retired for codex-swarm ${other}`);
  };

  /**
   * Checks an auth line.
   * @returns The answer to send and whether to go on to the hello; `retireFor` when the
   * supervisor retires for that version once the answer is sent.
   */
  const admit = async (
    line: string,
    tcp: boolean,
    conn: Deno.Conn,
  ): Promise<{ answer: AuthAnswer | HelloReply; go: boolean; retireFor?: string }> => {
    let auth: AuthLine;
    try {
      auth = parseAuthLine(line, HELLO_PROTOCOL);
    } catch (error) {
      return { answer: refusal(error instanceof Error ? error.message : String(error)), go: false };
    }
    if (tcp) {
      if (auth.proof === undefined) {
        return {
          answer: refusal("Cannot serve this connection: it sent no proof of the token"),
          go: false,
        };
      }
      if (!(await proofHolds(auth.proof, token, "client", port, auth.nonce))) {
        return {
          answer: refusal("Cannot serve this connection: its proof of the token is wrong"),
          go: false,
        };
      }
    }
    const proof = tcp ? await proofOf(token, "supervisor", port, auth.nonce) : undefined;
    if (auth.codex_swarm_auth === HELLO_PROTOCOL) {
      return {
        answer: { codex_swarm_auth: HELLO_PROTOCOL, ...(proof ? { proof } : {}) },
        go: true,
      };
    }
    // Another protocol, from a front-end that proved the token: a newer one replaces this
    // supervisor as a newer version of the same protocol would (but cannot be served meanwhile).
    const newer = await newerProgram(auth.version, () => originOf(conn));
    if (newer !== null && "retire" in newer) {
      return {
        answer: refusal(retiresFor(auth.version), true, proof),
        go: false,
        retireFor: auth.version,
      };
    }
    const error = `Cannot serve hello protocol ${auth.codex_swarm_auth}: this supervisor ` +
      `(codex-swarm ${version}) speaks ${HELLO_PROTOCOL}` +
      (newer === null ? "" : ", and will be replaced once no task is unfinished");
    return { answer: refusal(error, false, proof), go: false };
  };

  const serve = async (conn: Deno.Conn, tcp: boolean) => {
    const encoder = new TextEncoder();
    const close = () => {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    };
    const release = gate.enter();
    if (release === null) {
      const note = gate.refused(Date.now());
      if (note !== null) log.warning(note);
      // One short line, then close: a refusal waits for nothing the peer does.
      const line = JSON.stringify({
        ...refusal(
          `Cannot serve this connection now: ${gate.max} connections already wait to prove the ` +
            `token; try again`,
        ),
        busy: true,
      });
      conn.write(encoder.encode(line + "\n")).catch(() => {}).finally(close);
      return;
    }
    connections.add(conn);
    const reader = conn.readable.getReader();
    const writer = conn.writable.getWriter();
    const send = (value: unknown) => writer.write(encoder.encode(JSON.stringify(value) + "\n"));
    // Nothing larger than the auth line is read before the token is proved.
    const split = new LineSplitter(AUTH_LINE_MAX_BYTES);
    let step: "auth" | "hello" | "session" = "auth";
    const expire = () => {
      log.debug(`Closed a supervisor connection that sent no ${step} line in time`);
      close();
    };
    let deadline = setTimeout(expire, AUTH_TIMEOUT_MS);
    let transport: SocketTransport | null = null;
    let refused = false;
    try {
      while (!refused) {
        const { value, done } = await reader.read();
        if (done) break;
        let lines: string[];
        try {
          lines = split.push(value);
        } catch (error) {
          if (!(error instanceof LineTooLongError) || step === "session") throw error;
          await send(refusal(
            step === "auth"
              ? `Cannot read the first line: it is longer than ${AUTH_LINE_MAX_BYTES} bytes (it ` +
                `holds only the proof of the token; a codex-swarm of hello protocol 1 sends its ` +
                `whole hello first)`
              : `Cannot read the hello: it is longer than ${HELLO_MAX_BYTES} bytes`,
          ));
          break;
        }
        for (const line of lines) {
          if (transport) {
            transport.receive(line);
            continue;
          }
          if (step === "auth") {
            const admitted = await admit(line, tcp, conn);
            if (admitted.retireFor !== undefined) {
              await retire(() => send(admitted.answer), admitted.retireFor);
            } else {
              await send(admitted.answer);
            }
            if (!admitted.go) {
              const said = "error" in admitted.answer ? admitted.answer.error : "";
              log.debug(`Refused a supervisor connection: ${said}`);
              refused = true;
              break;
            }
            release();
            step = "hello";
            split.limit = HELLO_MAX_BYTES;
            clearTimeout(deadline);
            deadline = setTimeout(expire, HELLO_TIMEOUT_MS);
            continue;
          }
          clearTimeout(deadline);
          let hello: Hello;
          try {
            hello = parseHello(line);
          } catch (error) {
            await send(refusal(error instanceof Error ? error.message : String(error)));
            refused = true;
            break;
          }
          // Who is at the other end: a client, or a process of a task (see session_kind.ts).
          const lookupStart = performance.now();
          const origin = await originOf(conn);
          const lookupMs = Math.round((performance.now() - lookupStart) * 10) / 10;
          const { serve: accept, ...reply } = await answer(hello, origin);
          if (!accept) {
            if (reply.ok === false && reply.retiring && !stopping) {
              await retire(() => send(reply), hello.version);
            } else {
              await send(reply).catch(() => {});
            }
            refused = true;
            break;
          }
          // `top` at a person's terminal: its session answers approvals in every mode.
          const person = hello.role === "top" && origin.kind === "client" &&
            origin.ancestry !== undefined && origin.ancestry.length > 1 &&
            await stdinIsTerminal(origin.ancestry[1]!);
          if (hello.role === "top" && !person) {
            log.info("A top session gets no approvals: its top reads no terminal here", {
              kind: origin.kind,
              peer: origin.why,
            });
          }
          const open = openSession({
            engine,
            worktrees,
            config,
            log,
            version,
            hello,
            origin,
            person,
            ceiling,
            supervisor: supervisorInfo,
            warnings: reply.ok ? reply.warnings : [],
          });
          if (reply.ok) {
            reply.session_id = open.session.id;
            reply.session_kind = origin.kind;
            reply.task_id = origin.taskId;
          }
          await send(reply);
          step = "session";
          split.limit = Infinity;
          const t = new SocketTransport(writer, close);
          transport = t;
          sessions.add(t);
          const server = open.server;
          t.onclose = () => {
            sessions.delete(t);
            open.end();
            server.close().catch(() => {});
            log.debug(`Session ${open.session.id} ended`, { sessions: sessions.size });
          };
          await server.connect(t);
          log.info(`Session ${open.session.id} opened (${origin.kind})`, {
            kind: origin.kind,
            taskId: origin.taskId,
            peer: origin.why,
            peerLookup: origin.via,
            peerLookupMs: lookupMs,
            frontEndPid: hello.pid,
            frontEndVersion: hello.version,
            cwd: hello.cwd,
            sessions: sessions.size,
          });
        }
      }
    } catch (error) {
      if (!stopping) log.debug(`A supervisor connection failed: ${error}`);
    } finally {
      clearTimeout(deadline);
      release();
      transport?.ended();
      close();
      connections.delete(conn);
      idleSince = Date.now();
    }
  };

  for (const listener of listeners) {
    const tcp = listener.addr.transport === "tcp";
    (async () => {
      try {
        for await (const conn of listener) serve(conn, tcp);
      } catch (error) {
        if (!stopping) {
          log.error(`The supervisor cannot accept connections: ${error}`);
          shutdown("its listener failed");
        }
      }
    })();
  }

  await done.promise;
  clearInterval(idleTimer);
  for (const [signal, handler] of signals) Deno.removeSignalListener(signal, handler);
  log.info("The supervisor stopped; running tasks continue");
  return 0;
}
