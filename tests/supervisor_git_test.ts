/**
 * End-to-end: the supervisor runs git unsandboxed for every session, so git must run no program a
 * repository names. Two repositories inside the roots are full of traps (scripts that leave a
 * marker when run): one set up so by its owner (hooks in a committed `core.hooksPath` directory,
 * like husky's, and every program-naming key of `.git/config` with a committed `.gitattributes`),
 * the other by a task's own command (hooks in `.git/hooks`, `core.fsmonitor` and a filter in
 * `.git/config`, which a repository under a writable root such as /tmp lets it write, and a nested
 * repository with a filter of its own). Making, committing, diffing, merging and discarding
 * worktrees, and the sweep, run none of them.
 */

import assert from "node:assert/strict";
import { makeWorld, startServer, textOf } from "./support/harness.ts";
import { git, makeRepo } from "./support/repo.ts";
import { call, startTask, waitAll } from "./support/tool_calls.ts";
import { makeTraps, plantConfigTraps, TRAP_ATTRIBUTES, type Traps } from "./support/git_traps.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** How the command line of Codex's app-server ends (`codex app-server`). */
const CODEX_APP_SERVER = "codex app-server";

type View = {
  task_id: string;
  phase: string;
  failure: string | null;
  worktree: { path: string; branch: string; commit: string | null } | null;
};

/** A repository its owner filled with traps: committed hooks dir and attributes, config keys. */
async function ownerTrappedRepo(traps: Traps): Promise<string> {
  const repo = await makeRepo();
  await traps.hooks(`${repo}/.husky`, "husky");
  await Deno.writeTextFile(`${repo}/.gitattributes`, TRAP_ATTRIBUTES);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", "hooks and attributes");
  await git(repo, "config", "core.hooksPath", ".husky");
  await plantConfigTraps(repo, traps);
  return repo;
}

/**
 * The command of a task that plants traps where it can write: hooks into the main repository's
 * `.git/hooks`, `core.fsmonitor` and a filter into its `.git/config` (writable as the repository
 * lies under /tmp), a committed `.gitattributes`, and a nested repository (inside the worktree,
 * so writable) whose own config has a filter on its changed file.
 */
async function plantingCommand(repo: string, traps: Traps): Promise<string> {
  await traps.hooks(`${traps.bin}/hooks`, "task-hook");
  const config = `${repo}/.git/config`;
  const nested = "git init -q nested && echo n > nested/n.txt && git -C nested add n.txt" +
    " && git -C nested -c core.hooksPath=/dev/null commit -q -m n" +
    ` && git -C nested config filter.trap.clean ${await traps.script("nested-filter", "cat")}` +
    " && echo '* filter=trap' > nested/.gitattributes && echo m > nested/n.txt";
  return [
    `cp ${traps.bin}/hooks/* ${repo}/.git/hooks/`,
    `git config -f ${config} core.fsmonitor ${await traps.script("task-fsmonitor", "exit 1")}`,
    `git config -f ${config} filter.trap.clean ${await traps.script("task-filter", "cat")}`,
    `git config -f ${config} filter.trap.smudge ${await traps.script("task-smudge", "cat")}`,
    "printf '* filter=trap\\n' > .gitattributes",
    "echo planted >> shared.txt",
    nested,
  ].join(" && ");
}

Deno.test(
  "the supervisor's git runs no hook, fsmonitor, filter, driver, alias, pager or editor of a repository",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    const traps = await makeTraps(`${world.taskDir}/../traps`);
    const owned = await ownerTrappedRepo(traps);
    const plain = await makeRepo();
    const planting = await plantingCommand(plain, traps);
    await traps.reset();
    const first = await startServer(world);
    const { client } = first;
    const writer = (args: Record<string, unknown>) =>
      startTask(client, { sandbox: "workspace-write", worktree: true, ...args });

    const [ownedTask, plantTask] = await waitAll<View>(client, [
      await writer({ prompt: "edit RUN=echo more >> shared.txt && echo new > new.md", cwd: owned }),
      await writer({ prompt: `plant RUN=${planting}`, cwd: plain }),
    ]);

    await t.step("tasks commit their work in their worktrees", async () => {
      for (const task of [ownedTask!, plantTask!]) {
        assert.equal(task.phase, "completed", task.failure ?? "");
        assert.match(task.worktree!.commit ?? "", /^[0-9a-f]{40}$/);
      }
      // The task did plant its traps where the repository's own git would find them.
      assert.ok((await Deno.stat(`${plain}/.git/hooks/post-merge`)).isFile);
      assert.match(await git(plain, "config", "core.fsmonitor"), /task-fsmonitor$/);
    });

    await t.step("codex_diff and a merge into the main checkout", async () => {
      for (const [task, repo] of [[ownedTask!, owned], [plantTask!, plain]] as const) {
        const diff = await call(client, "codex_diff", { task_id: task.task_id });
        assert.equal(diff.isError, undefined, textOf(diff));
        assert.match(textOf(diff), /shared\.txt/);
        const merged = await call(client, "codex_worktree", {
          task_id: task.task_id,
          action: "merge",
        });
        assert.equal(merged.isError, undefined, textOf(merged));
        assert.match(await Deno.readTextFile(`${repo}/shared.txt`), /more|planted/);
      }
      assert.equal(await Deno.readTextFile(`${owned}/new.md`), "new\n");
    });

    await t.step("a discarded worktree", async () => {
      const ids = [
        await writer({ prompt: "drop RUN=echo drop > drop.txt", cwd: owned }),
        await writer({ prompt: "drop RUN=echo drop > drop.txt", cwd: plain }),
      ];
      for (const task of await waitAll<View>(client, ids)) {
        assert.equal(task.phase, "completed", task.failure ?? "");
        const result = await call(client, "codex_worktree", {
          task_id: task.task_id,
          action: "discard",
        });
        assert.equal(result.isError, undefined, textOf(result));
        await assert.rejects(Deno.stat(task.worktree!.path));
      }
    });

    await t.step("the sweep removes the merged worktrees", async () => {
      await first.stop();
      await world.stopSupervisor();
      await using second = await startServer(world, { args: ["--task-max-age", "1"] });
      for (const task of [ownedTask!, plantTask!]) {
        const gone = async () =>
          !(await Deno.stat(task.worktree!.path).then(() => true, () => false));
        for (let i = 0; i < 200 && !(await gone()); i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(await gone(), `the sweep kept ${task.worktree!.path}`);
      }
      await second.stop();
    });

    await t.step("no trap ran under the supervisor's git", async () => {
      const runs = await traps.runs();
      // Codex's app-server runs `git status` in a task's cwd at each turn (0.169: hooks and
      // fsmonitor off, filters on); that is Codex's, not the supervisor's (docs/security.md).
      const bySupervisor = runs.filter((run) => !run.by.includes(CODEX_APP_SERVER));
      const names = [...new Set(bySupervisor.map((run) => run.trap))];
      const who = [...new Set(bySupervisor.map((run) => run.by.slice(0, 100)))];
      assert.deepEqual(names, [], `${names.join(", ")} ran, under: ${who.join(" | ")}`);
    });
  },
);
