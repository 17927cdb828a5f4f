/**
 * Benchmark: what running Codex through codex-swarm costs, against bare `codex exec --json`.
 *
 * In one process, against the fake Responses API of the tests (each answer waits `SLEEP=2000`, so a
 * run takes about 2 s plus Codex's own start-up), for each N it measures the wall time of:
 * - N bare `codex exec --json` processes started together (the baseline);
 * - N `codex_async` calls (sent concurrently) and then one `codex_wait` for all of them;
 * - N concurrent blocking `codex` tool calls;
 * and then one single `codex` call against one bare `codex exec` without SLEEP, which shows the
 * overhead per call. Each measurement runs `--reps` times (default 3); the median is reported.
 * The repetitions go round all N in turn and stop once the next one would pass a time budget of
 * about 3 minutes (Codex's start-up is CPU-heavy: on few cores, N = 8 takes far longer than 2 s),
 * so every N gets as many runs as fit; the table shows how many.
 *
 * Prints a markdown table (wall times in ms, ratios server/bare) on stdout and, last, one JSON line
 * with every sample. Progress goes to stderr.
 *
 * @example
 * ```sh
 * deno task bench:exec            # N = 1, 4, 8
 * deno task bench:exec --n 8      # only N = 8 (repeat --n or use commas for several)
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_MAX_PARALLEL } from "../lib/mcp/server_config.ts";
import type { Client } from "../tests/support/sdk_client.ts";
import { bareCodexWallMs } from "../tests/support/bare_codex.ts";
import { makeWorld, startServer, textOf, type World } from "../tests/support/harness.ts";

const DEFAULT_NS = [1, 4, 8];
const DEFAULT_REPS = 3;
const SLEEP_MS = 2000;
/**
 * A repetition is skipped when, by the duration of its last one (times a margin, as load varies),
 * it would end after this. Start-up, warm-up and the single-call runs come on top.
 */
const BUDGET_MS = 150_000;
const BUDGET_MARGIN = 1.25;
const CALL_TIMEOUT_MS = 120_000;

/** The settings of one bench run. */
interface BenchOptions {
  ns: number[];
  reps: number;
}

/** The medians and samples for one N. */
interface Row {
  n: number;
  /** How many repetitions fit in the time budget. */
  runs: number;
  bare_ms: number;
  async_wait_ms: number;
  blocking_ms: number;
  async_wait_ratio: number;
  blocking_ratio: number;
  samples: { bare: number[]; async_wait: number[]; blocking: number[] };
}

/** One `codex` call against one bare `codex exec`, without SLEEP. */
interface Single {
  bare_ms: number;
  codex_ms: number;
  ratio: number;
  overhead_ms: number;
  samples: { bare: number[]; codex: number[] };
}

function parseOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: "string", multiple: true },
      reps: { type: "string" },
    },
    strict: true,
  });
  const int = (text: string, what: string, max: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new Error(`Cannot use ${what} "${text}" as it is not an integer from 1 to ${max}`);
    }
    return value;
  };
  const ns = values.n?.flatMap((v) => v.split(",")).map((v) => int(v.trim(), "--n", 64));
  return {
    ns: ns && ns.length > 0 ? [...new Set(ns)].toSorted((a, b) => a - b) : DEFAULT_NS,
    reps: values.reps === undefined ? DEFAULT_REPS : int(values.reps, "--reps", 20),
  };
}

