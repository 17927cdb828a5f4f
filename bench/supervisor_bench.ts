/**
 * Benchmark of the supervisor engine (issue 9) against bare `codex exec`, in one run, on this
 * machine, against the fake Responses API of the tests (each model answer waits `SLEEP=2000`):
 *
 * - for each N (default 1, 4, 8, 16, 32): the wall time of N bare `codex exec --json` started
 *   together and the peak of the summed RSS of their process trees; then the wall time of N
 *   `codex_async` calls (sent together) and one `codex_wait`, and the peak of the summed RSS of
 *   every process of the server (the front-end, the supervisor and everything below it:
 *   app-server(s), Node wrapper, shell commands). RSS from `ps -A -o pid=,ppid=,rss=,comm=`
 *   every ~100 ms, trees walked from the roots. The server runs with `--max-parallel` >= max N.
 * - `codex_status` latency (p50, p99) from a second client (its own front-end) calling it in a loop
 *   while 16 tasks start, and the same while nothing runs;
 * - a front-end's cold start to the `initialize` answer while the supervisor runs.
 *
 * A bare N is skipped when, extrapolated from the last bare N, it would push the run past about
 * ten minutes; the report says so. Prints a markdown report on stdout, then one JSON line with
 * every figure; writes the chart (wall time and memory against N) as SVG. Every process it starts
 * is stopped before it ends (the harness's world checks that nothing the supervisor started is
 * left).
 *
 * @example
 * ```sh
 * deno task bench                       # N = 1, 4, 8, 16, 32; chart to bench/supervisor_vs_exec.svg
 * deno task bench --n 1,4 --svg /tmp/x.svg
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { makeWorld, startServer, textOf } from "../tests/support/harness.ts";
import { bareCodexWallMs } from "../tests/support/bare_codex.ts";
import { asyncWaitWallMs, codexVersion } from "./parallel_bench.ts";
import { coldStartMs, emptyDenoMs } from "./cold_start_bench.ts";
import { type RssPeak, startRssSampler } from "./process_rss.ts";
import { lineChartsSvg } from "./svg_chart.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DEFAULT_NS = [1, 4, 8, 16, 32];
const SLEEP_MS = 2000;
const STATUS_N = 16;
const COLD_RUNS = 15;
/** The whole run should end within about this (the issue's bench fits ~10 minutes). */
const BUDGET_MS = 570_000;
/** Kept for the status and cold-start parts after the N runs. */
const TAIL_RESERVE_MS = 90_000;
const GOALS = { rssN16Mb: 400, wallRatioN16: 0.8, statusP99Ms: 5, coldStartMs: 150 };

interface BenchOptions {
  ns: number[];
  svg: string;
  /** Codex's shell snapshot (a login shell per thread or exec run); on unless told. */
  shellSnapshot: boolean;
}

/** The figures of one N. */
interface Row {
  n: number;
  /** null: skipped, as it would not fit in the time budget. */
  bare_ms: number | null;
  bare_rss_mb: number | null;
  server_ms: number;
  server_rss_mb: number;
  /** The server's summed RSS just before the run. */
  server_idle_rss_mb: number;
  wall_ratio: number | null;
  rss_ratio: number | null;
  bare_peak: RssPeak | null;
  server_peak: RssPeak;
  /** The 1-minute load average after this N. */
  load_after: string;
}

function parseOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: "string", multiple: true },
      svg: { type: "string" },
      "no-shell-snapshot": { type: "boolean" },
    },
    strict: true,
  });
  const ns = values.n?.flatMap((v) => v.split(",")).map((text) => {
    const value = Number(text.trim());
    if (!Number.isInteger(value) || value < 1 || value > 64) {
      throw new Error(`Cannot use --n "${text}" as it is not an integer from 1 to 64`);
    }
    return value;
  });
  return {
    ns: ns && ns.length > 0 ? [...new Set(ns)].toSorted((a, b) => a - b) : DEFAULT_NS,
    svg: values.svg ?? `${ROOT}bench/supervisor_vs_exec.svg`,
    shellSnapshot: !values["no-shell-snapshot"],
  };
}

