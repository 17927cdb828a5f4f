/**
 * One client session inside the supervisor: an MCP server of its own on the shared engine, the
 * session's settings from its front-end's hello, and its working directory from the client's
 * roots when it offers them (asked after `initialized`, again on `roots/list_changed`).
 *
 * @example Not run: it needs the engine, the worktrees and a front-end's hello and connection.
 * ```ts ignore
 * const open = openSession({ engine, worktrees, config, log, version, hello, origin, supervisor, warnings });
 * await open.server.connect(transport);
 * ```
 * @module
 */

import { fileURLToPath } from "node:url";
import type { Engine, Session } from "../tasks/engine_api.ts";
import type { Logger } from "../base/log.ts";
import type { SupervisorInfo } from "../mcp/resources.ts";
import { types } from "../mcp/sdk.ts";
import { createServer } from "../mcp/server.ts";
import type { WorktreeManager } from "../git/worktree.ts";
import { codexEnvFor } from "../codex/client_env.ts";
import { elicitation } from "../mcp/elicitation.ts";
import { Policy } from "../codex/policy.ts";
import { sessionOverrides, sessionPolicy } from "../request/session_plan.ts";
import type { RunOptions } from "./hello.ts";
import type { Hello } from "./hello_check.ts";
import type { SessionOrigin } from "./session_kind.ts";
import type { OperatorCeiling } from "./settings.ts";
import type { SupervisorLife } from "./life.ts";
import { withTimeout } from "../base/delay.ts";

/** The MCP server of a session. */
type McpServer = ReturnType<typeof createServer>;

/** How long a tool call waits for the client's roots before using the front-end's directory. */
const ROOTS_WAIT_MS = 3000;

/**
 * What the supervisor serves every connection with: it admits it, then makes its session. Its run
 * options are the supervisor's own: its settings (a session's machine-wide settings are compared
 * with them), version, log and environment (the peer lookup setting).
 */
export interface SupervisorParts extends RunOptions {
  engine: Engine;
  worktrees: WorktreeManager;
  /** The operator's ceiling, read at each use (its settings file may change). */
  ceiling: OperatorCeiling;
  supervisor: SupervisorInfo;
  /** The supervisor's life: whether it stops, and whether it retires once idle. */
  life: SupervisorLife;
  /** The token a connection over `port` must prove it knows. */
  token: string;
  /** The loopback port. */
  port: number;
}

/** What a session is made of: the supervisor's parts, and its connection's. */
export interface SessionParts extends SupervisorParts {
  hello: Hello;
  /** Who opened it (a client or a task's process), as found at the hello. */
  origin: SessionOrigin;
  /**
   * Whether the session is `codex-swarm top` at a person's terminal (see terminal.ts): it may
   * answer approvals whatever `--approvals` says.
   */
  person?: boolean;
  warnings: string[];
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
 * Builds the session and its MCP server (not yet connected); `end()` ends the session: the server
 * stops listening to the engine, the engine forgets it.
 */
export function openSession(parts: SessionParts) {
  const { hello, log } = parts;
  const session = sessionOf(parts);
  const roots = new SessionRoots();
  const server = createServer({
    engine: parts.engine,
    worktrees: parts.worktrees,
    person: parts.person ?? false,
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
      await roots.wait();
      return session;
    },
    supervisor: parts.supervisor,
    warnings: parts.warnings,
  });
  // Codex's questions go to this client as elicitations, related to its blocking call if any.
  Object.assign(session, elicitation(server.server));
  let connected = true;
  session.isConnected = () => connected;
  parts.engine.attachSession(session);
  roots.follow(server.server, session, hello.cwd, log);
  return {
    session,
    server,
    end() {
      // Before the SDK aborts the calls in flight: their tasks see the client went away.
      connected = false;
      server.detach();
      parts.engine.detachSession(session.id);
    },
  };
}

/**
 * The session of a hello: its defaults and `-c` settings within its policy, its environment
 * without the client's secrets, and its policy: the operator's ceiling of the moment narrowed by
 * the hello's (made again when the ceiling changes; read-only while the ceiling is unusable).
 */
function sessionOf(parts: SessionParts): Session {
  const { hello } = parts;
  /** The session's policy under `ceiling`, made again when the ceiling changes. */
  let narrowed: { ceiling: Policy; policy: Policy } | null = null;
  const policyUnder = (ceiling: Policy, warnings: string[]) => {
    if (narrowed?.ceiling !== ceiling) {
      narrowed = { ceiling, policy: sessionPolicy(ceiling, hello.config.policy, warnings) };
    }
    return narrowed.policy;
  };
  const current = () => {
    const ceiling = parts.ceiling.current();
    if ("error" in ceiling) throw new Error(ceiling.error);
    return policyUnder(ceiling.policy, []);
  };
  const first = parts.ceiling.current();
  const policy = "error" in first
    ? new Policy({ maxSandbox: "read-only", allowConfig: [] }, true)
    : policyUnder(first.policy, parts.warnings);
  return {
    id: `s-${crypto.randomUUID().slice(0, 8)}`,
    kind: parts.origin.kind,
    taskId: parts.origin.taskId,
    defaults: {
      ...hello.config.defaults,
      overrides: sessionOverrides(
        hello.config.defaults.overrides,
        parts.config.defaults.overrides,
        policy,
        parts.warnings,
      ),
    },
    taskTimeoutS: hello.config.taskTimeoutS,
    cwd: hello.cwd,
    // The client's own secrets (ANTHROPIC_API_KEY, tokens) stay out; what Codex needs goes on.
    env: codexEnvFor(hello.env, policy.passEnv),
    // The ceiling's now: an operator's change to the settings file applies to the next call.
    get policy() {
      return current();
    },
  };
}

/**
 * The client's roots of a session: asked after `initialized` (when the client has roots) and
 * again on `roots/list_changed`; the first `file:` root is the session's working directory.
 */
class SessionRoots {
  readonly #initialized = Promise.withResolvers<void>();
  /** Settles once the session knows its roots: after `initialized`, and after each change. */
  #known: Promise<void> = this.#initialized.promise;

  /** Settles once the roots are known, or after {@link ROOTS_WAIT_MS}. */
  async wait(): Promise<void> {
    await withTimeout(this.#known, ROOTS_WAIT_MS);
  }

  /** Asks `server`'s client for its roots when they are known or change; `cwd` without them. */
  follow(server: McpServer["server"], session: Session, cwd: string, log: Logger): void {
    const askRoots = async () => {
      try {
        const { roots } = await server.listRoots(undefined, { timeout: 10_000 });
        const dir = firstRootDir(roots);
        session.cwd = dir ?? cwd;
        log.debug(`Session ${session.id} runs tasks in ${session.cwd}`, { roots: roots.length });
      } catch (error) {
        log.warning(`Cannot list the roots of session ${session.id}: ${error}`);
      }
    };
    const attachLog = server.oninitialized;
    server.oninitialized = () => {
      attachLog?.();
      if (server.getClientCapabilities()?.roots) askRoots().then(this.#initialized.resolve);
      else this.#initialized.resolve();
    };
    server.setNotificationHandler(types.RootsListChangedNotificationSchema, () => {
      this.#known = askRoots();
    });
  }
}
