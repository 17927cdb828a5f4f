/**
 * Starting the supervisor from a front-end: the same program with the same permissions, detached
 * (its own session and process group, no inherited stdio: it logs to the log file), the
 * machine-wide settings of the front-end that starts it spelled out on its command line.
 *
 * Under `deno run` that is `deno run <SERVER_PERMISSIONS> <main module> supervisor ...` (with
 * `--no-config` when the main module is the bundle, as the npm package runs it); a compiled binary
 * runs itself (its permissions are baked in).
 *
 * @example Not run: it starts a detached supervisor process.
 * ```ts ignore
 * const child = spawnSupervisor(config, Deno.env.toObject(), paths.dir, null);
 * ```
 * @module
 */

import { SERVER_PERMISSIONS } from "./permissions.ts";
import type { ServerConfig } from "../mcp/server_config.ts";
import { DEFAULT_ALLOWED_CONFIG_KEYS } from "../codex/policy.ts";

/** The argv after the program that makes a supervisor with `config`'s settings. */
export function supervisorArgs(config: ServerConfig): string[] {
  const flags: Array<[string, string | number]> = [
    ["task-dir", config.taskDir],
    ["worktree-dir", config.worktreeDir],
    ["max-parallel", config.maxParallel],
    ["idle-exit", config.idleExitS],
    ["task-max-age", config.taskMaxAgeS],
    ["task-timeout", config.taskTimeoutS],
    ["codex-bin", config.codexBin],
    ["log-file", config.logFile ?? "none"],
    ["log-level", config.logLevel],
    ["approvals", config.approvals],
  ];
  const args = ["supervisor", ...flags.flatMap(([flag, value]) => [`--${flag}`, String(value)])];
  // The policy of the front-end that starts the supervisor is the ceiling of every session
  // when the operator has no settings file.
  const { policy } = config;
  if (policy.maxSandbox !== null) args.push("--max-sandbox", policy.maxSandbox);
  for (const root of policy.allowRoots) args.push("--allow-root", root);
  for (const key of policy.allowConfig) {
    if (!DEFAULT_ALLOWED_CONFIG_KEYS.includes(key)) args.push("--allow-config", key);
  }
  for (const name of policy.passEnv) args.push("--pass-env", name);
  // The workers are the supervisor's: only the front-end that starts it sets them.
  for (const w of config.workerFlags?.workers ?? []) args.push("--worker", `${w.name}=${w.url}`);
  for (const t of config.workerFlags?.tokenFiles ?? []) {
    args.push("--worker-token-file", `${t.name}=${t.path}`);
  }
  if (config.workerFlags?.noLocal) args.push("--no-local");
  // The session flags are the defaults of tasks an earlier supervisor left queued.
  for (const o of config.defaults.overrides) args.push("-c", `${o.key}=${o.value}`);
  if (config.defaults.skipGitRepoCheck) args.push("--skip-git-repo-check");
  if (config.defaults.ephemeral) args.push("--ephemeral");
  if (config.defaults.worktreeSetup) args.push("--worktree-setup", config.defaults.worktreeSetup);
  return args;
}

/** Whether this process is a `deno compile`d binary rather than `deno run`. */
export function isCompiled(execPath = Deno.execPath()): boolean {
  return !/(^|[\\/])deno(\.exe)?$/i.test(execPath);
}

/**
 * Whether this module is bundled into the main module (`deno bundle`, as in the npm package):
 * then the whole program is that one file, which needs no `deno.json`.
 */
export function isBundled(moduleUrl = import.meta.url, mainModule = Deno.mainModule): boolean {
  return moduleUrl === mainModule;
}

/**
 * The command that runs this program again with `args`. `unixSocket` widens `--allow-net` by that
 * one socket path (given when this process may use it, so the supervisor may too).
 *
 * A bundle runs with `--no-config`: Deno looks for a `deno.json` (or `package.json`) from the main
 * module's directory upwards, and the one of whatever project the bundle is installed in
 * (`node_modules/codex-swarm/`) must neither break nor change the supervisor.
 */
export function selfCommand(
  args: string[],
  unixSocket: string | null = null,
): { command: string; args: string[] } {
  const command = Deno.execPath();
  if (isCompiled(command)) return { command, args };
  const permissions = SERVER_PERMISSIONS.map((flag) =>
    unixSocket !== null && flag.startsWith("--allow-net=") ? `${flag},unix:${unixSocket}` : flag
  );
  const config = isBundled() ? ["--no-config"] : [];
  return { command, args: ["run", "--quiet", ...config, ...permissions, Deno.mainModule, ...args] };
}

/** Starts a detached supervisor; its status settles if it exits. */
export function spawnSupervisor(
  config: ServerConfig,
  env: Record<string, string>,
  cwd: string,
  unixSocket: string | null,
): Deno.ChildProcess {
  const { command, args } = selfCommand(supervisorArgs(config), unixSocket);
  const child = new Deno.Command(command, {
    args,
    env,
    clearEnv: true,
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  return child;
}
