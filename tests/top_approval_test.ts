/**
 * End-to-end: approvals answered from `codex-swarm top`'s keyboard. A task started by another
 * client with `approval-policy: untrusted` waits (phase `waiting_approval`, its `question` in the
 * task view); in an 80x24 tmux pane its detail shows the command, `a` accepts and the task
 * completes having run it, `d` declines and the task completes without running it.
 *
 * Needs the app-server engine's approvals (`codex_approve`, phase `waiting_approval`). Belongs in
 * tests/top_approval_test.ts.
 */

import assert from "node:assert/strict";
import { eventually, makeWorld, startServer } from "./support/harness.ts";
import { startTmux } from "./support/tmux.ts";
import { phaseOf, rowOf, startTask, topArgv, untilPane } from "./support/top.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../", import.meta.url).pathname;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test(
  "top: a accepts a pending approval and the task completes; d declines",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    await using h = await startServer(world);
    // The client of `h` has no elicitation: its tasks wait for codex_approve.
    const dir = await Deno.makeTempDir({ prefix: "codex-swarm-top-approval-" });
    await new Deno.Command("git", { args: ["init", "-q", dir], stdin: "null" }).output();
    await using term = await startTmux({ argv: topArgv(), env: world.env, cwd: ROOT });
    const ask = (file: string) =>
      startTask(h, {
        prompt: `approve from top RUN=touch ${dir}/${file}`,
        cwd: dir,
        "approval-policy": "untrusted",
        sandbox: "workspace-write",
        timeout_s: 120,
      });

    try {
      const accepted = await ask("accepted.txt");
      await t.step("the waiting task shows its command, in its row and in the detail", async () => {
        await untilPane(
          term,
          "the row never showed waiting_approval",
          (p) => /waiting_approval .*Approval\? \$ touch/.test(rowOf(p, accepted)),
          60_000,
        );
        // Typed together, as a quick hand does: "g" and Enter arrive in one read.
        await term.sendKeys("g", "Enter");
        const detail = await untilPane(
          term,
          "no approval in the detail",
          (p) => p.includes("Waiting for approval (command): a accept · d decline"),
        );
        assert.match(detail, new RegExp(`\\$ touch ${dir}/accepted\\.txt`));
        assert.match(detail, /waiting_approval 1/);
        assert.equal(await phaseOf(h, accepted), "waiting_approval");
        assert.equal(await exists(`${dir}/accepted.txt`), false, "ran before it was approved");
      });

      await t.step("a accepts: the command runs and the task completes", async () => {
        await term.sendKeys("a");
        const pane = await untilPane(
          term,
          "the row never showed completed",
          (p) => /completed/.test(rowOf(p, accepted)),
          60_000,
        );
        assert.match(pane, /Answered accept for task/);
        assert.equal(await phaseOf(h, accepted), "completed");
        assert.ok(await exists(`${dir}/accepted.txt`), "the accepted command did not run");
      });

      const declined = await ask("declined.txt");
      await t.step("d declines: the task goes on and completes without running it", async () => {
        await untilPane(
          term,
          "the second task never waited",
          (p) => /waiting_approval/.test(rowOf(p, declined)),
          60_000,
        );
        await term.sendKeys("g");
        await untilPane(
          term,
          "the task was not selected",
          (p) => rowOf(p, declined).startsWith(">"),
        );
        await term.sendKeys("d");
        await untilPane(
          term,
          "the row never showed completed",
          (p) => /completed/.test(rowOf(p, declined)),
          60_000,
        );
        assert.equal(await phaseOf(h, declined), "completed");
        assert.equal(await exists(`${dir}/declined.txt`), false, "the declined command ran");
      });

      await t.step("a on a task with nothing pending says so", async () => {
        await term.sendKeys("a");
        await untilPane(term, "no message", (p) => p.includes("has no pending approval"));
      });
    } finally {
      await term.sendKeys("q").catch(() => {});
      assert.ok(await eventually(async () => !(await term.alive()), 10_000));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "with --approvals human, top at a terminal answers; an agent, or a top without one, cannot",
  e2e,
  async () => {
    await using world = await makeWorld();
    await using h = await startServer(world, { args: ["--approvals", "human"] });
    const tools = async (client: typeof h) =>
      (await client.client.listTools()).tools.map((t) => t.name);
    // The agent's session has no codex_approve; nor has a front-end that says it is top but whose
    // parent (this test) reads no terminal.
    assert.ok(!(await tools(h)).includes("codex_approve"));
    await using fake = await startServer(world, {
      args: ["--approvals", "human"],
      env: { CODEX_SWARM_TOP: "1" },
    });
    assert.ok(!(await tools(fake)).includes("codex_approve"));
    const dir = await Deno.makeTempDir({ prefix: "codex-swarm-top-human-" });
    await new Deno.Command("git", { args: ["init", "-q", dir], stdin: "null" }).output();
    await using term = await startTmux({
      argv: topArgv("--approvals", "human"),
      env: world.env,
      cwd: ROOT,
    });
    try {
      const id = await startTask(h, {
        prompt: `approve by a person RUN=touch ${dir}/by-person.txt`,
        cwd: dir,
        "approval-policy": "untrusted",
        sandbox: "workspace-write",
        timeout_s: 120,
      });
      await untilPane(
        term,
        "the row never showed waiting_approval",
        (p) => /waiting_approval/.test(rowOf(p, id)),
        60_000,
      );
      await term.sendKeys("g");
      await untilPane(term, "the task was not selected", (p) => rowOf(p, id).startsWith(">"));
      await term.sendKeys("a");
      const pane = await untilPane(
        term,
        "the row never showed completed",
        (p) => /completed/.test(rowOf(p, id)),
        60_000,
      );
      assert.match(pane, /Answered accept for task/);
      assert.ok(await exists(`${dir}/by-person.txt`), "the accepted command did not run");
    } finally {
      await term.sendKeys("q").catch(() => {});
      assert.ok(await eventually(async () => !(await term.alive()), 10_000));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
