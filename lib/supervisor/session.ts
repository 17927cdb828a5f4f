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
import type { ServerConfig } from "../mcp/server_config.ts";
import type { Engine, Session } from "../tasks/engine_api.ts";
import type { Logger } from "../base/log.ts";
import type { SupervisorInfo } from "../mcp/resources.ts";
import { types } from "../mcp/sdk.ts";
import { createServer } from "../mcp/server.ts";
import type { WorktreeManager } from "../git/worktree.ts";
import { codexEnvFor } from "../codex/client_env.ts";
import { elicitationAsker, InFlightCalls } from "../mcp/elicitation.ts";
import { parseSandboxMode, Policy, type PolicyLimits } from "../codex/policy.ts";
import type { ServerDefaults } from "../codex/codex_args.ts";
import type { Hello } from "./hello.ts";
import type { SessionOrigin } from "./session_kind.ts";
import type { OperatorCeiling } from "./settings.ts";
import { withTimeout } from "../base/delay.ts";

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
  /**
   * Whether the session is `codex-swarm top` at a person's terminal (see terminal.ts): it may
   * answer approvals whatever `--approvals` says.
   */
  person?: boolean;
  /** The operator's ceiling, read at each use (its settings file may change). */
  ceiling: OperatorCeiling;
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
 * The policy of a session: the operator's ceiling narrowed, field by field, by what the session's
 * front-end was started with. Whatever it asks beyond the ceiling in one field is left out of that
 * field, with a warning (its hello reply, the log and `server-info`); its narrowing of the other
 * fields holds. A session that names no `--pass-env` passes no secret-looking variable.
 */
export function sessionPolicy(
  ceiling: Policy,
  asked: PolicyLimits | undefined,
  warnings: string[],
): Policy {
  if (asked === undefined) return new Policy({ ...ceiling.toJSON(), passEnv: [] }, true);
  const refused: string[] = [];
  /** Whether the ceiling allows `limits` (one field, one value); a refusal is noted. */
  const fits = (limits: PolicyLimits) => {
    try {
      ceiling.narrow(limits);
      return true;
    } catch (error) {
      refused.push((error as Error).message);
      return false;
    }
  };
  const allowConfig = (asked.allowConfig ?? ceiling.allowConfig).filter((key) =>
    fits({ allowConfig: [key] })
  );
  const maxSandbox = asked.maxSandbox && fits({ maxSandbox: asked.maxSandbox })
    ? asked.maxSandbox
    : ceiling.maxSandbox;
  const roots = (asked.allowRoots ?? []).filter((root) => fits({ allowRoots: [root] }));
  const allowRoots = roots.length > 0 ? roots : ceiling.allowRoots;
  const passEnv = (asked.passEnv ?? []).filter((name) => fits({ passEnv: [name] }));
  for (const reason of refused) {
    warnings.push(
      `This session asks for more than the operator's policy allows, so that part is left out: ` +
        reason,
    );
  }
  return new Policy({ allowConfig, maxSandbox, allowRoots, passEnv }, true);
}

/**
 * The session's `-c` settings that its policy allows: the operator's own (the same key and value
 * as the supervisor's) always, `sandbox_mode` within the ceiling, any other only when a call could
 * set that key itself. The rest is
 * left out with a warning: a session's flags must not set what a call may not (`notify`,
 * `mcp_servers`, a wider `sandbox_mode`...).
 */
export function sessionOverrides(
  asked: ServerDefaults["overrides"],
  operator: ServerDefaults["overrides"],
  policy: Policy,
  warnings: string[],
): ServerDefaults["overrides"] {
  return asked.filter((o) => {
    if (operator.some((p) => p.key === o.key && p.value === o.value)) return true;
    try {
      // A sandbox within the ceiling is how a session narrows its tasks' sandbox.
      if (o.key === "sandbox_mode") {
        policy.checkSandbox(parseSandboxMode(o.value, `-c ${o.key}`), `-c ${o.key}`);
      } else policy.checkConfigKeys([o.key]);
      return true;
    } catch (error) {
      warnings.push(`This session's -c ${o.key} is left out: ${(error as Error).message}`);
      return false;
    }
  });
}

/** Builds the session and its MCP server (not yet connected). */
export function openSession(parts: SessionParts): OpenSession {
  const { hello, log } = parts;
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
  const session: Session = {
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
    env: codexEnvFor(hello.env, policy.passEnv).env,
    // The ceiling's now: an operator's change to the settings file applies to the next call.
    get policy() {
      return current();
    },
  };
  // Settles once the session knows its roots: after `initialized`, and again after each change.
  const initialized = Promise.withResolvers<void>();
  let rootsKnown: Promise<void> = initialized.promise;
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
      await withTimeout(rootsKnown, ROOTS_WAIT_MS);
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
  parts.engine.attachSession(session);
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
      parts.engine.detachSession(session.id);
    },
  };
}
