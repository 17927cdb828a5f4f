/**
 * The MCP resources: `codex-swarm://server-info`, `codex-swarm://config`, `codex-swarm://tasks` and
 * the template `codex-swarm://tasks/{id}`, with `resources/subscribe` support: a subscribed task
 * (or the task list) sends `notifications/resources/updated` when it changes.
 *
 * @module
 */

import type { ServerConfig } from "./server_config.ts";
import type { Engine, Session } from "../tasks/engine_api.ts";
import { type McpServer, ResourceTemplate, types } from "./sdk.ts";
import { compactTask, fitViews, nextHint } from "./tools/compact_view.ts";
import { taskView } from "./tools/task_view.ts";
import { budgets } from "./tools/tool.ts";

/** The supervisor process that runs the engine, as `codex-swarm://server-info` shows it. */
export interface SupervisorInfo {
  pid: number;
  /** When it started (ISO). */
  started_at: string;
  version: string;
  /** Where it listens: the Unix socket path, or `tcp://127.0.0.1:PORT`. */
  socket: string;
}

/** What the resources show: the engine, the settings, and facts about this server and session. */
export interface ResourceParts {
  engine: Engine;
  /** The settings shown in the resources (the session's defaults and time limit). */
  config: ServerConfig;
  version: string;
  /** The client session's id: shown in `server-info`; only log lines about its tasks go to it. */
  sessionId?: string;
  /**
   * Who opened the session (shown in `server-info` with its id): `client`, or `task` for a task's
   * own process or where the supervisor cannot tell, and for a task session the task when known.
   */
  sessionOrigin?: Pick<Session, "kind" | "taskId">;
  /** The supervisor that runs the engine, for `server-info`. */
  supervisor?: SupervisorInfo;
  /** Shown in `server-info`, e.g. machine-wide flags that differ from the supervisor's. */
  warnings?: string[];
}

const TASKS_URI = "codex-swarm://tasks";
/** Update notifications for one URI are sent at most this often. */
const UPDATE_THROTTLE_MS = 200;

/** A JSON resource; task views are not indented, so they stay within the result limit. */
function json(uri: string, value: unknown, indent = 2) {
  return {
    contents: [{ uri, mimeType: "application/json", text: JSON.stringify(value, null, indent) }],
  };
}

/** Registers the resources and the subscription handlers. Returns a function that detaches them. */
export function registerResources(server: McpServer, parts: ResourceParts): () => void {
  registerServerInfo(server, parts);
  registerConfig(server, parts.config);
  registerTasks(server, parts.engine, budgets(parts.config).structured);
  return followChanges(server, parts.engine);
}

/** `codex-swarm://server-info`: the server, its directories, limits, tools and supervisor. */
function registerServerInfo(server: McpServer, parts: ResourceParts): void {
  const { engine, config, sessionId, sessionOrigin: origin } = parts;
  server.registerResource("server-info", "codex-swarm://server-info", {
    title: "codex-swarm server info",
    description: "Version, capabilities, directories and limits of this server.",
    mimeType: "application/json",
  }, (uri) =>
    json(uri.href, {
      name: "codex-swarm",
      version: parts.version,
      pid: Deno.pid,
      deno: Deno.version.deno,
      codex_bin: config.codexBin,
      task_dir: config.taskDir,
      worktree_dir: config.worktreeDir,
      limits: {
        max_parallel: config.maxParallel,
        task_timeout_s: config.taskTimeoutS,
        task_max_age_s: config.taskMaxAgeS,
      },
      // Every tool this server offers (they are registered before the resources).
      tools: Object.keys((server as unknown as { _registeredTools: object })._registeredTools),
      max_result_chars: config.maxResultChars,
      capabilities: ["parallel tasks", "worktrees", "restart-safe tasks", "resource subscriptions"],
      ...(parts.supervisor
        ? { supervisor: { ...parts.supervisor, codex: engine.codexProcesses() } }
        : {}),
      // The session reading it: its id, who opened it, and the task of a task session.
      ...(sessionId !== undefined && origin
        ? { session: { id: sessionId, kind: origin.kind, task_id: origin.taskId } }
        : {}),
      warnings: [...(parts.warnings ?? []), ...engine.codexWarnings()],
      // Where tasks may run: name, kind, url (never a token), state, cap, version, last error,
      // and how many of its tasks run there.
      workers: engine.workers?.() ?? [],
    }));
}

