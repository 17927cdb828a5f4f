/**
 * Benchmark: the merge queue's own time per branch (`codex_merge`, from the call to the
 * `codex_wait` that collects its report) against a bare `git merge --no-ff` plus the same `check`
 * in a plain worktree, for N task branches that do not conflict. Real Codex 0.169 against the fake
 * Responses API of the tests makes the branches; the queue itself runs no model turn, so what is
 * measured is the queue: the integration worktree, one `git merge` and one sandboxed check
 * (`command/exec` of the app-server) per branch, the records written after each step, the diff
 * stat and removing the worktree.
 *
 * `--example` runs the three-branch example of docs/tools.md instead (two of the branches
 * conflict; the fake model resolves the conflict) and prints the call and the report.
 *
 * @example
 * ```sh
 * PATH="$PWD/.tools/node_modules/.bin:$PATH" deno run --allow-all bench/merge_bench.ts --n 6 --rounds 3
 * PATH="$PWD/.tools/node_modules/.bin:$PATH" deno run --allow-all bench/merge_bench.ts --example
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { makeWorld, startServer, textOf } from "../tests/support/harness.ts";
import { git, makeRepo } from "../tests/support/repo.ts";
import type { Client } from "../tests/support/sdk_client.ts";

const CALL = { timeout: 300_000 };
/** The check of both sides: its own cost is the same for both, so the difference is the queue's. */
const CHECK = "test -e shared.txt";

async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args }, undefined, CALL);
  if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
  return result.structuredContent as Record<string, unknown>;
}

/** Starts worktree tasks with these prompts and waits for them; returns their ids. */
async function branches(client: Client, repo: string, prompts: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const prompt of prompts) {
    const started = await callTool(client, "codex_async", {
      prompt,
      cwd: repo,
      worktree: true,
      sandbox: "workspace-write",
    });
    ids.push(started.task_id as string);
  }
  await callTool(client, "codex_wait", { task_ids: ids, timeout: 300 });
  return ids;
}

/** Runs a merge to its end; returns its wall time and its view. */
async function merge(client: Client, args: Record<string, unknown>) {
  const started = performance.now();
  const { task_id: id } = await callTool(client, "codex_merge", args);
  await callTool(client, "codex_wait", { task_ids: [id], timeout: 300 });
  const ms = performance.now() - started;
  const status = await callTool(client, "codex_status", { task_ids: [id] });
  return { ms, view: (status.tasks as Array<Record<string, unknown>>)[0]! };
}

/** The same merges by hand: `git merge --no-ff` and the check, one branch after the other. */
async function bare(repo: string, ids: string[]): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "merge-bench-bare-" });
  const path = `${dir}/wt`;
  await git(
    repo,
    "worktree",
    "add",
    "--quiet",
    "-b",
    `bench-bare-${crypto.randomUUID()}`,
    path,
    "main",
  );
  const started = performance.now();
  for (const id of ids) {
    await git(path, "merge", "--no-ff", "--no-edit", "--quiet", `codex-swarm/${id}`);
    const check = await new Deno.Command("sh", { args: ["-c", CHECK], cwd: path }).output();
    if (!check.success) throw new Error("the check failed");
  }
  const ms = performance.now() - started;
  await git(repo, "worktree", "remove", "--force", path);
  await Deno.remove(dir, { recursive: true });
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function example(): Promise<void> {
  await using world = await makeWorld();
  await using server = await startServer(world);
  const repo = await makeRepo();
  const ids = await branches(server.client, repo, [
    "Add the alpha notes PATCH=notes.txt VARIANTS=alpha",
    "Add the beta notes PATCH=notes.txt VARIANTS=beta RESOLVE=PATCH=notes.txt",
    "Add the gamma file PATCH=gamma.txt",
  ]);
  const args = { task_ids: ids, check: "test -e shared.txt", apply: true };
  const started = await callTool(server.client, "codex_merge", args);
  console.log(JSON.stringify({ call: args, answer: started }, null, 2));
  await callTool(server.client, "codex_wait", { task_ids: [started.task_id], timeout: 300 });
  const status = await callTool(server.client, "codex_status", { task_ids: [started.task_id] });
  console.log(JSON.stringify(status, null, 2));
  console.log(await git(repo, "log", "--oneline", "--graph", "main"));
}

async function bench(n: number, rounds: number): Promise<void> {
  const queue: number[] = [];
  const byHand: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await using world = await makeWorld();
    await using server = await startServer(world);
    const repo = await makeRepo();
    const ids = await branches(
      server.client,
      repo,
      Array.from({ length: n }, (_, i) => `branch ${i} PATCH=file${i}.txt`),
    );
    const { ms, view } = await merge(server.client, { task_ids: ids, check: CHECK });
    if (view.phase !== "completed") throw new Error(`the merge ended ${JSON.stringify(view)}`);
    queue.push(ms / n);
    byHand.push(await bare(repo, ids) / n);
    console.error(`round ${round + 1}: queue ${(ms / n).toFixed(0)} ms/branch`);
  }
  const q = median(queue);
  const b = median(byHand);
  console.log(`| N = ${n}, median of ${rounds} | per branch |`);
  console.log("| --- | ---: |");
  console.log(`| \`codex_merge\` (call to report) | ${q.toFixed(0)} ms |`);
  console.log(`| bare \`git merge --no-ff\` + check | ${b.toFixed(0)} ms |`);
  console.log(`| the queue's own time | ${(q - b).toFixed(0)} ms |`);
}

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "6" },
    rounds: { type: "string", default: "3" },
    example: { type: "boolean", default: false },
  },
});
if (values.example) await example();
else await bench(Number(values.n), Number(values.rounds));
