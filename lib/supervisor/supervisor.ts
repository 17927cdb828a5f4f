/**
 * The supervisor: the one long-lived process of a task directory. It runs the engine, listens on a
 * Unix socket (or, where there is none, a loopback port with a token), and serves every front-end
 * connection as an MCP session of its own. It exits once it has had no connection and no
 * unfinished task for `--idle-exit` seconds, or to make way for a newer program.
 *
 * It always listens on a loopback port, checking the token of the 0600 file `token` in each hello,
 * and also on the Unix socket (0600, in a 0700 directory) where Deno allows it (see
 * {@link unixSocketProblem}). `info.json` says where.
 *
 * @example
 * ```sh
 * codex-swarm supervisor --task-dir ~/.local/state/codex-swarm/tasks --idle-exit 60
 * ```
 * @module
 */

import type { ServerConfig } from "../cli.ts";
import type { Engine } from "../engine_api.ts";
import { AppServerEngine } from "../tasks/app_engine.ts";
import type { Logger } from "../log.ts";
import type { SupervisorInfo } from "../resources.ts";
import { isFinal } from "../task.ts";
import { TaskStore } from "../task_store.ts";
import { WorktreeManager } from "../worktree.ts";
import {
  type Challenge,
  type Hello,
  type HelloReply,
  machineWideDifferences,
  parseHello,
  type Proof,
  proofOf,
} from "./hello.ts";
import { LineSplitter } from "./lines.ts";
import { supervisorPaths, unixSocketProblem } from "./paths.ts";
import { codexEnvFor } from "../client_env.ts";
import { openSession } from "./session.ts";
import { sessionOrigin } from "./session_kind.ts";
import { OperatorCeiling, settingsPath } from "./settings.ts";
import { SocketTransport } from "./socket_transport.ts";
import { compareVersions } from "./version.ts";

/** How long a connection may take to send its hello. */
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

/** The nonce of a challenge line, or null when the line is something else. */
function readChallenge(line: string): string | null {
  try {
    const value = JSON.parse(line) as Partial<Challenge> | null;
    return typeof value?.codex_swarm_challenge === "string" ? value.codex_swarm_challenge : null;
  } catch {
    return null;
  }
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

  /** Answers a hello: the reply, and whether to serve the session. */
  const answer = (hello: Hello, tcp: boolean): HelloReply & { serve: boolean } => {
    const refuse = (error: string, retiring: boolean) => ({
      ok: false as const,
      version,
      pid: Deno.pid,
      retiring,
      error,
      serve: false,
    });
    if (tcp && hello.token !== token) {
      return refuse("Cannot serve this connection: its token is wrong", false);
    }
    if (stopping) return refuse(`The supervisor ${version} is stopping: start a new one`, true);
    const now = ceiling.current();
    if ("error" in now) {
      return refuse(
        `Cannot serve a session as the operator's policy is unusable: ${now.error}`,
        false,
      );
    }
    const warnings = machineWideDifferences(hello.config, config);
    if (compareVersions(hello.version, version) > 0) {
      const busy = unfinished();
      if (busy === 0) {
        log.info(`The supervisor ${version} retires for codex-swarm ${hello.version}`);
        return refuse(
          `The supervisor ${version} retires for the newer codex-swarm ${hello.version}: ` +
            `start a new one`,
          true,
        );
      }
      retireWhenIdle = true;
      const warning = `The running supervisor ${version} is older than this codex-swarm ` +
        `${hello.version} and has ${busy} unfinished task(s): it keeps serving and will be ` +
        `replaced once no task is unfinished`;
      log.warning(warning);
      warnings.push(warning);
    }
    for (const warning of warnings) log.warning(warning, { frontEndPid: hello.pid });
    return {
      ok: true,
      version,
      pid: Deno.pid,
      session_id: "",
      warnings,
      serve: true,
    };
  };

  const serve = async (conn: Deno.Conn, tcp: boolean) => {
    connections.add(conn);
    const reader = conn.readable.getReader();
    const writer = conn.writable.getWriter();
    const encoder = new TextEncoder();
    const split = new LineSplitter();
    const close = () => {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    };
    const helloTimer = setTimeout(close, HELLO_TIMEOUT_MS);
    let transport: SocketTransport | null = null;
    let refused = false;
    try {
      while (!refused) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const line of split.push(value)) {
          if (transport) {
            transport.receive(line);
            continue;
          }
          const challenge = tcp ? readChallenge(line) : null;
          if (challenge !== null) {
            const proof: Proof = { codex_swarm_proof: await proofOf(token, challenge) };
            await writer.write(encoder.encode(JSON.stringify(proof) + "\n"));
            continue;
          }
          clearTimeout(helloTimer);
          let hello: Hello;
          try {
            hello = parseHello(line);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            const reply: HelloReply = {
              ok: false,
              version,
              pid: Deno.pid,
              retiring: false,
              error: message,
            };
            await writer.write(encoder.encode(JSON.stringify(reply) + "\n"));
            refused = true;
            break;
          }
          const { serve: accept, ...reply } = answer(hello, tcp);
          if (!accept) {
            if (reply.ok === false && reply.retiring && !stopping) {
              // Make way first, so the front-end that asked can start the new one at once.
              stopListening();
              await writer.write(encoder.encode(JSON.stringify(reply) + "\n")).catch(() => {});
              shutdown(`retired for codex-swarm ${hello.version}`);
            } else {
              await writer.write(encoder.encode(JSON.stringify(reply) + "\n")).catch(() => {});
            }
            refused = true;
            break;
          }
          // Who is at the other end: a client, or a process of a task (see session_kind.ts).
          const lookupStart = performance.now();
          const origin = await sessionOrigin(conn.localAddr, conn.remoteAddr, {
            appServerPids: (engine.codexProcesses?.() ?? []).map((p) => p.pid),
            tasks: () => engine.list(),
          });
          const lookupMs = Math.round((performance.now() - lookupStart) * 10) / 10;
          const open = openSession({
            engine,
            worktrees,
            config,
            log,
            version,
            hello,
            origin,
            ceiling,
            supervisor: supervisorInfo,
            warnings: reply.ok ? reply.warnings : [],
          });
          if (reply.ok) {
            reply.session_id = open.session.id;
            reply.session_kind = origin.kind;
            reply.task_id = origin.taskId;
          }
          await writer.write(encoder.encode(JSON.stringify(reply) + "\n"));
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
      clearTimeout(helloTimer);
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
