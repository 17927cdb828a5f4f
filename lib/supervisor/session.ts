/**
 * One client session inside the supervisor: an MCP server of its own on the shared engine, the
 * session's settings from its front-end's hello, and its working directory from the client's
 * roots when it offers them (asked after `initialized`, again on `roots/list_changed`).
 *
 * @example
 * ```ts
 * const open = openSession({ engine, worktrees, config, log, version, hello, origin, supervisor, warnings });
 * await open.server.connect(transport);
 * ```
 * @module
 */

import { fileURLToPath } from "node:url";
import type { ServerConfig } from "../cli.ts";
import type { Engine, Session } from "../engine_api.ts";
import type { Logger } from "../log.ts";
import type { SupervisorInfo } from "../resources.ts";
import { types } from "../sdk.ts";
import { createServer } from "../server.ts";
import type { WorktreeManager } from "../worktree.ts";
import { codexEnvFor } from "../client_env.ts";
import { elicitationAsker, InFlightCalls } from "../elicitation.ts";
import { Policy, type PolicyLimits } from "../policy.ts";
import type { Hello } from "./hello.ts";
import type { SessionOrigin } from "./session_kind.ts";

/** How long a tool call waits for the client's roots before using the front-end's directory. */
const ROOTS_WAIT_MS = 3000;

/** What a session is made of. */
export interface SessionParts {
  engine: Engine;
  worktrees: WorktreeManager;
  /** The supervisor's settings. */
  config: ServerConfig;
  log: Logger;
  version: string;
  hello: Hello;
  /** Who opened it (a client or a task's process), as found at the hello. */
  origin: SessionOrigin;
  supervisor: SupervisorInfo;
  warnings: string[];
}

/** An open session. */
export interface OpenSession {
  session: Session;
  server: ReturnType<typeof createServer>;
  /** Ends the session: the server stops listening to the engine, the engine forgets it. */
  end(): void;
}

/** The directory of the first `file:` root, or null. */
export function firstRootDir(roots: ReadonlyArray<{ uri: string }>): string | null {
  for (const root of roots) {
    if (!root.uri.startsWith("file:")) continue;
    try {
      return fileURLToPath(root.uri);
    } catch {
      // Not a local file URI: try the next.
    }
  }
  return null;
}

/**
 * The policy of a session: the supervisor's (the operator's ceiling) narrowed by what the
 * session's front-end was started with. A front-end asking for more than the ceiling is told so
 * (a warning in its hello reply, the log and `server-info`) and gets the ceiling. Which of its
 * client's variables go on to Codex (`--pass-env`) is the session's own choice.
 */
export function sessionPolicy(
  ceiling: Policy,
  asked: PolicyLimits | undefined,
  warnings: string[],
): Policy {
  const passEnv = asked?.passEnv ?? [];
  const limits: PolicyLimits = asked
    ? { allowConfig: asked.allowConfig, maxSandbox: asked.maxSandbox, allowRoots: asked.allowRoots }
    : {};
  let narrowed: Policy;
  try {
    narrowed = ceiling.narrow(limits);
  } catch (error) {
    warnings.push(
      `This session asks for more than the supervisor's policy allows, so the supervisor's ` +
        `applies: ${error instanceof Error ? error.message : error}`,
    );
    narrowed = ceiling;
  }
  return new Policy({ ...narrowed.toJSON(), passEnv }, true);
}

/** Builds the session and its MCP server (not yet connected). */
export function openSession(parts: SessionParts): OpenSession {
  const { hello, log } = parts;
  const policy = sessionPolicy(parts.config.policy, hello.config.policy, parts.warnings);
  const session: Session = {
    id: `s-${crypto.randomUUID().slice(0, 8)}`,
    kind: parts.origin.kind,
    taskId: parts.origin.taskId,
    defaults: hello.config.defaults,
    taskTimeoutS: hello.config.taskTimeoutS,
    cwd: hello.cwd,
    // The client's own secrets (ANTHROPIC_API_KEY, tokens) stay out; what Codex needs goes on.
    env: codexEnvFor(hello.env, policy.passEnv).env,
    policy,
  };
  // Settles once the session knows its roots: after `initialized`, and again after each change.
  const initialized = Promise.withResolvers<void>();
  let rootsKnown: Promise<void> = initialized.promise;
  const server = createServer({
    engine: parts.engine,
    worktrees: parts.worktrees,
    // The resources show this session's defaults and time limit, with the supervisor's rest.
    // How results look is the session's too (its client's server entry sets it).
    config: {
      ...parts.config,
      defaults: session.defaults,
      taskTimeoutS: session.taskTimeoutS,
      maxResultChars: hello.config.maxResultChars ?? parts.config.maxResultChars,
      replyAlias: hello.config.replyAlias ?? parts.config.replyAlias,
      heartbeatMs: hello.config.heartbeatMs ?? parts.config.heartbeatMs,
    },
    log,
    version: parts.version,
    sessionId: session.id,
    sessionOrigin: { kind: session.kind, taskId: session.taskId },
    session: async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        rootsKnown,
        new Promise((resolve) => (timer = setTimeout(resolve, ROOTS_WAIT_MS))),
      ]);
      clearTimeout(timer);
      return session;
    },
    supervisor: parts.supervisor,
    warnings: parts.warnings,
  });
  // Codex's questions go to this client as elicitations, related to its blocking call if any.
  const calls = new InFlightCalls();
  session.ask = elicitationAsker(server.server, calls);
  session.enterCall = (requestId) => calls.enter(requestId);
  let connected = true;
  session.isConnected = () => connected;
  parts.engine.attachSession?.(session);
  const askRoots = async () => {
    try {
      const { roots } = await server.server.listRoots(undefined, { timeout: 10_000 });
      const dir = firstRootDir(roots);
      session.cwd = dir ?? hello.cwd;
      log.debug(`Session ${session.id} runs tasks in ${session.cwd}`, { roots: roots.length });
    } catch (error) {
      log.warning(`Cannot list the roots of session ${session.id}: ${error}`);
    }
  };
  const attachLog = server.server.oninitialized;
  server.server.oninitialized = () => {
    attachLog?.();
    if (server.server.getClientCapabilities()?.roots) askRoots().then(initialized.resolve);
    else initialized.resolve();
  };
  server.server.setNotificationHandler(types.RootsListChangedNotificationSchema, () => {
    rootsKnown = askRoots();
  });
  return {
    session,
    server,
    end() {
      // Before the SDK aborts the calls in flight: their tasks see the client went away.
      connected = false;
      server.detach();
      parts.engine.detachSession?.(session.id);
    },
  };
}
