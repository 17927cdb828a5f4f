/**
 * What a worker costs a task (issue 21): one worktree task that writes a file, run on this
 * machine, and on a worker (a real `codex exec-server` on 127.0.0.1), for repositories of
 * several sizes. On the worker the task's workspace travels: its base commit is shipped as a git
 * bundle to the worker's cache (the whole history the first time, nothing when the cache has the
 * commit, the new commits after a local commit), and its branch comes back as a bundle.
 *
 * Wall time from `start` to the task's end, through the engine (tests/support/worker_rig.ts: the
 * real app-server against the fake Responses API). The repository holds incompressible files
 * (random bytes) of the given total size, committed and packed (`git gc`).
 *
 * Usage: `deno task bench:workspace [--sizes 1,100] [--runs 3]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { git, makeRepo } from "../tests/support/repo.ts";
import { type Rig, rig } from "../tests/support/worker_rig.ts";
import { startTask } from "../lib/request/plans.ts";

/** How many files the repository's bytes are spread over. */
const FILES = 50;

/** A repository with `mb` MB (10^6 bytes) of random files committed. */
async function repoOf(mb: number): Promise<string> {
  const repo = await makeRepo();
  await Deno.mkdir(`${repo}/data`);
  const size = Math.round((mb * 1e6) / FILES);
  for (let i = 0; i < FILES; i++) {
    const bytes = new Uint8Array(size);
    // getRandomValues fills at most 65,536 bytes at a time.
    for (let at = 0; at < size; at += 65_536) {
      crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65_536)));
    }
    await Deno.writeFile(`${repo}/data/blob${i}.bin`, bytes);
  }
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "data");
  // Packed, as a cloned repository is: a bundle then reuses the pack (of loose objects, git
  // compresses each again: 24 s for 100 MB on a loaded 2-core machine, against 0.4 s packed).
  await new Deno.Command("git", { args: ["gc", "--quiet"], cwd: repo }).output();
  return repo;
}

/** The wall time of one task on `worker`, in ms; throws when it did not complete. */
async function taskMs(r: Rig, worker: string, n: number): Promise<number> {
  const started = performance.now();
  const task = await startTask(r.engine, {
    prompt: `bench ${n} RUN=echo done > out${n}.txt`,
    worktree: true,
    sandbox: "workspace-write",
    cwd: r.repo,
    worker,
  }, r.session);
  const done = await r.engine.finished(task.meta.id);
  const ms = performance.now() - started;
  if (done.meta.phase !== "completed") {
    throw new Error(`bench task on ${worker} ${done.meta.phase}: ${done.meta.failure}`);
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One size: local, the worker's first task (cold cache), warm, after a new local commit. */
async function measure(mb: number, runs: number) {
  const repo = await repoOf(mb);
  await using r = await rig({ local: 4, repo });
  let n = 0;
  await taskMs(r, "local", n++); // the app-server's start is in no figure
  const local: number[] = [];
  for (let i = 0; i < runs; i++) local.push(await taskMs(r, "local", n++));
  const cold = await taskMs(r, "a", n++);
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) warm.push(await taskMs(r, "a", n++));
  const incremental: number[] = [];
  for (let i = 0; i < runs; i++) {
    await Deno.writeTextFile(`${repo}/shared.txt`, `change ${i}\n`);
    await git(repo, "commit", "-qam", `change ${i}`);
    incremental.push(await taskMs(r, "a", n++));
  }
  const base = median(local);
  return {
    mb,
    local: base,
    cold,
    warm: median(warm),
    incremental: median(incremental),
    ratios: [cold / base, median(warm) / base, median(incremental) / base],
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      sizes: { type: "string", default: "1,100" },
      runs: { type: "string", default: "3" },
    },
  });
  const runs = Number(values.runs);
  console.log(
    "| repo MB | local ms | worker, first ms | worker, cached ms | worker, new commit ms | ratios |",
  );
  console.log(
    "| ------: | -------: | ---------------: | ----------------: | --------------------: | :----- |",
  );
  for (const mb of values.sizes!.split(",").map(Number)) {
    const m = await measure(mb, runs);
    const f = (ms: number) => Math.round(ms).toLocaleString("en");
    console.log(
      `| ${mb} | ${f(m.local)} | ${f(m.cold)} | ${f(m.warm)} | ${f(m.incremental)} | ` +
        `${m.ratios.map((x) => x.toFixed(2)).join(" / ")} |`,
    );
  }
}