function median(samples: number[]): number {
  const sorted = samples.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (ms: number) => Math.round(ms);
const ratio = (server: number, bare: number) => Math.round((server / bare) * 100) / 100;

/**
 * Starts `n` tasks with concurrent `codex_async` calls, then waits for all with `codex_wait` (at
 * most `waitS` seconds); returns the wall time in ms. `onStarted` gets the task ids once every
 * `codex_async` answered. Throws unless every task completed with the
 * fake API's answer.
 */
export async function asyncWaitWallMs(
  client: Client,
  n: number,
  prompt: (i: number) => string,
  waitS = 90,
  onStarted?: (ids: string[]) => void,
) {
  const start = performance.now();
  const ids = await Promise.all(Array.from({ length: n }, async (_, i) => {
    const result = await client.callTool({ name: "codex_async", arguments: { prompt: prompt(i) } });
    if (result.isError) throw new Error(`codex_async failed: ${textOf(result)}`);
    return (result.structuredContent as { task_id: string }).task_id;
  }));
  onStarted?.(ids);
  const result = await client.callTool(
    { name: "codex_wait", arguments: { task_ids: ids, timeout: waitS } },
    undefined,
    { timeout: waitS * 1000 + CALL_TIMEOUT_MS },
  );
  const wall = performance.now() - start;
  const waited = result.structuredContent as
    | { satisfied: boolean; tasks: Array<{ phase: string; final_message: string | null }> }
    | undefined;
  if (result.isError || !waited?.satisfied) throw new Error(`codex_wait failed: ${textOf(result)}`);
  for (const [i, task] of waited.tasks.entries()) {
    if (task.phase !== "completed" || task.final_message !== `MOCK-DONE ${prompt(i)}`) {
      throw new Error(`task ${i} ended ${task.phase}: ${task.final_message}\n${textOf(result)}`);
    }
  }
  return wall;
}

/** Makes `n` concurrent blocking `codex` calls. */
async function blockingWallMs(client: Client, n: number, prompt: (i: number) => string) {
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: n }, (_, i) =>
    client.callTool(
      { name: "codex", arguments: { prompt: prompt(i) } },
      undefined,
      { timeout: CALL_TIMEOUT_MS },
    )));
  const wall = performance.now() - start;
  for (const [i, result] of results.entries()) {
    if (result.isError || textOf(result) !== `MOCK-DONE ${prompt(i)}`) {
      throw new Error(`codex call ${i} failed: ${textOf(result)}`);
    }
  }
  return wall;
}

