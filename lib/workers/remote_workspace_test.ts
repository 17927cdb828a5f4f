import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { git, makeRepo } from "../../tests/support/repo.ts";
import { WorktreeManager } from "../git/worktree.ts";
import {
  bringBack,
  getFile,
  pruneCache,
  putFile,
  removeRemoteWorkspace,
  SHIPPED_KEPT,
  shipWorkspace,
  type WorkspaceChannel,
  WRITE_CHUNK_BYTES,
} from "./remote_workspace.ts";

/**
 * A worker's second channel that runs on this machine, in a directory of its own (the real
 * exec-server is used by the end-to-end tests, tests/workers_test.ts). Records what was written.
 */
function localChannel(cwd: string): WorkspaceChannel & { written: Map<string, Uint8Array> } {
  const written = new Map<string, Uint8Array>();
  return {
    info: { executorVersion: "0.0.0", cwd, tempDir: null },
    written,
    async run(argv, options) {
      const out = await new Deno.Command(argv[0]!, {
        args: argv.slice(1),
        cwd: options.cwd,
        env: options.env,
        clearEnv: !options.inheritEnv,
        stdin: "null",
      }).output();
      return { exitCode: out.code, signal: out.signal, stdout: out.stdout, stderr: out.stderr };
    },
    createDirectory: (path) => Deno.mkdir(path, { recursive: true }),
    async writeFile(path, data) {
      written.set(path, data);
      await Deno.writeFile(path, data);
    },
    remove: (path, options) => Deno.remove(path, options),
  };
}

async function setup() {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "remote-ws-" }));
  const repo = await makeRepo(base);
  const worktrees = new WorktreeManager({ worktreeDir: `${base}/worktrees` });
  await Deno.mkdir(`${base}/worker`);
  const channel = localChannel(`${base}/worker`);
  return { base, repo, worktrees, channel };
}

/** What `git bundle verify` says a shipped bundle requires. */
async function prerequisites(repo: string, data: Uint8Array): Promise<string[]> {
  const file = await Deno.makeTempFile({ suffix: ".bundle" });
  await Deno.writeFile(file, data);
  const text = await new Deno.Command("git", { args: ["bundle", "verify", file], cwd: repo })
    .output();
  await Deno.remove(file);
  assertEquals(text.success, true);
  const said = new TextDecoder().decode(text.stdout) + new TextDecoder().decode(text.stderr);
  const requires = said.split(/requires/)[1] ?? "";
  return [...requires.matchAll(/^([0-9a-f]{40})/gm)].map((m) => m[1]!);
}

Deno.test("shipWorkspace makes the task's worktree on the worker at the same subdirectory, bringBack returns its work as the local branch", async () => {
  const { base, repo, worktrees, channel } = await setup();
  const info = await worktrees.create("t1", `${repo}/sub`);
  const remote = await shipWorkspace(channel, info);
  assertEquals(
    remote.cwd,
    `${base}/worker/.codex-swarm/worktrees/${remote.path.split("/").at(-2)}/t1/sub`,
  );
  assertEquals(await Deno.readTextFile(`${remote.cwd}/keep.txt`), "keep\n");
  // The task writes on the worker only.
  await Deno.writeTextFile(`${remote.cwd}/new.txt`, "from the worker\n");
  await Deno.writeTextFile(`${remote.path}/shared.txt`, "changed there\n");
  const head = await bringBack(channel, remote, info, "codex-swarm: task t1");
  assertEquals(await git(repo, "rev-parse", "codex-swarm/t1"), head);
  assertEquals(await git(repo, "show", "codex-swarm/t1:sub/new.txt"), "from the worker");
  assertEquals(await Deno.readTextFile(`${info.cwd}/new.txt`), "from the worker\n");
  assertEquals(await git(info.path, "status", "--porcelain"), "");
  // Nothing written since: bringing back again changes nothing.
  assertEquals(await bringBack(channel, remote, info, "again"), head);
  await removeRemoteWorkspace(channel, remote, info.branch);
  assertEquals(await Deno.stat(remote.path).then(() => true, () => false), false);
  await Deno.remove(base, { recursive: true });
});

