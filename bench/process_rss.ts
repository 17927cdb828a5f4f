/**
 * Samples the summed resident memory of process trees: every ~100 ms one
 * `ps -A -o pid=,ppid=,rss=,comm=`, the trees walked from the roots, the RSS of every process in
 * them added up. Keeps the peak of that sum and, at the peak, where it went (per command name).
 *
 * A child that Codex has forked but not yet `exec`ed shows as a process named after the forking
 * thread (`tokio-rt-worker`) with its parent's RSS, pages it shares with the parent: such a process
 * counts 0 (it is listed with 0 KiB), or a sample taken in that instant would count Codex twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // The benchmarks sample the supervisor's and the front-ends' trees; here, this process.
 * const sampler = startRssSampler(() => [Deno.pid]);
 * // ... run the workload ...
 * const { peakKb, samples } = await sampler.stop();
 * assert.ok(peakKb > 0 && samples >= 1);
 * ```
 * @module
 */

/** One process as `ps` shows it. */
/** Names that only a forked, not yet exec'd child has (a thread's name, not a program's). */
const FORKED_NAMES = new Set(["tokio-rt-worker"]);

interface Proc {
  pid: number;
  ppid: number;
  rssKb: number;
  comm: string;
}

/** At one sample: the RSS and process count per command name. */
export type Breakdown = Record<string, { processes: number; rss_kb: number }>;

/** What a sampler saw. */
export interface RssPeak {
  /** The peak of the summed RSS over the samples, in KiB. */
  peakKb: number;
  /** The processes of the trees at the peak sample, by command name. */
  atPeak: Breakdown;
  /** The most processes the trees had at one sample. */
  maxProcesses: number;
  samples: number;
}

/** A running sampler. */
export interface RssSampler {
  /** Takes one last sample, stops, and returns the peak. */
  stop(): Promise<RssPeak>;
}

async function processTable(): Promise<Proc[]> {
  const out = await new Deno.Command("ps", {
    args: ["-A", "-o", "pid=,ppid=,rss=,comm="],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const procs: Proc[] = [];
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) {
      const comm = m[4]!.trim();
      const rssKb = FORKED_NAMES.has(comm) ? 0 : Number(m[3]);
      procs.push({ pid: Number(m[1]), ppid: Number(m[2]), rssKb, comm });
    }
  }
  return procs;
}

/** The processes of the trees below (and including) `roots`, each once. */
export function treesOf(procs: Proc[], roots: number[]): Proc[] {
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const children = new Map<number, Proc[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const seen = new Set<number>();
  const found: Proc[] = [];
  const walk = (p: Proc) => {
    if (seen.has(p.pid)) return;
    seen.add(p.pid);
    found.push(p);
    for (const child of children.get(p.pid) ?? []) walk(child);
  };
  for (const pid of roots) {
    const root = byPid.get(pid);
    if (root) walk(root);
  }
  return found;
}

/** Starts sampling the trees below `roots()` (asked anew at every sample) every `everyMs`. */
export function startRssSampler(roots: () => number[], everyMs = 100): RssSampler {
  const peak: RssPeak = { peakKb: 0, atPeak: {}, maxProcesses: 0, samples: 0 };
  const sample = async () => {
    const tree = treesOf(await processTable(), roots());
    const sum = tree.reduce((total, p) => total + p.rssKb, 0);
    peak.samples++;
    peak.maxProcesses = Math.max(peak.maxProcesses, tree.length);
    if (sum <= peak.peakKb) return;
    peak.peakKb = sum;
    const breakdown: Breakdown = {};
    for (const p of tree) {
      const entry = breakdown[p.comm] ??= { processes: 0, rss_kb: 0 };
      entry.processes++;
      entry.rss_kb += p.rssKb;
    }
    peak.atPeak = breakdown;
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      const began = performance.now();
      await sample();
      const rest = everyMs - (performance.now() - began);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await sample();
      return peak;
    },
  };
}
