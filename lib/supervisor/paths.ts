/**
 * Where the supervisor of a task directory lives: a 0700 directory `.supervisor` inside the task
 * directory, holding its Unix socket (0600), its info file, the token of the TCP fallback and the
 * lock files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const paths = supervisorPaths("/home/u/.local/state/codex-swarm/tasks");
 * assert.equal(paths.socket, "/home/u/.local/state/codex-swarm/tasks/.supervisor/sock");
 * ```
 * @module
 */

/** The longest Unix socket path every platform accepts (macOS's `sun_path` holds 104 bytes). */
export const MAX_SOCKET_PATH_BYTES = 103;

/** The files of one task directory's supervisor. */
export type SupervisorPaths = ReturnType<typeof supervisorPaths>;

/** The supervisor's files for `taskDir` (an absolute path). */
export function supervisorPaths(taskDir: string) {
  const sep = taskDir.includes("\\") && !taskDir.includes("/") ? "\\" : "/";
  /** The directory (mode 0700). */
  const dir = `${taskDir.replace(/[\\/]+$/, "")}${sep}.supervisor`;
  return {
    dir,
    /** The Unix socket (mode 0600). */
    socket: `${dir}${sep}sock`,
    /** `info.json`: pid, version, start time and address of the running supervisor. */
    info: `${dir}${sep}info.json`,
    /** The random token of the TCP fallback (mode 0600). */
    token: `${dir}${sep}token`,
    /** Held by a front-end while it starts a supervisor. */
    startLock: `${dir}${sep}start.lock`,
    /** Held by the running supervisor for its whole life. */
    lifeLock: `${dir}${sep}supervisor.lock`,
  };
}

/** The hidden environment variable that turns the Unix socket off (tests of the TCP fallback). */
export const FORCE_TCP_ENV = "CODEX_SWARM_SUPERVISOR_TCP";

/**
 * Why this process cannot use a Unix socket at `path`, or null when it can. Deno lets a program
 * use a Unix socket only with `--allow-net` for exactly that path (or unscoped), which the default
 * permissions do not grant: then the loopback port with its token is used.
 */
export function unixSocketProblem(path: string, env: Record<string, string>): string | null {
  if (Deno.build.os === "windows") return "Unix sockets are not used on Windows";
  if (env[FORCE_TCP_ENV] === "1") return `${FORCE_TCP_ENV}=1`;
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    return `the socket path ${path} is ${bytes} bytes, more than the ${MAX_SOCKET_PATH_BYTES} a ` +
      `Unix socket allows`;
  }
  if (Deno.permissions.querySync({ name: "net", host: `unix:${path}` }).state !== "granted") {
    return `this process may not use ${path} (no --allow-net=unix:${path})`;
  }
  return null;
}
