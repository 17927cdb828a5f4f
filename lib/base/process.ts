/**
 * Process groups: finding, watching and stopping the processes Codex runs (signals through the
 * system's `kill`, the process table through `ps`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const self = listProcesses().find((p) => p.pid === Deno.pid)!;
 * assert.ok(isAlive(Deno.pid, self.startTime)); // this process, started when ps says
 * assert.ok(!isAlive(Deno.pid, "Thu Jan  1 00:00:00 1970")); // a reused pid is not it
 * ```
 * @module
 */

/** How the system's programs run here: in the C locale, no stdin, stdout read, stderr dropped. */
const QUIET: Deno.CommandOptions = {
  stdin: "null",
  stdout: "piped",
  stderr: "null",
  env: { LC_ALL: "C" },
};

/**
 * Runs a program (in the C locale, no stdin, stderr dropped) and returns its stdout whatever its
 * exit code, or null when it cannot run (not installed, not allowed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.match(await stdoutOf("ps", ["-A", "-o", "pid=,ppid="]) ?? "", /^\s*\d+\s+\d+$/m); // "    1     0\n ..."
 * ```
 */
export async function stdoutOf(program: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(program, { ...QUIET, args }).output();
    return new TextDecoder().decode(out.stdout);
  } catch {
    return null;
  }
}

/** A process as `ps` lists it. */
export interface ProcessLine {
  pid: number;
  ppid: number;
  pgid: number;
  /** Its state (`Z` for a zombie). */
  state: string;
  /** When it started (`ps` lstart), to guard against PID reuse. */
  startTime: string;
  /** Its command line, arguments joined by spaces (as `ps` prints it). */
  args: string;
}

/**
 * Reads the process table (or one process) with the system's `ps`. Deno lets a program read
 * `/proc` only with `--allow-all`, so the server runs `ps` (`--allow-run=ps`) instead; its
 * `-o pid=,ppid=,pgid=,stat=,lstart=,args=` columns are the same on Linux and macOS. Returns null
 * when `ps` cannot be run.
 */
function processTable(pid?: number): ProcessLine[] | null {
  const select = pid === undefined ? ["-A"] : ["-p", String(pid)];
  let text: string;
  try {
    const out = new Deno.Command("ps", {
      ...QUIET,
      args: [...select, "-ww", "-o", "pid=,ppid=,pgid=,stat=,lstart=,args="],
    }).outputSync();
    text = new TextDecoder().decode(out.stdout);
  } catch {
    return null;
  }
  // lstart is always five words: "Tue Dec  1 21:30:48 2026".
  const row = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+\s+\S+\s+\d+\s+\S+\s+\d+)(?:\s(.*))?$/;
  return text.split("\n").flatMap((line) => {
    const match = row.exec(line);
    if (!match) return [];
    const [pid, ppid, pgid] = match.slice(1, 4).map(Number) as [number, number, number];
    const [state, startTime, args = ""] = match.slice(4);
    return [{ pid, ppid, pgid, state: state!, startTime: startTime!, args }];
  });
}

/** Every live (non-zombie) process with its command line, from `ps`. Empty when `ps` cannot run. */
export function listProcesses(): ProcessLine[] {
  return (processTable() ?? []).filter((p) => !p.state.startsWith("Z"));
}

/** Every live process below `pid` (its children, theirs, ...), from `ps`; empty without `ps`. */
export function descendantPids(pid: number): number[] {
  const table = listProcesses();
  const below = (parent: number): number[] =>
    table.filter((p) => p.ppid === parent).flatMap((p) => [p.pid, ...below(p.pid)]);
  return below(pid);
}

/**
 * Sends a signal through the system's `kill` program. Deno lets a program signal processes only
 * with unrestricted `--allow-run`; running `kill` needs just `--allow-run=kill`, so the server's
 * permissions stay scoped. Targets that are gone already are ignored; a negative target is a
 * process group. Returns whether `kill` reported success for every target.
 */
export function sendSignal(targets: number[], signal: Deno.Signal | "0"): boolean {
  if (targets.length === 0) return true;
  const name = signal.replace(/^SIG/, "");
  try {
    const { code } = new Deno.Command("kill", {
      ...QUIET,
      args: ["-s", name, "--", ...targets.map(String)],
    }).outputSync();
    return code === 0;
  } catch {
    return false;
  }
}

/**
 * Whether `pid` still runs and is the same process (its start time matches, where known). Without
 * `ps`, `kill -0` still tells whether the pid exists (without the start-time guard).
 */
export function isAlive(pid: number, startTime: string | null): boolean {
  const table = processTable(pid);
  if (table === null) return sendSignal([pid], "0");
  const row = table.find((r) => r.pid === pid);
  if (!row || row.state.startsWith("Z") || row.state.startsWith("X")) return false;
  return startTime === null || row.startTime === startTime;
}

/** Whether any live (non-zombie) process is left in the process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  const table = processTable();
  if (table === null) return sendSignal([-pgid], "0");
  return table.some((row) => row.pgid === pgid && !row.state.startsWith("Z"));
}