/** `codex-swarm://config`: the defaults of every Codex run, and the policy. */
function registerConfig(server: McpServer, config: ServerConfig): void {
  server.registerResource("config", "codex-swarm://config", {
    title: "codex-swarm configuration",
    description:
      "The server's defaults for every Codex run, from its command line and environment.",
    mimeType: "application/json",
  }, (uri) =>
    json(uri.href, {
      codex_bin: config.codexBin,
      config_overrides: config.defaults.overrides.map((o) => `${o.key}=${o.value}`),
      skip_git_repo_check: config.defaults.skipGitRepoCheck,
      ephemeral: config.defaults.ephemeral,
      worktree_setup: config.defaults.worktreeSetup ?? null,
      max_parallel: config.maxParallel,
      task_timeout_s: config.taskTimeoutS,
      task_max_age_s: config.taskMaxAgeS,
      task_dir: config.taskDir,
      worktree_dir: config.worktreeDir,
      log_file: config.logFile,
      log_level: config.logLevel,
      policy: config.policy.toJSON(),
    }));
}

/** `codex-swarm://tasks` and `codex-swarm://tasks/{id}`, in views that fit `room`. */
function registerTasks(server: McpServer, engine: Engine, room: number): void {
  server.registerResource("tasks", TASKS_URI, {
    title: "All tasks",
    description: "Every task this server knows, newest first, in the compact view (the newest " +
      "that fit the result limit; codex-swarm://tasks/{id} has one in full).",
    mimeType: "application/json",
  }, (uri) => {
    const { views, omitted } = fitViews(engine.list(), room, compactTask);
    const next = nextHint(views, omitted);
    return json(uri.href, {
      tasks: views,
      ...(omitted.length > 0 ? { omitted_task_ids: omitted } : {}),
      ...(next ? { next } : {}),
    }, 0);
  });

  server.registerResource(
    "task",
    new ResourceTemplate(`${TASKS_URI}/{id}`, {
      list: () => ({
        resources: engine.list().map((t) => ({
          uri: `${TASKS_URI}/${t.meta.id}`,
          name: `task ${t.meta.id}`,
          description: `${t.meta.phase}: ${t.meta.request.prompt.split("\n", 1)[0]!.slice(0, 80)}`,
          mimeType: "application/json",
        })),
      }),
    }),
    {
      title: "One task",
      description: "The live state of one task.",
      mimeType: "application/json",
    },
    (uri, variables) => {
      const id = String(variables.id);
      const task = engine.get(id);
      if (!task) {
        throw new Error(`Cannot read task "${id}" as no such task is known`);
      }
      return json(uri.href, fitViews([task], room, taskView).views[0] ?? { task_id: id }, 0);
    },
  );
}

/**
 * `resources/subscribe`: a subscribed task (or the task list) is said to be updated when it
 * changes, at most every {@link UPDATE_THROTTLE_MS} per URI; a new task changes the list. Returns
 * a function that stops.
 */
function followChanges(server: McpServer, engine: Engine): () => void {
  // Subscriptions belong to this server instance (one client over stdio).
  const subscribed = new Set<string>();
  const lastSent = new Map<string, number>();
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler(types.SubscribeRequestSchema, (request) => {
    subscribed.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(types.UnsubscribeRequestSchema, (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });

  const send = (uri: string) => {
    lastSent.set(uri, Date.now());
    pending.delete(uri);
    server.server.sendResourceUpdated({ uri }).catch(() => {});
  };
  const notify = (uri: string) => {
    if (!subscribed.has(uri) || pending.has(uri)) return;
    const wait = (lastSent.get(uri) ?? 0) + UPDATE_THROTTLE_MS - Date.now();
    if (wait <= 0) send(uri);
    else pending.set(uri, setTimeout(() => send(uri), wait));
  };
  const known = new Set(engine.list().map((t) => t.meta.id));
  const off = engine.onChange((task) => {
    notify(`${TASKS_URI}/${task.meta.id}`);
    notify(TASKS_URI);
    if (!known.has(task.meta.id)) {
      known.add(task.meta.id);
      server.sendResourceListChanged();
    }
  });
  return () => {
    off();
    for (const timer of pending.values()) clearTimeout(timer);
  };
}
