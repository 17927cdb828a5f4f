/**
 * Stopping a turn and every command it started.
 *
 * `turn/interrupt` alone is not enough: it kills a command still in its first `yield_time_ms`
 * (10 s by default) of `exec_command`, but a command that ran longer has become a background
 * terminal of the thread, which outlives the turn (the turn even completes while it runs).
 * The experimental `thread/backgroundTerminals/clean` kills those. {@link stopTurn} does both,
 * then checks at the OS level that the commands' processes are gone (and kills any that are
 * not), so a caller can rely on "stopped" meaning stopped.
 *
 * @example Not run: it needs a running `codex app-server` (`server`).
 * ```ts ignore
 * await stopTurn(server, threadId, turnId); // the turn has ended and its commands are gone
 * ```
 * @module
 */

import type { ProcessLine } from "../base/process.ts";
import { groupAlive, isAlive, listProcesses, sendSignal } from "../base/process.ts";
import type { AppServer } from "./app_server.ts";
import { AppServerRequestError } from "./app_server_errors.ts";
import type {
  ThreadBackgroundTerminal,
  ThreadBackgroundTerminalsListResponse,
} from "./protocol/generated/index.ts";
import { delay, withTimeout } from "../base/delay.ts";

/** How long {@link stopTurn} waits for `turn/completed` after `turn/interrupt`. */
export const INTERRUPT_WAIT_MS = 5_000;
/** How long {@link stopTurn} waits for the commands' processes to go, before and after SIGKILL. */
export const PROCESS_WAIT_MS = 3_000;

/** Every background terminal of `threadId` (all pages). */
async function terminalsOf(
  server: AppServer,
  threadId: string,
): Promise<ThreadBackgroundTerminal[]> {
  const out: ThreadBackgroundTerminal[] = [];
  let cursor: string | null = null;
  do {
    const page: ThreadBackgroundTerminalsListResponse = await server.request(
      "thread/backgroundTerminals/list",
      { threadId, cursor },
    );
    out.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/**
 * The processes of commands: the app-server's children that run one of `commands` (`bash -lc
 * <command>`, the sandbox...), their command lines ending with the command.
 */
function processesOf(server: AppServer, commands: string[]): ProcessLine[] {
  if (commands.length === 0) return [];
  return listProcesses().filter((child) =>
    child.ppid === server.pid &&
    commands.some((command) => child.args === command || child.args.endsWith(` ${command}`))
  );
}

/** Waits until none of `procs` (nor their process groups) is alive, at most `ms`. */
async function gone(procs: ProcessLine[], ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    const alive = procs.filter((p) => isAlive(p.pid, p.startTime) || groupAlive(p.pid));
    if (alive.length === 0) return true;
    if (Date.now() >= end) return false;
    await delay(50);
  }
}

/**
 * Ends turn `turnId` of `threadId` and kills every command of the thread: `turn/interrupt` of
 * `interruptTurnId` (default `turnId`; a review's sub-turn, which ends the review's turn; a turn
 * that has already ended is fine), then `thread/backgroundTerminals/clean`, then waits until the
 * commands' processes are gone, sending SIGKILL to their process groups if Codex did not stop
 * them. Resolves only once they are gone; rejects when they cannot be stopped, or with the
 * server's error if it cannot list or clean terminals.
 *
 * Background terminals belong to the thread, not the turn: terminals left running by earlier
 * turns of the thread are stopped too (a task is one thread, and stopping a task stops all of it).
 */
export async function stopTurn(
  server: AppServer,
  threadId: string,
  turnId: string,
  interruptTurnId: string = turnId,
): Promise<void> {
  const commands = new Set((await terminalsOf(server, threadId)).map((t) => t.command));
  const procs = processesOf(server, [...commands]);
  let off = () => {};
  const ended = new Promise<void>((resolve) => {
    off = server.onEvent((event) => {
      if (
        event.kind === "event" && event.method === "turn/completed" &&
        event.params.turn.id === turnId
      ) resolve();
    });
  });
  try {
    await server.request("turn/interrupt", { threadId, turnId: interruptTurnId });
    await withTimeout(ended, INTERRUPT_WAIT_MS);
  } catch (error) {
    // "no active turn to interrupt": it has ended already; its terminals may still run.
    if (!(error instanceof AppServerRequestError)) throw error;
  } finally {
    off();
  }
  // Commands started between the first look and the interrupt.
  const later = new Set((await terminalsOf(server, threadId)).map((t) => t.command));
  procs.push(...processesOf(server, [...later].filter((command) => !commands.has(command))));
  await server.request("thread/backgroundTerminals/clean", { threadId });
  if (await gone(procs, PROCESS_WAIT_MS)) return;
  for (const proc of procs) sendSignal([-proc.pid, proc.pid], "SIGKILL");
  if (await gone(procs, PROCESS_WAIT_MS)) return;
  throw new Error(
    `Cannot stop the commands of turn ${turnId} of thread ${threadId}: processes ${
      procs.map((p) => p.pid).join(", ")
    } are still alive after SIGKILL`,
  );
}