/** What `codex --version` prints in `world`. */
export async function codexVersion(world: World): Promise<string> {
  const out = await new Deno.Command("codex", {
    args: ["--version"],
    env: world.env,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** Wall times of one N, in ms, in the order measured. */
function noSamples(): { bare: number[]; async_wait: number[]; blocking: number[] } {
  return { bare: [], async_wait: [], blocking: [] };
}

/** The markdown report. */
function table(rows: Row[], single: Single, reps: number): string {
  const cells = (values: Array<string | number>) => `| ${values.join(" | ")} |`;
  return [
    `Wall time in ms, median of the runs (up to ${reps}); each model answer waits ${SLEEP_MS} ms. ` +
    "Ratio = server / bare.",
    "",
    cells([
      "N",
      "runs",
      "bare `codex exec`",
      "`codex_async` ×N + `codex_wait`",
      "ratio",
      "`codex` ×N concurrent",
      "ratio",
    ]),
    cells(["--:", "--:", "--:", "--:", "--:", "--:", "--:"]),
    ...rows.map((r) =>
      cells([
        r.n,
        r.runs,
        r.bare_ms,
        r.async_wait_ms,
        r.async_wait_ratio.toFixed(2),
        r.blocking_ms,
        r.blocking_ratio.toFixed(2),
      ])
    ),
    "",
    `One call without SLEEP (overhead per call), median of ${reps}:`,
    "",
    cells(["bare `codex exec`", "one `codex` call", "ratio", "overhead"]),
    cells(["--:", "--:", "--:", "--:"]),
    cells([
      single.bare_ms,
      single.codex_ms,
      single.ratio.toFixed(2),
      `${single.overhead_ms >= 0 ? "+" : ""}${single.overhead_ms} ms`,
    ]),
  ].join("\n");
}

/** Runs the bench and prints its report. */
export async function runBench(options: BenchOptions): Promise<void> {
  const began = performance.now();
  const elapsed = () => performance.now() - began;
  const progress = (message: string) =>
    console.error(`[bench ${(elapsed() / 1000).toFixed(1)} s] ${message}`);

  await using world = await makeWorld();
  const maxParallel = Math.max(DEFAULT_MAX_PARALLEL, ...options.ns);
  await using server = await startServer(world, {
    args: ["--max-parallel", String(maxParallel)],
    env: { CODEX_SWARM_LOG_LEVEL: "warning" },
  });
  const { client } = server;
  const version = await codexVersion(world);
  progress(`${version}; N = ${options.ns.join(", ")}; ${options.reps} repetitions`);

  // Warm up the file cache and both paths once, unmeasured.
  await bareCodexWallMs(world, 1, () => "warm-up bare");
  await blockingWallMs(client, 1, () => "warm-up server");

  // The overhead per call first: it is cheap and must not fall victim to the time budget.
  const singleSamples = { bare: [] as number[], codex: [] as number[] };
  for (let rep = 0; rep < options.reps; rep++) {
    singleSamples.bare.push(await bareCodexWallMs(world, 1, () => `bench single bare r${rep}`));
    singleSamples.codex.push(await blockingWallMs(client, 1, () => `bench single codex r${rep}`));
  }
  const singleBare = median(singleSamples.bare);
  const singleCodex = median(singleSamples.codex);
  const single: Single = {
    bare_ms: round(singleBare),
    codex_ms: round(singleCodex),
    ratio: ratio(singleCodex, singleBare),
    overhead_ms: round(singleCodex - singleBare),
    samples: { bare: singleSamples.bare.map(round), codex: singleSamples.codex.map(round) },
  };
  progress(`single call: bare ${single.bare_ms} ms, codex ${single.codex_ms} ms`);

  // Repetition by repetition across all N, so that when the budget runs out every N has as many
  // samples as fit. A repetition of an N is skipped when its last one says it would overrun. The
  // first repetition always runs: without it there is nothing to report.
  const samples = new Map(options.ns.map((n) => [n, noSamples()]));
  const lastCost = new Map<number, number>();
  let truncated = false;
  for (let rep = 0; rep < options.reps; rep++) {
    for (const n of options.ns) {
      const cost = lastCost.get(n);
      if (cost !== undefined && elapsed() + cost * BUDGET_MARGIN > BUDGET_MS) {
        truncated = true;
        progress(`N = ${n}, repetition ${rep + 1}: skipped, it would overrun the time budget`);
        continue;
      }
      const own = samples.get(n)!;
      const prompt = (kind: string) => (i: number) =>
        `bench ${kind} n${n} r${rep} i${i} SLEEP=${SLEEP_MS}`;
      const before = elapsed();
      own.bare.push(await bareCodexWallMs(world, n, prompt("bare")));
      own.async_wait.push(await asyncWaitWallMs(client, n, prompt("async")));
      own.blocking.push(await blockingWallMs(client, n, prompt("blocking")));
      lastCost.set(n, elapsed() - before);
      progress(
        `N = ${n}, repetition ${rep + 1}: bare ${round(own.bare.at(-1)!)} ms, ` +
          `async+wait ${round(own.async_wait.at(-1)!)} ms, codex ${round(own.blocking.at(-1)!)} ms`,
      );
    }
  }
  const rows: Row[] = options.ns.map((n) => {
    const own = samples.get(n)!;
    const bare = median(own.bare);
    const asyncWait = median(own.async_wait);
    const blocking = median(own.blocking);
    return {
      n,
      runs: own.bare.length,
      bare_ms: round(bare),
      async_wait_ms: round(asyncWait),
      blocking_ms: round(blocking),
      async_wait_ratio: ratio(asyncWait, bare),
      blocking_ratio: ratio(blocking, bare),
      samples: {
        bare: own.bare.map(round),
        async_wait: own.async_wait.map(round),
        blocking: own.blocking.map(round),
      },
    };
  });

  console.log(table(rows, single, options.reps));
  console.log(JSON.stringify({
    bench: "parallel",
    codex: version,
    deno: Deno.version.deno,
    cpus: navigator.hardwareConcurrency,
    reps: options.reps,
    sleep_ms: SLEEP_MS,
    rows,
    single,
    truncated,
    total_ms: round(elapsed()),
  }));
}

if (import.meta.main) {
  let options: BenchOptions;
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    console.error(`parallel_bench: ${error instanceof Error ? error.message : error}`);
    Deno.exit(2);
  }
  await runBench(options);
}
