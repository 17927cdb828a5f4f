/**
 * What `copy_ignored` costs on a worker (issue 21): the same ignored files (a `node_modules` of
 * small files) copied into a worktree on this machine and into one on a worker (a real
 * `codex exec-server` on 127.0.0.1) through its second channel's `fs/writeFile`
 * (lib/workers/remote_copy.ts), and one `fs/writeFile` alone, one at a time and 32 at a time.
 *
 * Usage: `PATH="$PWD/.tools/node_modules/.bin:$PATH" deno run --allow-all bench/remote_copy_bench.ts [--files 1000] [--bytes 1024]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startExecServer } from "../tests/support/exec_server.ts";
import { ExecServerClient } from "../lib/workers/exec_server_client.ts";
import { copyIgnoredToWorker } from "../lib/workers/remote_copy.ts";
import { copyFiles } from "../lib/git/worktree_setup.ts";

/** Files per directory of the fake `node_modules`. */
const PER_DIR = 20;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "1000" },
    bytes: { type: "string", default: "1024" },
  },
});
const [count, size] = [Number(values.files), Number(values.bytes)];

const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "bench-remote-copy-" }));
try {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = `node_modules/p${Math.floor(i / PER_DIR)}`;
    await Deno.mkdir(`${base}/from/${dir}`, { recursive: true });
    await Deno.writeFile(`${base}/from/${dir}/f${i}.js`, new Uint8Array(size).fill(97));
    paths.push(`${dir}/f${i}.js`);
  }
  for (const dir of ["worker/wt", "local"]) await Deno.mkdir(`${base}/${dir}`, { recursive: true });
  await using server = await startExecServer({ cwd: `${base}/worker` });
  await using channel = await ExecServerClient.connect(server.url, { token: server.token });
  const time = async (what: string, fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    console.log(`${what}: ${(performance.now() - started).toFixed(0)} ms`);
  };
  const data = new Uint8Array(size);
  await time("50 fs/writeFile one at a time", async () => {
    for (let i = 0; i < 50; i++) await channel.writeFile(`${base}/worker/one-${i}`, data);
  });
  await time("50 fs/writeFile 32 at a time", async () => {
    const all = Array.from({ length: 50 }, (_, i) => i);
    for (let i = 0; i < 50; i += 32) {
      await Promise.all(
        all.slice(i, i + 32).map((k) => channel.writeFile(`${base}/worker/par-${k}`, data)),
      );
    }
  });
  await time(
    `copy_ignored of ${count} files of ${size} B, locally`,
    () => copyFiles(`${base}/from`, `${base}/local`, paths),
  );
  await time(
    `copy_ignored of ${count} files of ${size} B, to the worker`,
    () => copyIgnoredToWorker(channel, `${base}/from`, `${base}/worker/wt`, paths),
  );
} finally {
  await Deno.remove(base, { recursive: true });
}
