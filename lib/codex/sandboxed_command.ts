/**
 * Runs a shell command inside a task's sandbox through the app-server's `command/exec`: the
 * worktree set-up before Codex starts and the check of an attempt after it ends run with the
 * same sandbox as the task's own commands, and within what is left of its time limit.
 *
 * Its stderr goes to its stdout, which is streamed (`command/exec/outputDelta`) and only its end
 * is kept, so a test run that prints megabytes costs a bounded tail. A time limit or an abort terminates the command
 * (`command/exec/terminate`); the outcome says which.
 *
 * @example Not run: it needs a running `codex app-server` (`server`).
 * ```ts ignore
 * const outcome = await runSandboxed(server, {
 *   command: "npm test",
 *   cwd: worktree.cwd,
 *   sandbox: thread.sandbox, // the SandboxPolicy thread/start answered
 *   timeoutMs: 60_000,
 * });
 * if (outcome.exitCode !== 0) console.error(outcome.tail);
 * ```
 * @module
 */

import type { AppServer } from "./app_server.ts";
import type { SandboxPolicy } from "./protocol/generated/v2/SandboxPolicy.ts";
import { listProcesses, sendSignal } from "../base/process.ts";
import { delay } from "../base/delay.ts";

/** What of an app-server a sandboxed command needs (a fake in unit tests). */
export type CommandHost = Pick<AppServer, "request" | "onMessage">;

/** What to run and where. */
export interface SandboxedCommand {
  /** A shell command line, run as `/bin/sh -c <command>`. */
  command: string;
  /** The directory it runs in. */
  cwd: string;
  /** The sandbox of the task (as `thread/start` or `thread/resume` answered it). */
  sandbox: SandboxPolicy;
  /** Variables that differ from the app-server's environment (the session's), if any. */
  env?: Record<string, string>;
  /** Past this many ms the command is terminated; null for no limit. */
  timeoutMs: number | null;
  /** Aborting terminates the command; an aborted one runs nothing (the outcome is `cancelled`). */
  signal?: AbortSignal;
  /** How many characters of the end of the output to keep (default {@link TAIL_CHARS}). */
  tailChars?: number;
  /**
   * The command's id (default: a new `codex-swarm-<uuid>`), also the marker in its processes'
   * command lines: a caller that records it can end what a dead supervisor left running
   * ({@link endLeftovers} of its {@link markerLine}).
   */
  processId?: string;
}

/** How a sandboxed command ended. */
export interface CommandOutcome {
  command: string;
  /** The exit code (137 after a terminate, 101 when the sandbox cannot start the program). */
  exitCode: number;
  /** The end of the output (stderr joined into stdout, in the order written). */
  tail: string;
  /** True when the time limit terminated it. */
  timedOut: boolean;
  /** True when the abort signal terminated it. */
  cancelled: boolean;
  durationMs: number;
}

/** The default length of {@link CommandOutcome.tail}. */
export const TAIL_CHARS = 4_000;

/**
 * The thread's sandbox for a command run in `cwd`: a thread may write its cwd and its writable
 * roots, but `thread/start` answers only the roots, and `command/exec` does not make the command's
 * `cwd` writable (measured with Codex 0.169: "Read-only file system" once `/tmp` is excluded), so
 * `cwd` joins the roots.
 */
export function withWorkspace(sandbox: SandboxPolicy, cwd: string): SandboxPolicy {
  if (sandbox.type !== "workspaceWrite" || sandbox.writableRoots.includes(cwd)) return sandbox;
  return { ...sandbox, writableRoots: [cwd, ...sandbox.writableRoots] };
}

/** Runs `command` in the sandbox and resolves when it ended; rejects when Codex refuses it. */
export async function runSandboxed(
  host: CommandHost,
  options: SandboxedCommand,
): Promise<CommandOutcome> {
  if (options.signal?.aborted) {
    // Stopped before it started (a cancel during the copy before a set-up): nothing runs. A
    // terminate sent now would reach the app-server before the command and miss it.
    return {
      command: options.command,
      exitCode: 137,
      tail: "",
      timedOut: false,
      cancelled: true,
      durationMs: 0,
    };
  }
  const processId = options.processId ?? newProcessId();
  const keep = options.tailChars ?? TAIL_CHARS;
  const decoder = new TextDecoder();
  let tail = "";
  const stop = host.onMessage((message) => {
    const m = message as { method?: string; params?: Record<string, unknown> };
    if (m.method !== "command/exec/outputDelta" || m.params?.processId !== processId) return;
    const bytes = Uint8Array.from(atob(String(m.params.deltaBase64 ?? "")), (c) => c.charCodeAt(0));
    tail = (tail + decoder.decode(bytes, { stream: true })).slice(-keep);
  });
  let timedOut = false;
  let cancelled = false;
  const terminate = () =>
    host.request("command/exec/terminate", { processId }).catch(() => {/* it ended already */});
  const timer = options.timeoutMs === null ? undefined : setTimeout(() => {
    timedOut = true;
    terminate();
  }, Math.max(0, options.timeoutMs));
  const onAbort = () => {
    cancelled = true;
    terminate();
  };
  options.signal?.addEventListener("abort", onAbort);
  const started = Date.now();
  try {
    const result = await host.request("command/exec", {
      // One stream, in the order the command wrote it: the tail reads as a terminal shows it.
      // The first line marks the command's processes, so what a terminate leaves is found.
      command: ["/bin/sh", "-c", `${markerLine(processId)}\nexec 2>&1\n${options.command}`],
      processId,
      streamStdoutStderr: true,
      disableOutputCap: true,
      disableTimeout: true,
      cwd: options.cwd,
      sandboxPolicy: withWorkspace(options.sandbox, options.cwd),
      ...(options.env && Object.keys(options.env).length > 0 ? { env: options.env } : {}),
    });
    if (timedOut || cancelled) await endLeftovers(markerLine(processId));
    return {
      command: options.command,
      exitCode: result.exitCode,
      tail: (tail + decoder.decode()).slice(-keep),
      timedOut: timedOut && !cancelled,
      cancelled,
      durationMs: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    stop();
  }
}

/** A new id for a sandboxed command, `codex-swarm-<uuid>`. */
export function newProcessId(): string {
  return `codex-swarm-${crypto.randomUUID()}`;
}

/** The shell comment that names a command's processes (in their command lines). */
export function markerLine(processId: string): string {
  return `# ${processId}`;
}

/**
 * Kills what a terminated command left running. Codex 0.169's `command/exec/terminate` at times
 * (about one run in three, measured with a `sleep` under bubblewrap) kills only the sandbox's
 * outer process: the inner `codex-linux-sandbox`, which leads a process group of its own with
 * the shell and its children, lives on as an orphan. Every process whose command line has the
 * marker is killed, with the group it leads (never a group it merely belongs to, which could be
 * the app-server's).
 */
export async function endLeftovers(marker: string): Promise<void> {
  for (const wait of [0, 300]) {
    await delay(wait);
    const left = listProcesses().filter((p) => p.args.includes(marker));
    if (left.length === 0) return;
    sendSignal([
      ...left.filter((p) => p.pgid === p.pid).map((p) => -p.pgid),
      ...left.map((p) => p.pid),
    ], "SIGKILL");
  }
}

/** One line saying how a command ended, e.g. `"npm test" exited 1`. */
export function describeOutcome(outcome: CommandOutcome): string {
  const name = JSON.stringify(outcome.command);
  if (outcome.cancelled) return `${name} was cancelled`;
  if (outcome.timedOut) return `${name} reached the time limit after ${outcome.durationMs} ms`;
  return `${name} exited ${outcome.exitCode}`;
}
