/**
 * What runs outside a sandbox is the supervisor's (issue 18): a session's environment cannot
 * choose the `codex` the supervisor runs, nor its `CODEX_HOME` (whose config names programs Codex
 * runs on the host), nor `LD_PRELOAD`-like variables of the app-server. It reaches the commands
 * inside the sandbox only.
 */

import assert from "node:assert/strict";
import { SERVER_PERMISSIONS } from "../lib/supervisor/permissions.ts";
import { eventually, type Harness, makeWorld, startServer, textOf } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/**
 * The server's flags for an attack from a task: the task's sandbox lets its command reach the
 * supervisor's socket, as a task's own front-end would.
 */
const ATTACKED_SERVER_ARGS = [
  "--skip-git-repo-check",
  "-c",
  "sandbox_workspace_write.network_access=true",
];

/** A line the attacker wrote: a call's tool or method, whether it failed, and its text. */
type AttackResult = { name: string; isError: boolean; text: string };

/**
 * Runs the attacker (`tests/support/attacker.ts`) with `plan` as the command of a workspace-write
 * task in `cwd`, as a task's own process would; the task completes, and each call's result is read
 * back from `out`.
 */
async function attackFromTask(
  h: Harness,
  cwd: string,
  out: string,
  plan: string,
): Promise<AttackResult[]> {
  const root = new URL("../", import.meta.url).pathname;
  const attacker = await startTask(h.client, {
    prompt: `RUN=${Deno.execPath()} run -A ${root}tests/support/attacker.ts ${out} '${plan}'`,
    sandbox: "workspace-write",
    cwd,
  });
  const [ran] = await waitAll<{ phase: string; final_message: string }>(h.client, [attacker]);
  assert.equal(ran!.phase, "completed", ran!.final_message);
  return (await Deno.readTextFile(out)).trim().split("\n").map((line) =>
    JSON.parse(line) as AttackResult
  );
}

Deno.test("a session's PATH and CODEX_HOME do not choose what runs on the host", e2e, async () => {
  await using world = await makeWorld();
  const evil = await Deno.realPath(await Deno.makeTempDir({ prefix: "boundary-evil-" }));
  const marker = `${evil}/ran-on-the-host`;
  try {
    // A `codex` planted first on the session's PATH, and a CODEX_HOME whose notify runs a program.
    await Deno.writeTextFile(`${evil}/codex`, `#!/bin/sh\ntouch ${marker}.codex\nexit 1\n`, {
      mode: 0o755,
    });
    await Deno.mkdir(`${evil}/home`);
    await Deno.writeTextFile(
      `${evil}/home/config.toml`,
      `notify = ["sh", "-c", "touch ${marker}.notify"]\n` +
        (await Deno.readTextFile(`${world.codexHome}/config.toml`)),
    );
    await using _operator = await startServer(world);
    await using attacker = await startServer(world, {
      env: {
        PATH: `${evil}:${world.env.PATH}`,
        CODEX_HOME: `${evil}/home`,
        LD_PRELOAD: `${evil}/nothing.so`,
        OPENAI_API_KEY: "attacker-key",
        ATTACKER_MARK: "inside",
      },
    });
    const result = await call(attacker.client, "codex", {
      prompt: 'RUN=echo "mark=$ATTACKER_MARK path=$PATH"',
    });
    assert.equal(result.isError, undefined, textOf(result));
    // Its environment reached the command inside the sandbox...
    assert.match(textOf(result), /mark=inside path=.*boundary-evil-/);
    // ...but not what runs outside it: the real Codex ran, with the supervisor's CODEX_HOME.
    for (const what of ["codex", "notify"]) {
      assert.equal(
        await Deno.stat(`${marker}.${what}`).then(() => true, () => false),
        false,
        `the session's ${what} ran on the host`,
      );
    }
    const info = JSON.parse(
      ((await attacker.client.readResource({ uri: "codex-swarm://server-info" })).contents[0] as {
        text: string;
      }).text,
    ) as { supervisor: { codex: Array<{ codex_home: string }> } };
    assert.ok(info.supervisor.codex.length > 0);
    for (const server of info.supervisor.codex) assert.equal(server.codex_home, world.codexHome);
  } finally {
    await Deno.remove(evil, { recursive: true });
  }
});

