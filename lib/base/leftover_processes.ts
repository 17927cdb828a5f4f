/**
 * The processes a stopped supervisor left running in a directory: those whose working directory is
 * the directory or inside it (a task's commands in its worktree, a `git` the supervisor ran there,
 * the app-servers in their own directory). A new supervisor ends them before it commits a task's
 * worktree, so that nothing writes into it after the commit.
 *
 * On Linux they are found in `/proc/<pid>/cwd` through `find -lname` (Deno reads `/proc` only with
 * `--allow-all`; see peer.ts), elsewhere through `lsof -d cwd`. Paths are matched whole, never
 * split out of free text. The parsing is pure (`inner*`).
 *
 * A person's process is spared: one with a controlling terminal (a shell or an editor someone opened
 * in the worktree) unless Codex started it (its environment names `CODEX_THREAD_ID`). A stopped
 * supervisor's processes have no terminal (it runs detached), and Codex's commands carry that
 * variable, a terminal or not. Linux only; elsewhere every process found is ended.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * // The pids that got SIGKILL; once it returns, no process works there any more (or its rounds ran
 * // out). Here none did.
 * assert.deepEqual(await killProcessesIn([dir]), []);
 * await Deno.remove(dir);
 * ```
 * @module
 */

import { sendSignal, stdoutOf } from "./process.ts";
import { delay } from "./delay.ts";

/**
 * How often processes are looked for and killed: a process may start another one in the directory
 * between the look and the kill; three rounds end a shell that starts a child as it dies.
 */
export const KILL_ROUNDS = 3;

/** `find` arguments that select the `cwd` links of every process in `/proc`. */
const FIND_CWD_LINKS = ["/proc", "-mindepth", "2", "-maxdepth", "2", "-name", "cwd"];

/** Whether `path` is `dir` or lies inside it (both absolute, without a trailing slash). */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/**
 * The `find` arguments that print `/proc/<pid>/cwd` of every process whose cwd is one of `dirs` or
 * inside it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(innerFindArgs(["/w/a"]), [
 *   ...["/proc", "-mindepth", "2", "-maxdepth", "2", "-name", "cwd"],
 *   ...["(", "-lname", "/w/a", "-o", "-lname", "/w/a/*", ")", "-print"],
 * ]);
 * ```
 */
export function innerFindArgs(dirs: string[]): string[] {
  const tests = dirs.flatMap((dir, i) => {
    // A pattern that matches only `dir` itself: its glob characters escaped.
    const escaped = dir.replace(/[*?[\]\\]/g, "\\$&");
    return [...(i > 0 ? ["-o"] : []), "-lname", escaped, "-o", "-lname", `${escaped}/*`];
  });
  return [...FIND_CWD_LINKS, "(", ...tests, ")", "-print"];
}

/**
 * The pids in `find`'s output (lines `/proc/<pid>/cwd`), without `self`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(innerProcCwdPids("/proc/12/cwd\n/proc/self/cwd\n/proc/7/cwd\n", 7), [12]);
 * ```
 */
export function innerProcCwdPids(text: string, self: number): number[] {
  const pids = new Set<number>();
  for (const line of text.split("\n")) {
    const match = /^\/proc\/(\d+)\/cwd$/.exec(line.trim());
    if (match && Number(match[1]) !== self) pids.add(Number(match[1]));
  }
  return [...pids];
}

/**
 * The pids whose cwd is in one of `dirs`, from the output of `lsof -d cwd -F pn` (a `p<pid>` line,
 * then its `n<path>` line), without `self`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(innerLsofCwdPids("p12\nfcwd\nn/w/a/src\np13\nfcwd\nn/home\n", ["/w/a"], 1), [12]);
 * ```
 */
export function innerLsofCwdPids(text: string, dirs: string[], self: number): number[] {
  const pids = new Set<number>();
  let pid: number | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("p")) pid = Number(line.slice(1));
    else if (line.startsWith("n") && pid !== null && pid !== self) {
      const path = line.slice(1);
      if (dirs.some((dir) => isInside(path, dir))) pids.add(pid);
    }
  }
  return [...pids];
}

/**
 * Whether a process is a person's, from its `/proc/<pid>/stat` and `environ` text: it has a
 * controlling terminal (`tty_nr`, the 7th field, not 0) and Codex did not start it (no
 * `CODEX_THREAD_ID` in its environment). Unreadable text spares nothing.
 */
export function innerPersons(stat: string, environ: string): boolean {
  // The command name (2nd field) is in parentheses and may hold spaces: count after its end.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const tty = Number(fields[4]);
  if (!Number.isInteger(tty) || tty === 0) return false;
  return !environ.split("\0").some((entry) => entry.startsWith("CODEX_THREAD_ID="));
}

/** The live processes (other than this one, and a person's) whose cwd is one of `dirs` or inside it. */
export async function processesIn(dirs: string[]): Promise<number[]> {
  const wanted = dirs.map((d) => d.replace(/\/+$/, "")).filter((d) => d !== "");
  if (wanted.length === 0) return [];
  if (Deno.build.os === "linux") {
    // Other users' processes are unreadable (their errors are dropped): that is fine.
    const found = innerProcCwdPids(await stdoutOf("find", innerFindArgs(wanted)) ?? "", Deno.pid);
    const spared = await Promise.all(found.map(async (pid) =>
      innerPersons(
        await stdoutOf("cat", [`/proc/${pid}/stat`]) ?? "",
        await stdoutOf("cat", [`/proc/${pid}/environ`]) ?? "",
      )
    ));
    return found.filter((_, i) => !spared[i]);
  }
  const lsof = await stdoutOf("lsof", ["-d", "cwd", "-F", "pn"]) ?? "";
  return innerLsofCwdPids(lsof, wanted, Deno.pid);
}

/**
 * Kills (SIGKILL) every process whose cwd is one of `dirs` or inside it, looking again until none
 * is left or {@link KILL_ROUNDS} ran out. Returns the pids it killed.
 */
export async function killProcessesIn(dirs: string[]): Promise<number[]> {
  const killed: number[] = [];
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const pids = await processesIn(dirs);
    if (pids.length === 0) break;
    sendSignal(pids, "SIGKILL");
    killed.push(...pids.filter((pid) => !killed.includes(pid)));
    // The kernel ends a killed process at once; its cwd goes with it (a zombie has none).
    await delay(50);
  }
  return killed;
}