const mb = (kb: number) => Math.round((kb * 1024) / 1e5) / 10;
const round = (ms: number) => Math.round(ms);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** The value at quantile `q` (nearest rank) of `samples`. */
function quantile(samples: number[], q: number): number {
  const sorted = samples.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** The machine, for the report. */
interface Machine {
  nproc: number;
  mem_total_gb: number;
  mem_available_gb: number;
  uname: string;
  deno: string;
}

/** What the machine is, for the report. */
async function machine(): Promise<Machine> {
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(meminfo)?.[1]);
  return {
    nproc: Number(await run("nproc", [])),
    mem_total_gb: Math.round((kb("MemTotal") * 1024) / 1e8) / 10,
    mem_available_gb: Math.round((kb("MemAvailable") * 1024) / 1e8) / 10,
    uname: await run("uname", ["-a"]),
    deno: Deno.version.deno,
  };
}

const loadavg = async () => (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3);

/** The peak breakdown as "name ×count size" parts, biggest first. */
function breakdownText(peak: RssPeak): string {
  return Object.entries(peak.atPeak)
    .toSorted((a, b) => b[1].rss_kb - a[1].rss_kb)
    .map(([name, e]) => `${name} ×${e.processes} ${mb(e.rss_kb)} MB`)
    .join(", ");
}

/** Everything one run measured. */
interface Figures {
  bench: string;
  codex: string;
  app_servers: unknown;
  machine: Machine;
  load_before: string[];
  load_after: string[];
  sleep_ms: number;
  max_parallel: number;
  rows: Row[];
  bare_skipped: number[];
  bare_failed: Array<{ n: number; error: string }>;
  shell_snapshot: boolean;
  status: {
    n: number;
    calls_while_starting: number;
    p50_ms: number;
    p99_ms: number;
    max_ms: number;
    idle_p50_ms: number;
    idle_p99_ms: number;
    wall_ms: number;
  };
  cold_start: {
    runs: number;
    p50_ms: number;
    p90_ms: number;
    max_ms: number;
    /** Deno starting an empty module, interleaved with the runs: the floor. */
    empty_deno_p50_ms: number;
  };
  total_ms: number;
}

