/**
 * `deno run --allow-all bench/cold_start_bench.ts [runs]`: a front-end's cold start, from spawning
 * `codex-swarm` to its answer to `initialize`, while the supervisor already runs (the figure the
 * supervisor issue asks for: at most 150 ms). Prints the median, p90 and max in milliseconds.
 *
 * @module
 */

import { SERVER_PERMISSIONS } from "../lib/supervisor/permissions.ts";
import { initializeLine } from "../tests/support/harness.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Spawns a front-end, sends initialize, returns the ms until the answer; then closes stdin. */
export async function coldStartMs(env: Record<string, string>, args: string[] = []) {
  const begin = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...SERVER_PERMISSIONS, `${ROOT}main.ts`, ...args],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(initializeLine("bench"));
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the front-end exited before answering initialize");
    text += new TextDecoder().decode(value);
  }
  const ms = performance.now() - begin;
  if (!text.includes('"protocolVersion"')) throw new Error(`unexpected answer: ${text}`);
  await writer.close();
  reader.releaseLock();
  await child.stdout.cancel();
  await child.status;
  return ms;
}

/** The floor: ms for Deno to start `emptyModule` (an empty .ts file) and exit, measured the same way. */
export async function emptyDenoMs(emptyModule: string) {
  const begin = performance.now();
  await new Deno.Command(Deno.execPath(), { args: ["run", "--quiet", emptyModule] }).output();
  return performance.now() - begin;
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 20);
  const base = await Deno.makeTempDir({ prefix: "cold-start-" });
  const env = {
    ...Deno.env.toObject(),
    CODEX_SWARM_TASK_DIR: `${base}/tasks`,
    CODEX_SWARM_WORKTREE_DIR: `${base}/worktrees`,
    CODEX_SWARM_IDLE_EXIT: "30",
  };
  const first = await coldStartMs(env); // starts the supervisor
  // The floor: Deno starting an empty module, measured the same way, interleaved with the runs.
  const empty = await Deno.makeTempFile({ suffix: ".ts" });
  const times: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(await coldStartMs(env));
    bare.push(await emptyDenoMs(empty));
  }
  bare.sort((a, b) => a - b);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  console.log(
    `front-end cold start to the initialize answer, supervisor running (${runs} runs): ` +
      `median ${at(0.5).toFixed(0)} ms, p90 ${at(0.9).toFixed(0)} ms, max ${
        at(1).toFixed(0)
      } ms; first (starting the supervisor) ${first.toFixed(0)} ms; bare \`deno run\` of an ` +
      `empty module: median ${bare[Math.floor(bare.length / 2)]!.toFixed(0)} ms`,
  );
  await Deno.remove(empty);
  const info = JSON.parse(await Deno.readTextFile(`${base}/tasks/.supervisor/info.json`));
  Deno.kill(info.pid, "SIGTERM");
  await new Promise((r) => setTimeout(r, 500));
  await Deno.remove(base, { recursive: true }).catch(() => {});
}