Deno.test("shipWorkspace ships the whole history first, then only what the worker lacks, then nothing", async () => {
  const { base, repo, worktrees, channel } = await setup();
  const first = await shipWorkspace(channel, await worktrees.create("a", repo));
  const [full] = [...channel.written.values()];
  assertEquals(await prerequisites(repo, full!), []);
  // The same base again: the cache has it, nothing travels.
  await shipWorkspace(channel, await worktrees.create("b", repo));
  assertEquals(channel.written.size, 1);
  await Deno.writeTextFile(`${repo}/shared.txt`, "next\n");
  await git(repo, "commit", "-qam", "next");
  channel.written.clear();
  await shipWorkspace(channel, await worktrees.create("c", repo));
  const [incremental] = [...channel.written.values()];
  // Its prerequisite is the commit shipped before.
  assertEquals(await prerequisites(repo, incremental!), [first.startCommit]);
  await Deno.remove(base, { recursive: true });
});

Deno.test("bringBack refuses to move a local branch that moved on, naming the branch", async () => {
  const { base, repo, worktrees, channel } = await setup();
  const info = await worktrees.create("t2", repo);
  const remote = await shipWorkspace(channel, info);
  await Deno.writeTextFile(`${remote.path}/there.txt`, "x\n");
  await Deno.writeTextFile(`${info.path}/here.txt`, "y\n");
  await git(info.path, "add", "-A");
  await git(info.path, "commit", "-qm", "local");
  await assertRejects(
    () => bringBack(channel, remote, info, "m"),
    /Cannot bring back branch codex-swarm\/t2 from the worker as the local branch moved on/,
  );
  await Deno.remove(base, { recursive: true });
});

Deno.test("pruneCache keeps the newest shipped commits and drops the objects nothing holds", async () => {
  const { base, repo, worktrees, channel } = await setup();
  const shipped: string[] = [];
  const initial = await git(repo, "rev-parse", "HEAD");
  // Each on a side branch of its own: an old one is no ancestor of what stays.
  for (let i = 0; i <= SHIPPED_KEPT; i++) {
    await git(repo, "checkout", "-q", "-b", `side${i}`, initial);
    await Deno.writeTextFile(`${repo}/shared.txt`, `version ${i}\n`);
    // Committed a day apart: the cache keeps the newest by commit date.
    const date = `2026-01-${String(1 + i).padStart(2, "0")}T00:00:00`;
    const commit = await new Deno.Command("git", {
      args: ["commit", "-qam", `v${i}`],
      cwd: repo,
      env: { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date },
    }).output();
    assertEquals(commit.success, true);
    const info = await worktrees.create(`p${i}`, repo, `side${i}`);
    const remote = await shipWorkspace(channel, info);
    shipped.push(remote.startCommit);
    await removeRemoteWorkspace(channel, remote, info.branch);
  }
  const cache = (await shipWorkspace(channel, await worktrees.create("last", repo))).cache;
  await pruneCache(channel, cache);
  const refs = await git(
    cache,
    "for-each-ref",
    "--format=%(objectname)",
    "refs/codex-swarm/shipped/",
  );
  assertEquals(refs.split("\n").length, SHIPPED_KEPT);
  // The oldest went, with its commit; the newest stays.
  assertEquals(refs.includes(shipped[0]!), false);
  assertEquals(refs.includes(shipped.at(-1)!), true);
  await assertRejects(() => git(cache, "cat-file", "-e", `${shipped[0]}^{commit}`));
  await Deno.remove(base, { recursive: true });
});

Deno.test("putFile sends a large file in parts joined on the worker; getFile reads it whole", async () => {
  const { base, channel } = await setup();
  const data = new Uint8Array(2 * WRITE_CHUNK_BYTES + 5).map((_, i) => i % 251);
  const path = `${base}/worker/big.bin`;
  await putFile(channel, path, data);
  assertEquals(channel.written.size, 3);
  assertEquals(await Deno.readFile(path), data);
  assertEquals(await getFile(channel, path), data);
  // The parts went.
  assertEquals([...Deno.readDirSync(`${base}/worker`)].map((e) => e.name).sort(), ["big.bin"]);
  await Deno.remove(base, { recursive: true });
});