/** Runs the bench; returns the markdown report and the JSON figures. */
export async function runBench(
  options: BenchOptions,
): Promise<{ markdown: string; figures: Figures }> {
  const began = performance.now();
  const elapsed = () => performance.now() - began;
  const progress = (message: string) =>
    console.error(`[bench ${(elapsed() / 1000).toFixed(1)} s] ${message}`);
  const host = await machine();
  const loadBefore = await loadavg();

  await using world = await makeWorld();
  if (!options.shellSnapshot) {
    // For bare codex exec and the app-server alike: the world's CODEX_HOME is theirs.
    await Deno.writeTextFile(
      `${world.codexHome}/config.toml`,
      "[features]\nshell_snapshot = false\n",
      {
        append: true,
      },
    );
  }
  const maxParallel = Math.max(32, ...options.ns);
  const serverOptions = {
    args: ["--max-parallel", String(maxParallel)],
    env: { CODEX_SWARM_LOG_LEVEL: "warning" },
  };
  await using server = await startServer(world, serverOptions);
  const { client } = server;
  const frontEnd = server.transport.pid;
  const supervisor = world.supervisorInfo()?.pid;
  if (frontEnd === null || supervisor === undefined) {
    throw new Error("Cannot find the front-end's or the supervisor's process id");
  }
  const serverRoots = () => [frontEnd, supervisor];
  const version = await codexVersion(world);
  progress(`${version}; N = ${options.ns.join(", ")}; load ${loadBefore.join(" ")}`);

  // Warm up the file cache and both paths once, unmeasured.
  await bareCodexWallMs(world, 1, () => "warm-up bare");
  await asyncWaitWallMs(client, 1, () => "warm-up server");

  const rows: Row[] = [];
  let last: { n: number; ms: number } | null = null;
  const skipped: number[] = [];
  const bareFailed: Array<{ n: number; error: string }> = [];
  for (const n of options.ns) {
    const prompt = (kind: string) => (i: number) => `bench ${kind} n${n} i${i} SLEEP=${SLEEP_MS}`;
    const waitS = Math.max(90, n * 10);
    // Bare codex exec, unless it would not fit (its cost grows about linearly with N).
    let bareMs: number | null = null;
    let barePeak: RssPeak | null = null;
    const guess = last ? (last.ms * n) / last.n : 0;
    if (elapsed() + guess * 2 + TAIL_RESERVE_MS > BUDGET_MS) {
      skipped.push(n);
      progress(`N = ${n}: bare codex exec skipped, about ${round(guess)} ms would not fit`);
    } else {
      let pids: number[] = [];
      const sampler = startRssSampler(() => pids);
      try {
        bareMs = await bareCodexWallMs(world, n, prompt("bare"), (started) => pids = started);
        barePeak = await sampler.stop();
        last = { n, ms: bareMs };
      } catch (error) {
        await sampler.stop();
        const message = error instanceof Error ? error.message : String(error);
        bareFailed.push({ n, error: message.slice(0, 600) });
        progress(`N = ${n}: bare codex exec failed: ${message}`);
      }
    }
    const idle = await startRssSampler(serverRoots).stop();
    const sampler = startRssSampler(serverRoots);
    const serverMs = await asyncWaitWallMs(client, n, prompt("server"), waitS);
    const serverPeak = await sampler.stop();
    const row: Row = {
      n,
      bare_ms: bareMs === null ? null : round(bareMs),
      bare_rss_mb: barePeak ? mb(barePeak.peakKb) : null,
      server_ms: round(serverMs),
      server_rss_mb: mb(serverPeak.peakKb),
      server_idle_rss_mb: mb(idle.peakKb),
      wall_ratio: bareMs === null ? null : ratio(serverMs, bareMs),
      rss_ratio: barePeak ? ratio(serverPeak.peakKb, barePeak.peakKb) : null,
      bare_peak: barePeak,
      server_peak: serverPeak,
      load_after: (await loadavg())[0]!,
    };
    rows.push(row);
    progress(
      `N = ${n}: bare ${row.bare_ms} ms ${row.bare_rss_mb} MB, server ${row.server_ms} ms ` +
        `${row.server_rss_mb} MB (idle before ${row.server_idle_rss_mb} MB)`,
    );
  }

  // codex_status from a second client: idle, then while STATUS_N tasks start.
  await using second = await startServer(world, serverOptions);
  const statusOnce = async () => {
    const begin = performance.now();
    const result = await second.client.callTool({ name: "codex_status", arguments: {} });
    const ms = performance.now() - begin;
    if (result.isError) throw new Error(`codex_status failed: ${textOf(result)}`);
    const tasks = (result.structuredContent as { tasks?: Array<{ phase: string }> }).tasks ?? [];
    return { ms, tasks };
  };
  const idleStatus: number[] = [];
  for (let i = 0; i < 100; i++) idleStatus.push((await statusOnce()).ms);
  const startingStatus: number[] = [];
  let asyncDone = false;
  const poll = (async () => {
    const end = Date.now() + 120_000;
    while (Date.now() < end) {
      const { ms, tasks } = await statusOnce();
      startingStatus.push(ms);
      const starting = tasks.some((t) => t.phase === "queued" || t.phase === "starting");
      if (asyncDone && !starting) return;
    }
  })();
  const statusWallMs = await asyncWaitWallMs(
    client,
    STATUS_N,
    (i) => `bench status i${i} SLEEP=${SLEEP_MS}`,
    Math.max(90, STATUS_N * 10),
    () => asyncDone = true,
  );
  asyncDone = true;
  await poll;
  const status = {
    n: STATUS_N,
    calls_while_starting: startingStatus.length,
    p50_ms: Math.round(quantile(startingStatus, 0.5) * 10) / 10,
    p99_ms: Math.round(quantile(startingStatus, 0.99) * 10) / 10,
    max_ms: Math.round(Math.max(...startingStatus) * 10) / 10,
    idle_p50_ms: Math.round(quantile(idleStatus, 0.5) * 10) / 10,
    idle_p99_ms: Math.round(quantile(idleStatus, 0.99) * 10) / 10,
    wall_ms: round(statusWallMs),
  };
  progress(`codex_status while ${STATUS_N} start: ${JSON.stringify(status)}`);
  await second.stop();

  // A front-end's cold start while the supervisor runs.
  const coldEnv = { ...world.env, CODEX_SWARM_LOG_LEVEL: "warning" };
  const cold: number[] = [];
  const floor: number[] = [];
  const empty = await Deno.makeTempFile({ suffix: ".ts" });
  for (let i = 0; i < COLD_RUNS; i++) {
    cold.push(await coldStartMs(coldEnv, serverOptions.args));
    floor.push(await emptyDenoMs(empty));
  }
  await Deno.remove(empty);
  const coldStart = {
    runs: COLD_RUNS,
    p50_ms: round(quantile(cold, 0.5)),
    p90_ms: round(quantile(cold, 0.9)),
    max_ms: round(Math.max(...cold)),
    empty_deno_p50_ms: round(quantile(floor, 0.5)),
  };
  progress(`cold start: ${JSON.stringify(coldStart)}`);

  const info = await client.readResource({ uri: "codex-swarm://server-info" });
  const serverInfo = JSON.parse((info.contents[0] as { text: string }).text) as {
    supervisor?: { codex?: Array<{ pid: number; version: string }> };
  };
  const loadAfter = await loadavg();
  const figures: Figures = {
    bench: "supervisor",
    codex: version,
    app_servers: serverInfo.supervisor?.codex ?? null,
    machine: host,
    load_before: loadBefore,
    load_after: loadAfter,
    sleep_ms: SLEEP_MS,
    max_parallel: maxParallel,
    rows,
    bare_skipped: skipped,
    bare_failed: bareFailed,
    shell_snapshot: options.shellSnapshot,
    status,
    cold_start: coldStart,
    total_ms: round(elapsed()),
  };
  await Deno.writeTextFile(options.svg, chart(rows, host, version, options.shellSnapshot));
  progress(`chart written to ${options.svg}`);
  return { markdown: report(figures), figures };
}

