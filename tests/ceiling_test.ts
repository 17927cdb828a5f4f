/**
 * The operator's ceiling holds for every session (issue 18): the flags of the front-end that
 * started the supervisor, or the settings file, bound what a second client may ask; a session
 * narrows field by field, and what it asks beyond the ceiling is reported; its `-c` flags cannot
 * set what a call may not.
 */

import assert from "node:assert/strict";
import { type Harness, makeWorld, startServer, textOf, type World } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

async function warningsOf(h: Harness): Promise<string[]> {
  const resource = await h.client.readResource({ uri: "codex-swarm://server-info" });
  return JSON.parse((resource.contents[0] as { text: string }).text).warnings;
}

/** Calls `codex` and returns its text and whether it failed. */
async function codex(h: Harness, args: Record<string, unknown>) {
  const result = await call(h.client, "codex", args);
  return { error: result.isError === true, text: textOf(result) };
}

async function settingsFile(world: World, text: string): Promise<void> {
  const dir = `${world.env.HOME}/.config/codex-swarm`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/config.toml`, text);
}

Deno.test("the starting front-end's policy flags are every session's ceiling", e2e, async () => {
  await using world = await makeWorld();
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ceiling-root-" }));
  const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "ceiling-outside-" }));
  try {
    await using operator = await startServer(world, {
      args: [
        "--max-sandbox",
        "workspace-write",
        "--allow-root",
        root,
        "--allow-config",
        "sandbox_workspace_write.network_access",
      ],
      cwd: root,
    });
    // --allow-config works for the operator's own calls.
    const allowed = await codex(operator, {
      prompt: "with network",
      cwd: root,
      config: { sandbox_workspace_write: { network_access: true } },
    });
    assert.equal(allowed.error, false, allowed.text);
    assert.equal(allowed.text, "MOCK-DONE with network");
    // A second client, started without flags, is held to the same ceiling.
    await using other = await startServer(world, { cwd: root });
    const wider = await codex(other, { prompt: "x", cwd: root, sandbox: "danger-full-access" });
    assert.equal(wider.error, true);
    assert.match(wider.text, /sandbox "danger-full-access" as it is above .*"workspace-write"/);
    const away = await codex(other, { prompt: "x", cwd: outside });
    assert.equal(away.error, true);
    assert.match(away.text, new RegExp(`cwd "${outside}" as it is outside .*${root}`));
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test(
  "a session narrows field by field; what it asks beyond the ceiling is reported",
  e2e,
  async () => {
    await using world = await makeWorld();
    const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ceiling-root-" }));
    const sub = `${root}/sub`;
    await Deno.mkdir(sub);
    try {
      await using _operator = await startServer(world, {
        args: ["--max-sandbox", "workspace-write", "--allow-root", root],
        cwd: root,
      });
      await using narrow = await startServer(world, {
        args: ["--max-sandbox", "danger-full-access", "--allow-root", sub, "-c", 'notify=["true"]'],
        cwd: sub,
      });
      const warnings = await warningsOf(narrow);
      assert.ok(warnings.some((w) => /danger-full-access/.test(w)), JSON.stringify(warnings));
      assert.ok(warnings.some((w) => /-c notify is left out/.test(w)), JSON.stringify(warnings));
      assert.match(
        await Deno.readTextFile(world.logFile),
        /asks for more than the operator's policy/,
      );
      // Its narrower root holds although it asked for more sandbox than the ceiling.
      const up = await codex(narrow, { prompt: "x", cwd: root });
      assert.equal(up.error, true);
      assert.match(up.text, new RegExp(`outside .*${sub}`));
      const inside = await codex(narrow, { prompt: "in sub", cwd: sub });
      assert.equal(inside.text, "MOCK-DONE in sub");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
);

Deno.test(
  "the settings file is the ceiling, read again on change; a broken one refuses",
  e2e,
  async () => {
    await using world = await makeWorld();
    await settingsFile(world, '[policy]\nmax_sandbox = "read-only"\n');
    await using h = await startServer(world, { args: ["--max-sandbox", "danger-full-access"] });
    const refused = await codex(h, { prompt: "x", sandbox: "workspace-write" });
    assert.equal(refused.error, true);
    assert.match(refused.text, /above .*"read-only"/);
    await settingsFile(world, '[policy]\nmax_sandbox = "workspace-write"\n# raised\n');
    const raised = await codex(h, { prompt: "raised", sandbox: "workspace-write" });
    assert.equal(raised.text, "MOCK-DONE raised");
    await settingsFile(world, "[policy]\nmax_sandbox = 7\n");
    const broken = await codex(h, { prompt: "x" });
    assert.equal(broken.error, true);
    assert.match(broken.text, /config\.toml: policy\.max_sandbox is not text/);
    // A new session is refused, naming the file and the problem.
    await assert.rejects(() => startServer(world, {}));
    assert.match(
      await Deno.readTextFile(world.logFile),
      /operator's policy is unusable: Cannot use .*config\.toml: policy\.max_sandbox is not text/,
    );
  },
);

Deno.test("a reply or merge from a narrower session holds to its own ceiling", e2e, async () => {
  await using world = await makeWorld();
  const mine = await Deno.realPath(await Deno.makeTempDir({ prefix: "ceiling-mine-" }));
  const repo = await makeRepo();
  const marker = `${await Deno.realPath(
    await Deno.makeTempDir({ prefix: "ceiling-marker-" }),
  )}/made`;
  try {
    // The operator runs two tasks with full access: one in a worktree of `repo`, one in `mine`.
    await using operator = await startServer(world, { cwd: mine });
    const [inRepo, inMine] = [
      await startTask(operator.client, {
        prompt: "in a worktree",
        cwd: repo,
        worktree: true,
        sandbox: "danger-full-access",
      }),
      await startTask(operator.client, {
        prompt: "in mine",
        cwd: mine,
        sandbox: "danger-full-access",
      }),
    ];
    // And a group of attempts in `repo`.
    const group = (await call(operator.client, "codex_async", {
      prompt: "attempts",
      cwd: repo,
      worktree: true,
      attempts: 2,
    })).structuredContent as { group_id: string; task_ids: string[] };
    await waitAll(operator.client, group.task_ids);
    const views = await waitAll<{ thread_id: string; phase: string }>(operator.client, [
      inRepo,
      inMine,
    ]);
    assert.deepEqual(views.map((v) => v.phase), ["completed", "completed"]);
    // A session confined to read-only in `mine`.
    await using narrow = await startServer(world, {
      args: ["--max-sandbox", "read-only", "--allow-root", mine],
      cwd: mine,
    });
    const intoRepo = await call(narrow.client, "codex-reply", {
      threadId: views[0]!.thread_id,
      prompt: "again",
    });
    assert.equal(intoRepo.isError, true);
    assert.match(textOf(intoRepo), new RegExp(`"${repo}" as it is outside .*${mine}`));
    const merge = await call(narrow.client, "codex_worktree", { task_id: inRepo, action: "merge" });
    assert.equal(merge.isError, true);
    assert.match(
      textOf(merge),
      new RegExp(`repository of task "${inRepo}" "${repo}" as it is outside`),
    );
    // A group's discard too: every attempt keeps its branch.
    const discard = await call(narrow.client, "codex_worktree", {
      task_id: group.group_id,
      action: "discard",
    });
    assert.equal(discard.isError, true);
    assert.match(textOf(discard), /repository of task "[0-9a-f]{12}" ".*" as it is outside/);
    for (const id of group.task_ids) {
      assert.notEqual(await git(repo, "branch", "--list", `codex-swarm/${id}`), "");
    }
    // The thread in `mine` was made with full access: the reply runs read-only all the same.
    const reply = await call(narrow.client, "codex-reply", {
      threadId: views[1]!.thread_id,
      prompt: `RUN=touch ${marker}`,
    });
    assert.equal(reply.isError, undefined, textOf(reply));
    assert.equal(await Deno.stat(marker).then(() => true, () => false), false, "written outside");
  } finally {
    for (const dir of [mine, repo, marker.replace(/\/made$/, "")]) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
});
