/**
 * Benchmark: what the Codex toolbox costs in wall time, as ratios against a baseline from the same
 * run. Real Codex against the fake Responses API of the tests, one supervisor, `--max-parallel 8`:
 *
 * - reviews: three `codex_review`s of three branches (`branch` + `target.base`) started at once
 *   and collected with one `codex_wait`, against one review alone;
 * - attempts: `attempts: 4` with a `check`, against one worktree task with the same check;
 * - check: a worktree task with `check: "true"` against the same task without it (ms added);
 * - set-up: a worktree task with `setup: "true"` against the same task without it (ms added).
 *
 * Each figure is the median of `--rounds` rounds (default 3). Prints a JSON summary on stdout and
 * progress on stderr.
 *
 * @example
 * ```sh
 * deno task bench:toolbox
 * deno task bench:toolbox -- --rounds 5
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { makeWorld, startServer, textOf } from "../tests/support/harness.ts";
import { git, makeRepo } from "../tests/support/repo.ts";
import type { Client } from "../tests/support/sdk_client.ts";

const CALL = { timeout: 300_000 };

async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args }, undefined, CALL);
  if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
  return result.structuredContent as Record<string, unknown>;
}

/** Starts tasks with `start`, waits for all of them; the wall time in ms. */
async function timed(client: Client, start: () => Promise<string[]>): Promise<number> {
  const t0 = performance.now();
  const ids = await start();
  const done = await callTool(client, "codex_wait", { task_ids: ids, timeout: 300 });
  const tasks = done.tasks as Array<{ phase: string; failure?: string }>;
  const failed = tasks.filter((t) => t.phase !== "completed");
  if (failed.length > 0) throw new Error(`not completed: ${JSON.stringify(failed)}`);
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const progress = (line: string) => console.error(`[toolbox] ${line}`);

async function main() {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" } } });
  const rounds = Number(values.rounds);
  await using world = await makeWorld();
  await using server = await startServer(world, { args: ["--max-parallel", "8"] });
  const { client } = server;
  const repo = await makeRepo();
  for (const name of ["feat-a", "feat-b", "feat-c"]) {
    await git(repo, "checkout", "-q", "-b", name, "main");
    await Deno.writeTextFile(`${repo}/${name}.ts`, `export const x = 1; // REVIEW: P2 ${name}\n`);
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", name);
  }
  await git(repo, "checkout", "-q", "main");

  const review = (branch: string) => async () => [
    (await callTool(client, "codex_review", { cwd: repo, branch, target: { base: "main" } }))
      .task_id as string,
  ];
  const task = (extra: Record<string, unknown>) => async () => [
    (await callTool(client, "codex_async", {
      prompt: "bench PATCH=result.txt",
      cwd: repo,
      worktree: true,
      ...extra,
    })).task_id as string,
  ];
  const samples: Record<string, number[]> = {
    review_1: [],
    review_3: [],
    task_check: [],
    attempts_4_check: [],
    task: [],
    task_check_true: [],
    task_setup_true: [],
  };
  for (let r = 0; r < rounds; r++) {
    samples.review_1!.push(await timed(client, review("feat-a")));
    samples.review_3!.push(
      await timed(client, async () => {
        const started = await Promise.all(["feat-a", "feat-b", "feat-c"].map((b) => review(b)()));
        return started.flat();
      }),
    );
    const check = "grep -q MOCK result.txt";
    samples.task_check!.push(await timed(client, task({ check })));
    samples.attempts_4_check!.push(
      await timed(client, async () => {
        const group = await callTool(client, "codex_async", {
          prompt: "bench VARIANTS=a|b|c|d PATCH=result.txt",
          cwd: repo,
          worktree: true,
          attempts: 4,
          check,
        });
        return group.task_ids as string[];
      }),
    );
    samples.task!.push(await timed(client, task({})));
    samples.task_check_true!.push(await timed(client, task({ check: "true" })));
    samples.task_setup_true!.push(await timed(client, task({ setup: "true" })));
    progress(`round ${r + 1}: ${
      JSON.stringify(Object.fromEntries(
        Object.entries(samples).map(([k, v]) => [k, Math.round(v.at(-1)!)]),
      ))
    }`);
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const summary = {
    rounds,
    median_ms: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v)])),
    three_reviews_vs_one: round1(m.review_3! / m.review_1!),
    four_attempts_vs_one: round1(m.attempts_4_check! / m.task_check!),
    check_adds_ms: Math.round(m.task_check_true! - m.task!),
    setup_adds_ms: Math.round(m.task_setup_true! - m.task!),
  };
  console.log(JSON.stringify(summary, null, 2));
  await Deno.remove(repo, { recursive: true }).catch(() => {});
}

if (import.meta.main) await main();
