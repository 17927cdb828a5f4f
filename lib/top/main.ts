/**
 * `codex-swarm top`: a live terminal view of the tasks, or with `--once` / `--json` one snapshot.
 *
 * `top` is an MCP client of a codex-swarm stdio server it starts (the same program). Its own
 * flags are `--once`, `--json` and `--interval`; every other argument goes to that server (and
 * is checked first, so a bad flag is reported here). The terminal UI library is only loaded for
 * the live view.
 *
 * @example Not run: it starts a codex-swarm server (and its supervisor) and prints its tasks.
 * ```ts ignore
 * import { runTop } from "./main.ts";
 *
 * Deno.exit(await runTop(["--once"]));
 * ```
 * @module
 */

import { parseCli } from "../supervisor/cli.ts";
import { SERVER_INFO_URI, TASKS_URI, TopConnection } from "./connection.ts";
import { selfCommand } from "../supervisor/launch.ts";
import { readCap, readTaskList } from "./task_info.ts";
import { snapshot } from "./view_model.ts";
import { initialState, phaseCounts, withCap, withTasks } from "./view_state.ts";
import { plainText } from "./view_text.ts";
import { messageOf } from "../base/errors.ts";

/** The default refresh interval, in milliseconds (updates also come with notifications). */
export const DEFAULT_INTERVAL_MS = 500;
/** The width of a `--once` snapshot when the output is not a terminal (and COLUMNS is unset). */
const PIPE_COLUMNS = 120;

/** The text of `codex-swarm top --help`. */
export function topHelpText(): string {
  return `codex-swarm top: watch and steer the tasks from a terminal

Usage: codex-swarm top [--once | --json] [--interval <MS>] [SERVER OPTIONS]

      --once           Print one snapshot as plain text and exit
      --json           Print one snapshot as JSON and exit
      --interval <MS>  Read the tasks at least this often (default ${DEFAULT_INTERVAL_MS}, 100..10000)
  -h, --help           Print this help
Other options are those of the server (codex-swarm --help), e.g. --task-dir.

Keys: up/down or j/k select, enter detail, a accept / d decline the pending approval,
c cancel (y confirms), f filter by phase, q quit.
`;
}

/** What `top` was asked to do. */
export interface TopArgs {
  mode: "live" | "once" | "json" | "help";
  intervalMs: number;
  /** Passed on to the server. */
  serverArgs: string[];
}

/**
 * Splits `top`'s arguments into its own and the server's, and checks the server's.
 *
 * @throws {Error} Naming the flag, for a bad `--interval`, `--once` with `--json`, or a server
 * flag the server would reject.
 */
export function parseTopArgs(args: readonly string[], env: Record<string, string>): TopArgs {
  let once = false;
  let json = false;
  let help = false;
  let intervalMs = DEFAULT_INTERVAL_MS;
  const serverArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--once") once = true;
    else if (arg === "--json") json = true;
    else if (arg === "-h" || arg === "--help") help = true;
    else if (arg === "--interval" || arg.startsWith("--interval=")) {
      const value = arg === "--interval" ? args[++i] : arg.slice("--interval=".length);
      const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(n >= 100 && n <= 10_000)) {
        throw new Error(
          `Cannot parse --interval ${
            JSON.stringify(value ?? "")
          }: expected milliseconds from 100 to 10000`,
        );
      }
      intervalMs = n;
    } else serverArgs.push(arg);
  }
  if (help) return { mode: "help", intervalMs, serverArgs };
  if (once && json) throw new Error("Cannot use --once with --json: choose one");
  const checked = parseCli(serverArgs, env);
  if (checked.kind !== "run") {
    throw new Error(`Cannot pass --help or --version to top's server (see codex-swarm top --help)`);
  }
  return { mode: once ? "once" : json ? "json" : "live", intervalMs, serverArgs };
}

function readEnv(): Record<string, string> {
  try {
    return Deno.env.toObject();
  } catch {
    return {};
  }
}

/** Whether colours are on: NO_COLOR unset or empty, and the output a terminal. */
export function colourWanted(env: Record<string, string>, isTerminal: boolean): boolean {
  return (env.NO_COLOR ?? "") === "" && isTerminal;
}

function snapshotColumns(env: Record<string, string>): number {
  if (Deno.stdout.isTerminal()) return Deno.consoleSize().columns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns >= 20 ? columns : PIPE_COLUMNS;
}

/** One snapshot: the tasks and the cap, as text or JSON. */
async function printSnapshot(
  connection: TopConnection,
  mode: "once" | "json",
  env: Record<string, string>,
) {
  const [list, info] = await Promise.all([
    connection.readJson(TASKS_URI),
    connection.readJson(SERVER_INFO_URI),
  ]);
  const tasks = readTaskList(list);
  const cap = readCap(info);
  if (mode === "json") {
    const raw = (list as { tasks?: unknown[] }).tasks ?? [];
    const queued = tasks.filter((t) => t.phase === "queued").length;
    const counts = Object.fromEntries(phaseCounts(tasks));
    console.log(JSON.stringify({ cap, queued, counts, tasks: raw }, null, 2));
    return;
  }
  const now = Date.now();
  const state = withCap(withTasks(initialState(), tasks, now), cap);
  console.log(plainText(snapshot(state, snapshotColumns(env), now)));
}

/**
 * Why this process cannot start `command`, or null when it can: `top` needs run permission for
 * its own program, which the server's permission flags do not grant.
 */
export async function cannotRun(command: string): Promise<string | null> {
  const { state } = await Deno.permissions.query({ name: "run", command });
  if (state === "granted") return null;
  return `Cannot start the server top talks to, as this process may not run "${command}": ` +
    `grant it, e.g. deno run --allow-read --allow-write --allow-env ` +
    `--allow-run=codex,git,kill,ps,${command} main.ts top (deno task start top does)`;
}

/** Says why `top` stops, on stderr; returns `code`. */
function fail(problem: unknown, code: number): number {
  console.error(`codex-swarm top: ${messageOf(problem)}`);
  return code;
}

/** Runs `codex-swarm top` with its arguments (after `top`). Returns the exit code. */
export async function runTop(args: readonly string[]): Promise<number> {
  const env = readEnv();
  let parsed: TopArgs;
  try {
    parsed = parseTopArgs(args, env);
  } catch (error) {
    return fail(`${messageOf(error)}\nRun codex-swarm top --help for the flags.`, 2);
  }
  if (parsed.mode === "help") {
    console.log(topHelpText());
    return 0;
  }
  if (parsed.mode === "live" && !(Deno.stdin.isTerminal() && Deno.stdout.isTerminal())) {
    const why = "the live view needs a terminal for its input and output";
    return fail(`${why}; use --once or --json for a snapshot`, 2);
  }
  // The same program as a stdio server: this Deno running the main module, or the binary.
  const command = selfCommand(parsed.serverArgs);
  const denied = await cannotRun(command.command);
  if (denied !== null) return fail(denied, 1);
  let connection: TopConnection;
  try {
    connection = await TopConnection.open(command, env);
  } catch (error) {
    return fail(error, 1);
  }
  try {
    if (parsed.mode !== "live") {
      await printSnapshot(connection, parsed.mode, env);
      return 0;
    }
    const { runLiveView } = await import("./app.tsx");
    return await runLiveView(connection, {
      intervalMs: parsed.intervalMs,
      colour: colourWanted(env, Deno.stdout.isTerminal()),
    });
  } catch (error) {
    return fail(error, 1);
  } finally {
    await connection.close();
  }
}