Deno.test({
  name:
    "a task's own command cannot approve, discard, cancel, merge or widen through the supervisor",
  // macOS tells task sessions apart too, but only /proc gives their task (session_kind.ts).
  ignore: Deno.build.os !== "linux",
  ...e2e,
  fn: async () => {
    await using world = await makeWorld();
    const markers = await outsideWritableRoots();
    const attackDir = await Deno.realPath(await Deno.makeTempDir({ prefix: "attack-" }));
    const repo = await makeRepo();
    try {
      await using h = await startServer(world, {
        args: ATTACKED_SERVER_ARGS,
      });
      // The victims: a task waiting for approval of an escalation, and a finished worktree task.
      const escalating = await startTask(h.client, {
        prompt: `ESCALATE=touch ${markers}/approved`,
        "approval-policy": "on-request",
        sandbox: "read-only",
        cwd: attackDir,
      });
      const finished = await startTask(h.client, { prompt: "work", cwd: repo, worktree: true });
      // And a group of attempts (best of N), whose discard drops every attempt's branch.
      const group = (await call(h.client, "codex_async", {
        prompt: "work",
        cwd: repo,
        worktree: true,
        attempts: 2,
      })).structuredContent as { group_id: string; task_ids: string[] };
      await waitAll(h.client, [finished, ...group.task_ids]);
      assert.ok(
        await eventually(async () => (await view(h, escalating)).phase === "waiting_approval"),
      );
      // The attacker: a workspace-write task with network whose command runs the front-end.
      const calls = [
        { name: "codex_approve", arguments: { task_id: escalating, decision: "accept" } },
        { name: "codex_worktree", arguments: { task_id: finished, action: "discard" } },
        { name: "codex_cancel", arguments: { task_id: escalating } },
        // A merge may fast-forward the user's branch and, with cleanup, discard worktrees.
        {
          name: "codex_merge",
          arguments: { task_ids: [finished], check: "true", apply: true, cleanup: true },
        },
        {
          name: "codex",
          arguments: {
            prompt: `RUN=touch ${markers}/wider`,
            sandbox: "danger-full-access",
            cwd: attackDir,
          },
        },
        { name: "codex", arguments: { prompt: `RUN=touch ${markers}/inner`, cwd: attackDir } },
        { name: "codex", arguments: { prompt: "elsewhere", cwd: repo } },
        {
          name: "codex",
          arguments: { prompt: "ask me", "approval-policy": "on-request", cwd: attackDir },
        },
        // The MCP Tasks cancel is a cancel too.
        { name: "tasks/cancel", arguments: { taskId: escalating } },
        { name: "codex_worktree", arguments: { task_id: group.group_id, action: "discard" } },
      ];
      // Its front-end brings a planted `codex` and `git` first on PATH, and a CODEX_HOME whose
      // config starts an MCP server: none of them may run on the host.
      const planted = `#!/bin/sh\ntouch ${markers}/planted-$(basename "$0")\nexit 1\n`;
      for (const name of ["codex", "git"]) {
        await Deno.writeTextFile(`${attackDir}/${name}`, planted, { mode: 0o755 });
      }
      await Deno.mkdir(`${attackDir}/home`);
      await Deno.writeTextFile(
        `${attackDir}/home/config.toml`,
        `[mcp_servers.evil]\ncommand = "sh"\nargs = ["-c", "touch ${markers}/mcp"]\n` +
          (await Deno.readTextFile(`${world.codexHome}/config.toml`)),
      );
      const plan = JSON.stringify({
        args: ["-c", 'sandbox_mode="danger-full-access"'],
        env: { PATH: `${attackDir}:${world.env.PATH}`, CODEX_HOME: `${attackDir}/home` },
        calls,
      });
      const results = await attackFromTask(h, attackDir, `${attackDir}/out.jsonl`, plan);
      assert.equal(results.length, calls.length, JSON.stringify(results));
      const [
        approve,
        discard,
        cancel,
        merge,
        wider,
        inner,
        elsewhere,
        ask,
        mcpCancel,
        groupDiscard,
      ] = results;
      assert.ok(approve!.isError && /which a task's own process opened/.test(approve!.text));
      assert.ok(discard!.isError && /which a task's own process opened/.test(discard!.text));
      assert.ok(cancel!.isError || /Cannot cancel/.test(cancel!.text), cancel!.text);
      assert.ok(
        merge!.isError && /Cannot merge task .*which a task's own process opened/.test(
          merge!.text,
        ),
        merge!.text,
      );
      assert.ok(wider!.isError && /above .*"workspace-write"/.test(wider!.text), wider!.text);
      assert.equal(inner!.isError, false, inner!.text);
      assert.ok(elsewhere!.isError && /outside/.test(elsewhere!.text), elsewhere!.text);
      assert.ok(ask!.isError && /ask no approvals/.test(ask!.text), ask!.text);
      assert.ok(
        mcpCancel!.isError && /which a task's own process opened/.test(mcpCancel!.text),
        mcpCancel!.text,
      );
      assert.ok(
        groupDiscard!.isError && /which a task's own process opened/.test(groupDiscard!.text),
        groupDiscard!.text,
      );
      // Nothing was written outside; the victims are as they were.
      assert.deepEqual([...Deno.readDirSync(markers)].map((e) => e.name), []);
      assert.equal((await view(h, escalating)).phase, "waiting_approval");
      for (const id of [finished, ...group.task_ids]) {
        assert.notEqual(await git(repo, "branch", "--list", `codex-swarm/${id}`), "");
      }
      assert.equal(await git(repo, "branch", "--list", "codex-swarm-merge/*"), "");
      await call(h.client, "codex_cancel", { task_id: escalating });
    } finally {
      for (const dir of [markers, attackDir, repo]) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  },
});

Deno.test({
  name: "a task's own merge runs its check no wider than the task",
  ignore: Deno.build.os !== "linux",
  ...e2e,
  fn: async () => {
    await using world = await makeWorld();
    const markers = await outsideWritableRoots();
    const repo = await makeRepo();
    try {
      await using h = await startServer(world, {
        args: ATTACKED_SERVER_ARGS,
      });
      // The attacker, a workspace-write task in the repository, starts a task there (its own, so
      // it may merge it), then merges it with a check that asks for no sandbox at all.
      const calls = [
        { name: "codex", arguments: { prompt: "work", cwd: repo, worktree: true } },
        {
          name: "codex_merge",
          arguments: {
            task_ids: ["$0.taskId"],
            check: `touch ${markers}/merge-check`,
            sandbox: "danger-full-access",
          },
        },
        { name: "codex_wait", arguments: { task_ids: ["$1.task_id"] } },
      ];
      const results = await attackFromTask(
        h,
        repo,
        `${repo}/.out.jsonl`,
        JSON.stringify({ args: [], calls }),
      );
      assert.equal(results.length, calls.length, JSON.stringify(results));
      const [child, merge] = results;
      assert.equal(child!.isError, false, child!.text);
      // Nothing ran outside the sandbox; the merge was refused, naming the task's sandbox.
      assert.deepEqual([...Deno.readDirSync(markers)].map((e) => e.name), []);
      assert.ok(
        merge!.isError && /above .*"workspace-write"/.test(merge!.text),
        JSON.stringify(results),
      );
    } finally {
      for (const dir of [markers, repo]) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  },
});

Deno.test({
  name: "a task's own command cannot continue another's task in its worktree",
  ignore: Deno.build.os !== "linux",
  ...e2e,
  fn: async () => {
    await using world = await makeWorld();
    const repo = await makeRepo();
    try {
      await using h = await startServer(world, {
        args: ATTACKED_SERVER_ARGS,
      });
      // The victim: a client's finished worktree task, whose branch the user may merge.
      const victim = await startTask(h.client, {
        prompt: "work",
        cwd: repo,
        worktree: true,
        sandbox: "workspace-write",
      });
      const [done] = await waitAll<{ thread_id: string }>(h.client, [victim]);
      const branch = `codex-swarm/${victim}`;
      const before = await git(repo, "rev-parse", branch);
      // The attacker runs in the same repository: a reply or a fork of the victim's thread would
      // write in the victim's worktree and commit to its branch.
      const calls = [
        { name: "codex-reply", arguments: { threadId: done!.thread_id, prompt: "PATCH=evil" } },
        { name: "codex_fork", arguments: { thread_id: done!.thread_id, prompts: ["PATCH=evil"] } },
      ];
      // (The model's PATCH= written as JSON's \u003d, so the attacker's own prompt runs.)
      const plan = JSON.stringify({ args: [], calls }).replaceAll("PATCH=", "PATCH\\u003d");
      const results = await attackFromTask(h, repo, `${repo}/.out.jsonl`, plan);
      assert.equal(results.length, calls.length, JSON.stringify(results));
      // Whatever the attacker started has ended; the victim's branch is as it was.
      const all = (await call(h.client, "codex_list", {})).structuredContent as {
        tasks: Array<{ task_id: string }>;
      };
      await waitAll(h.client, all.tasks.map((t) => t.task_id));
      assert.equal(await git(repo, "rev-parse", branch), before, JSON.stringify(results));
      const [reply, fork] = results;
      for (const result of [reply!, fork!]) {
        assert.ok(
          result.isError && /which a task's own process opened/.test(result.text),
          JSON.stringify(results),
        );
      }
    } finally {
      await Deno.remove(repo, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "a task's own command cannot ask approvals through an operator's profile",
  ignore: Deno.build.os !== "linux",
  ...e2e,
  fn: async () => {
    await using world = await makeWorld();
    const markers = await outsideWritableRoots();
    const attackDir = await Deno.realPath(await Deno.makeTempDir({ prefix: "attack-" }));
    try {
      // A profile the operator wrote, for tasks that ask before they leave the sandbox.
      await Deno.writeTextFile(
        `${world.codexHome}/asks.config.toml`,
        'approval_policy = "on-request"\n',
      );
      await using h = await startServer(world, {
        args: ATTACKED_SERVER_ARGS,
      });
      // The attacker starts a task with that profile, then approves its escalation itself.
      const calls = [
        {
          name: "codex_async",
          arguments: { prompt: `ESCALATE=touch ${markers}/escalated`, profile: "asks" },
        },
        { name: "codex_wait", arguments: { task_ids: ["$0.task_id"], timeout: 30 } },
        { name: "codex_approve", arguments: { task_id: "$0.task_id", decision: "accept" } },
        { name: "codex_wait", arguments: { task_ids: ["$0.task_id"], timeout: 30 } },
      ];
      const plan = JSON.stringify({ args: [], calls }).replaceAll("ESCALATE=", "ESCALATE\\u003d");
      const results = await attackFromTask(h, attackDir, `${attackDir}/out.jsonl`, plan);
      assert.equal(results.length, calls.length, JSON.stringify(results));
      assert.deepEqual([...Deno.readDirSync(markers)].map((e) => e.name), []);
      assert.ok(
        results[0]!.isError && /ask no approvals/.test(results[0]!.text),
        JSON.stringify(results),
      );
    } finally {
      for (const dir of [markers, attackDir]) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  },
});

Deno.test({
  name: "a task's own command cannot widen its roots through an operator's profile",
  ignore: Deno.build.os !== "linux",
  ...e2e,
  fn: async () => {
    await using world = await makeWorld();
    const markers = await outsideWritableRoots();
    const attackDir = await Deno.realPath(await Deno.makeTempDir({ prefix: "attack-" }));
    try {
      // A profile the operator wrote for tasks that also write one more directory.
      await Deno.writeTextFile(
        `${world.codexHome}/wide.config.toml`,
        `[sandbox_workspace_write]\nwritable_roots = ["${markers}"]\n`,
      );
      await using h = await startServer(world, {
        args: ATTACKED_SERVER_ARGS,
      });
      const calls = [{
        name: "codex",
        arguments: {
          prompt: `RUN=touch ${markers}/wide`,
          profile: "wide",
          sandbox: "workspace-write",
          cwd: attackDir,
        },
      }];
      const plan = JSON.stringify({ args: [], calls }).replaceAll("RUN=", "RUN\\u003d");
      const results = await attackFromTask(h, attackDir, `${attackDir}/out.jsonl`, plan);
      assert.deepEqual(
        [...Deno.readDirSync(markers)].map((e) => e.name),
        [],
        JSON.stringify(results),
      );
      assert.ok(
        results[0]!.isError && /Cannot use profile "wide"/.test(results[0]!.text),
        JSON.stringify(results),
      );
    } finally {
      for (const dir of [markers, attackDir]) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  },
});

async function view(h: Harness, id: string) {
  const result = await call(h.client, "codex_status", { task_ids: [id], detail: "full" });
  return (result.structuredContent as { tasks: Array<{ phase: string }> }).tasks[0]!;
}

Deno.test({
  name: "a task's own front-end, however new, does not make the supervisor retire",
  ignore: Deno.build.os !== "linux",
  ...e2e,
  fn: async () => {
    await using world = await makeWorld();
    await using h = await startServer(world, {
      args: ATTACKED_SERVER_ARGS,
    });
    const before = world.supervisorInfo()!.pid;
    const root = new URL("../", import.meta.url).pathname;
    const frontEnd = [Deno.execPath(), "run", "--quiet", ...SERVER_PERMISSIONS, `${root}main.ts`]
      .join(" ");
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "retire-" }));
    try {
      const id = await startTask(h.client, {
        prompt: `RUN=CODEX_SWARM_PRETEND_VERSION=99.0.0 ${frontEnd} </dev/null; echo "exit=$?"`,
        sandbox: "workspace-write",
        cwd: dir,
      });
      const [done] = await waitAll<{ phase: string; final_message: string }>(h.client, [id]);
      assert.equal(done!.phase, "completed", done!.final_message);
      assert.ok(
        await eventually(async () =>
          /codex-swarm 99\.0\.0 is newer .*does not replace the supervisor/.test(
            await Deno.readTextFile(world.logFile),
          )
        ),
      );
      // Idle now: a supervisor told to retire once idle would be gone within a second or two.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(world.supervisorInfo()?.pid, before);
      assert.doesNotMatch(await Deno.readTextFile(world.logFile), /retires for codex-swarm 99/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * A new directory outside every root a `workspace-write` sandbox may write (its cwd, `/tmp`,
 * `$TMPDIR`): under the real HOME, or the checkout when HOME lies under one of those.
 */
async function outsideWritableRoots(): Promise<string> {
  const writable = ["/tmp", Deno.env.get("TMPDIR") ?? "/tmp"].map((d) => d.replace(/\/$/, ""));
  const candidates = [Deno.env.get("HOME"), new URL("../.tools", import.meta.url).pathname];
  const base = candidates.find((dir) =>
    dir !== undefined && !writable.some((w) => dir === w || dir.startsWith(`${w}/`))
  );
  assert.ok(base, `no directory outside ${writable.join(", ")} to put markers in`);
  const dir = `${base}/.codex-swarm-test-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(dir, { recursive: true });
  return await Deno.realPath(dir);
}
