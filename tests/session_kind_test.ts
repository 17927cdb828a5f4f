/**
 * End-to-end: who opened a session. A client's is `client`; a session that a task's own command
 * opens by running codex-swarm's front-end (as an attacker in a task would) is `task`, with its
 * task, under `danger-full-access` (no sandbox) and under `workspace-write` with network (Codex's
 * sandbox, in a PID namespace of its own). Observed as the session sees it (`server-info`) and as
 * the supervisor logs it; with the platform's way of finding the peer (`/proc` on Linux), and with
 * lsof forced (`CODEX_SWARM_PEER_LOOKUP=lsof`, the macOS way).
 */

import assert from "node:assert/strict";
import { SERVER_PERMISSIONS } from "../lib/supervisor/permissions.ts";
import type { PeerLookup } from "../lib/supervisor/peer_lookup.ts";
import { lsofMissing } from "./support/loopback.ts";
import { makeWorld, startServer } from "./support/harness.ts";
import { startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../", import.meta.url).pathname;

/** The data of each `Session … opened` line of the log. */
async function sessionsOpened(logFile: string): Promise<Array<Record<string, unknown>>> {
  const lines = (await Deno.readTextFile(logFile)).split("\n");
  return lines.filter((line) => / Session s-\S+ opened /.test(line))
    .map((line) => JSON.parse(line.slice(line.indexOf("{"))));
}

/**
 * Runs the server (its supervisor finding peers `via` that way), checks that its own session is a
 * client's, then has a task under each sandbox run the project's front-end and checks that
 * session is a task's, with its task.
 */
async function checkSessionKinds(via: PeerLookup): Promise<void> {
  await using world = await makeWorld();
  await using h = await startServer(world, {
    args: ["--skip-git-repo-check", "-c", "sandbox_workspace_write.network_access=true"],
    env: via === "lsof" ? { CODEX_SWARM_PEER_LOOKUP: "lsof" } : {},
  });
  const read = await h.client.readResource({ uri: "codex-swarm://server-info" });
  const info = JSON.parse((read.contents[0] as { text: string }).text);
  assert.equal(info.session.kind, "client", JSON.stringify(info.session));
  assert.equal(info.session.task_id, null);

  // Each task runs the project's front-end with the world's environment: it says hello, the
  // supervisor answers, and stdin (/dev/null) ends it.
  const frontEnd = [Deno.execPath(), "run", "--quiet", ...SERVER_PERMISSIONS, `${ROOT}main.ts`]
    .join(" ");
  const sandboxes = ["danger-full-access", "workspace-write"] as const;
  const dirs = await Promise.all(
    sandboxes.map(async () => await Deno.realPath(await Deno.makeTempDir({ prefix: "kind-" }))),
  );
  const ids = await Promise.all(sandboxes.map((sandbox, i) =>
    startTask(h.client, {
      prompt: `front-end in ${sandbox} RUN=${frontEnd} </dev/null; echo "exit=$?"`,
      sandbox,
      cwd: dirs[i],
    })
  ));
  const views = await waitAll<{ phase: string; final_message: string }>(h.client, ids);
  for (const [i, view] of views.entries()) {
    assert.equal(view.phase, "completed", sandboxes[i]);
    assert.match(view.final_message, /exit=0/, `${sandboxes[i]}: ${view.final_message}`);
  }

  const opened = await sessionsOpened(world.logFile);
  const mine = opened.find((o) => o.cwd === ROOT.replace(/\/$/, ""));
  assert.equal(mine?.kind, "client", JSON.stringify(opened));
  // Every session was looked up the way asked for.
  for (const line of opened) assert.equal(line.peerLookup, via, JSON.stringify(line));
  for (const [i, sandbox] of sandboxes.entries()) {
    const line = opened.find((o) => o.cwd === dirs[i]);
    assert.ok(line, `${sandbox}: no session opened from ${dirs[i]}: ${JSON.stringify(opened)}`);
    assert.equal(line.kind, "task", `${sandbox}: ${JSON.stringify(line)}`);
    assert.equal(line.taskId, ids[i], `${sandbox}: ${JSON.stringify(line)}`);
    const peer = /^pid (\d+) descends from app-server \d+$/.exec(String(line.peer));
    assert.ok(peer, `${sandbox}: ${line.peer}`);
    // The supervisor finds the host's pid; in the sandbox's PID namespace the front-end has
    // another (it says its own in the hello).
    if (sandbox === "danger-full-access") assert.equal(line.frontEndPid, Number(peer[1]));
    else assert.notEqual(line.frontEndPid, Number(peer[1]), "a PID namespace of its own");
    console.log(`${via} ${sandbox}: ${line.peer}, peer lookup ${line.peerLookupMs} ms`);
  }
  console.log(`${via} client: ${mine.peer}, peer lookup ${mine.peerLookupMs} ms`);
  for (const dir of dirs) await Deno.remove(dir, { recursive: true });
}

Deno.test({
  name: "a client's session is client; a task's own front-end opens a task session, with its task",
  ignore: Deno.build.os !== "linux",
  ...e2e,
  fn: () => checkSessionKinds("proc"),
});

Deno.test({
  name: "the same with the peer found by lsof (CODEX_SWARM_PEER_LOOKUP=lsof, the macOS way)",
  ignore: Deno.build.os !== "linux",
  ...e2e,
  fn: async () => {
    const missing = await lsofMissing();
    if (missing !== null) {
      console.log(`Skipped: ${missing}`);
      return;
    }
    await checkSessionKinds("lsof");
  },
});
