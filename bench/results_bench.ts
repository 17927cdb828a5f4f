/**
 * Benchmark: how many characters of `structuredContent` (what a calling model sees, as JSON) the
 * server gives per task, for `codex_status` on N running tasks and `codex_wait` on N finished
 * ones, at N = 1, 8 and 32. Real Codex against the fake Responses API of the tests; each task
 * answers one line (`MOCK-DONE <prompt>`).
 *
 * `--ref <git ref>` also measures that version of the server (e.g. `main` before the compact
 * views), taken with `git archive` into a temporary directory: the table then has a before and an
 * after column. Prints a markdown table on stdout, progress on stderr.
 *
 * @example
 * ```sh
 * deno task bench:results --ref 151e948   # before (that commit) and after (this checkout)
 * deno task bench:results --n 8           # only N = 8, this checkout only
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { makeWorld, startServer, textOf } from "../tests/support/harness.ts";
import type { Client } from "../tests/support/sdk_client.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DEFAULT_NS = [1, 8, 32];
const CALL = { timeout: 300_000 };

/** Characters per task for one server version and one N. */
interface Sample {
  n: number;
  status_per_task: number;
  wait_per_task: number;
}

async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args }, undefined, CALL);
  if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
  return result;
}

/** Runs N tasks on a fresh server from `entry` and measures both tools. */
async function measure(entry: string, n: number): Promise<Sample> {
  await using world = await makeWorld();
  await using server = await startServer(world, {
    entry,
    args: ["--max-parallel", String(n), "--skip-git-repo-check"],
  });
  const { client } = server;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const started = await callTool(client, "codex_async", {
      prompt: `bench task ${i} SLEEP=6000`,
    });
    ids.push((started.structuredContent as { task_id: string }).task_id);
  }
  // Status once every task is running (or after 60 s, whatever they are doing then).
  let status = await callTool(client, "codex_status", { task_ids: ids });
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const tasks = (status.structuredContent as { tasks: Array<{ phase: string }> }).tasks;
    if (tasks.every((t) => t.phase === "running")) break;
    await new Promise((r) => setTimeout(r, 100));
    status = await callTool(client, "codex_status", { task_ids: ids });
  }
  const waited = await callTool(client, "codex_wait", { task_ids: ids, timeout: 300 });
  const done = (waited.structuredContent as { done: number }).done;
  if (done !== n) throw new Error(`only ${done} of ${n} tasks finished`);
  const chars = (r: unknown) =>
    JSON.stringify((r as { structuredContent?: unknown }).structuredContent).length;
  return {
    n,
    status_per_task: Math.round(chars(status) / n),
    wait_per_task: Math.round(chars(waited) / n),
  };
}

/** Extracts `ref` of this repository into a temporary directory; returns its main.ts. */
async function checkout(ref: string): Promise<{ entry: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "codex-swarm-ref-" });
  const archive = await new Deno.Command("git", {
    args: ["archive", "--format=tar", ref],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  if (!archive.success) throw new Error(`Cannot archive git ref "${ref}"`);
  const tar = new Deno.Command("tar", { args: ["-x", "-C", dir], stdin: "piped" }).spawn();
  const writer = tar.stdin.getWriter();
  await writer.write(archive.stdout);
  await writer.close();
  if (!(await tar.status).success) throw new Error(`Cannot extract git ref "${ref}"`);
  return { entry: `${dir}/main.ts`, dir };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { n: { type: "string", multiple: true }, ref: { type: "string" } },
  });
  const ns = values.n?.flatMap((v) => v.split(",")).map(Number) ?? DEFAULT_NS;
  const versions: Array<{ name: string; entry: string; dir?: string }> = [];
  if (values.ref) {
    const { entry, dir } = await checkout(values.ref);
    versions.push({ name: `before (${values.ref})`, entry, dir });
  }
  versions.push({ name: "after", entry: `${ROOT}main.ts` });
  const rows = new Map<number, Sample[]>();
  for (const n of ns) {
    for (const version of versions) {
      console.error(`N = ${n}, ${version.name}...`);
      const sample = await measure(version.entry, n);
      rows.set(n, [...(rows.get(n) ?? []), sample]);
    }
  }
  for (const version of versions) {
    if (version.dir) await Deno.remove(version.dir, { recursive: true });
  }
  const head = versions.flatMap((v) => [`codex_status ${v.name}`, `codex_wait ${v.name}`]);
  console.log(`| N | ${head.join(" | ")} |`);
  console.log(`|---|${head.map(() => "---:").join("|")}|`);
  for (const [n, samples] of rows) {
    const cells = samples.flatMap((s) => [s.status_per_task, s.wait_per_task]);
    console.log(`| ${n} | ${cells.join(" | ")} |`);
  }
}