function chart(rows: Row[], host: Machine, version: string, shellSnapshot: boolean): string {
  const xs = rows.map((r) => r.n);
  const seconds = (ms: number | null) => ms === null ? null : Math.round(ms / 100) / 10;
  return lineChartsSvg(
    [
      {
        title: `Wall time, N tasks of ${SLEEP_MS / 1000} s`,
        unit: "s",
        xs,
        series: [
          { name: "bare codex exec ×N", values: rows.map((r) => seconds(r.bare_ms)) },
          { name: "codex-swarm supervisor", values: rows.map((r) => seconds(r.server_ms)) },
        ],
      },
      {
        title: "Peak summed RSS",
        unit: "MB",
        xs,
        series: [
          { name: "bare codex exec ×N", values: rows.map((r) => r.bare_rss_mb) },
          { name: "codex-swarm supervisor", values: rows.map((r) => r.server_rss_mb) },
        ],
      },
    ],
    `${version}, Deno ${host.deno}, ${host.nproc} cores, fake Responses API (SLEEP=${SLEEP_MS})` +
      (shellSnapshot ? "" : ", shell snapshot off"),
  );
}

function report(f: Figures): string {
  const cells = (values: Array<string | number | null>) =>
    `| ${values.map((v) => v ?? "–").join(" | ")} |`;
  const n16 = f.rows.find((r) => r.n === 16);
  const verdict = (met: boolean | null) => met === null ? "not measured" : met ? "met" : "not met";
  const lines = [
    `${f.codex}, Deno ${f.machine.deno}; ${f.machine.nproc} cores, ${f.machine.mem_total_gb} GB; ` +
    `load ${f.load_before.join(" ")} before, ${f.load_after.join(" ")} after; ` +
    `${Math.round(f.total_ms / 1000)} s in all.`,
    "",
    cells([
      "N",
      "bare wall ms",
      "server wall ms",
      "wall ratio",
      "bare RSS MB",
      "server RSS MB",
      "RSS ratio",
      "server idle MB",
      "load after",
    ]),
    cells(["--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:"]),
    ...f.rows.map((r) =>
      cells([
        r.n,
        r.bare_ms,
        r.server_ms,
        r.wall_ratio?.toFixed(2) ?? null,
        r.bare_rss_mb,
        r.server_rss_mb,
        r.rss_ratio?.toFixed(2) ?? null,
        r.server_idle_rss_mb,
        r.load_after,
      ])
    ),
    "",
    ...(f.bare_skipped.length > 0
      ? [
        `Bare \`codex exec\` skipped (would not fit the time budget) at N = ${
          f.bare_skipped.join(", ")
        }.`,
        "",
      ]
      : []),
    ...f.bare_failed.map((b) => `Bare \`codex exec\` failed at N = ${b.n}: ${b.error}`),
    ...(f.bare_failed.length > 0 ? [""] : []),
    `Codex shell snapshot ${
      f.shell_snapshot ? "on (default)" : "off (\`features.shell_snapshot = false\`)"
    }.`,
    "",
    "Where the memory is at the peak:",
    "",
    ...f.rows.flatMap((r) => [
      `- N = ${r.n}: server ${breakdownText(r.server_peak)}` +
      (r.bare_peak ? `; bare ${breakdownText(r.bare_peak)}` : ""),
    ]),
    "",
    `\`codex_status\` from a second client while ${f.status.n} tasks start ` +
    `(${f.status.calls_while_starting} calls): p50 ${f.status.p50_ms} ms, p99 ${f.status.p99_ms} ms, ` +
    `max ${f.status.max_ms} ms; idle (100 calls): p50 ${f.status.idle_p50_ms} ms, p99 ` +
    `${f.status.idle_p99_ms} ms.`,
    "",
    `Front-end cold start to the \`initialize\` answer, supervisor running (${f.cold_start.runs} ` +
    `runs): p50 ${f.cold_start.p50_ms} ms, p90 ${f.cold_start.p90_ms} ms, max ` +
    `${f.cold_start.max_ms} ms (\`deno run\` of an empty module, interleaved: p50 ` +
    `${f.cold_start.empty_deno_p50_ms} ms).`,
    "",
    "Goals of issue 9:",
    "",
    `- summed RSS at N = 16 <= ${GOALS.rssN16Mb} MB: ${n16?.server_rss_mb ?? "–"} MB, ` +
    verdict(n16 ? n16.server_rss_mb <= GOALS.rssN16Mb : null),
    `- wall at N = 16 <= ${GOALS.wallRatioN16} × bare: ${n16?.wall_ratio ?? "–"} ×, ` +
    verdict(
      n16?.wall_ratio === null || n16 === undefined ? null : n16.wall_ratio <= GOALS.wallRatioN16,
    ),
    `- \`codex_status\` p99 <= ${GOALS.statusP99Ms} ms while 16 start: ${f.status.p99_ms} ms, ` +
    verdict(f.status.p99_ms <= GOALS.statusP99Ms),
    `- cold start <= ${GOALS.coldStartMs} ms: p50 ${f.cold_start.p50_ms} ms, ` +
    verdict(f.cold_start.p50_ms <= GOALS.coldStartMs),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  let options: BenchOptions;
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    console.error(`supervisor_bench: ${error instanceof Error ? error.message : error}`);
    Deno.exit(2);
  }
  const { markdown, figures } = await runBench(options);
  console.log(markdown);
  console.log(JSON.stringify(figures));
}
