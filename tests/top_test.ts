/**
 * End-to-end: `codex-swarm top` against real tasks (the real Codex CLI and the fake Responses
 * API), started from another client as a user would: the live view in an 80x24 tmux pane driven
 * with keys, and the `--once` and `--json` snapshots.
 */

import assert from "node:assert/strict";
import { eventually, makeWorld, processesMatching, startServer } from "./support/harness.ts";
import { startTmux } from "./support/tmux.ts";
import { phaseOf, rowOf, startTask, topArgv, untilPane } from "./support/top.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../", import.meta.url).pathname;

async function runTop(env: Record<string, string>, ...args: string[]) {
  const [command, ...rest] = topArgv(...args);
  const out = await new Deno.Command(command!, {
    args: rest,
    env,
    clearEnv: true,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test(
  "top: rows appear and change phase; cancel from the keyboard kills the task",
  e2e,
  async (t) => {
    await using world = await makeWorld();
    await using h = await startServer(world);
    await using term = await startTmux({ argv: topArgv(), env: world.env, cwd: ROOT });

    await t.step("an empty swarm says so", async () => {
      const pane = await untilPane(
        term,
        "no empty list with the cap",
        (p) => p.includes("No tasks yet") && p.includes("slots 0/8"),
      );
      const lines = pane.split("\n");
      assert.equal(lines[0], "codex-swarm top · 0 tasks · slots 0/8 · queue 0 · filter all");
      assert.equal(lines[1], "no tasks");
      assert.match(lines[23]!, /^↑↓\/jk select · enter detail/, "the key help is not on line 24");
    });

    const quick = await startTask(h, { prompt: "quick one SLEEP=1500" });
    await t.step("a started task appears as a row, then completes", async () => {
      await untilPane(term, "the row never appeared", (p) => rowOf(p, quick) !== "");
      const done = await untilPane(
        term,
        "the row never showed completed",
        (p) => /completed/.test(rowOf(p, quick)),
      );
      assert.match(rowOf(done, quick), /MOCK-DONE quick one/);
      assert.match(done, /completed 1/);
      assert.equal(await phaseOf(h, quick), "completed");
    });

    const marker = "sleep 41.625";
    const victim = await startTask(h, {
      // YIELD: Codex waits for the command (a long one would become a background terminal).
      prompt: `cancel me from top YIELD=120000 RUN=${marker}`,
      sandbox: "danger-full-access",
    });
    await t.step("a running command shows in its row", async () => {
      assert.ok(
        await eventually(() => processesMatching(marker).length > 0),
        "the command never started",
      );
      const pane = await untilPane(
        term,
        "the row never showed the running command",
        (p) => /running .*(\$|Running:) sleep 41\.625/.test(rowOf(p, victim)),
      );
      assert.match(pane, /running 1 {2}completed 1/);
    });

    await t.step("enter opens the detail of the selected task, f filters by phase", async () => {
      await term.sendKeys("g");
      await untilPane(
        term,
        "the newest task was not selected",
        (p) => rowOf(p, victim).startsWith(">"),
      );
      await term.sendKeys("Enter");
      const detail = await untilPane(
        term,
        "no detail pane",
        // The detail's header shows at once, its content once the task's full view is read.
        (p) => p.includes(`Task ${victim} running`) && p.includes("Prompt\n"),
      );
      assert.match(detail, /Prompt\n {2}cancel me from top YIELD=120000 RUN=sleep 41\.625/);
      assert.match(detail, /Running\n {2}\$ sleep 41\.625 \(running\)/);
      await term.sendKeys("Escape");
      await untilPane(term, "escape did not close the detail", (p) => !p.includes("Prompt\n"));
      await term.sendKeys("f");
      const filtered = await untilPane(
        term,
        "no running filter",
        (p) => p.includes("filter running"),
      );
      assert.equal(rowOf(filtered, quick), "", "the completed task is still listed");
      assert.notEqual(rowOf(filtered, victim), "");
      await term.sendKeys("f", "f");
      await untilPane(term, "the filter did not come back to all", (p) => p.includes("filter all"));
    });

    await t.step("c asks first; any key but y keeps the task", async () => {
      // The filter moved the selection to the completed task: back to the newest.
      await term.sendKeys("g");
      await untilPane(
        term,
        "the newest task was not selected",
        (p) => rowOf(p, victim).startsWith(">"),
      );
      await term.sendKeys("c");
      await untilPane(
        term,
        "no confirmation",
        (p) => p.includes(`Cancel task ${victim}? y: cancel it`),
      );
      await term.sendKeys("n");
      await untilPane(term, "no kept message", (p) => p.includes(`Task ${victim} not cancelled`));
      assert.equal(await phaseOf(h, victim), "running");
    });

    await t.step("c then y cancels the task and kills its command", async () => {
      await term.sendKeys("c");
      await untilPane(term, "no confirmation", (p) => p.includes(`Cancel task ${victim}?`));
      await term.sendKeys("y");
      const pane = await untilPane(
        term,
        "the row never showed cancelled with codex_cancel's answer",
        (p) => /cancelled/.test(rowOf(p, victim)) && p.includes(`Task ${victim} cancelled`),
      );
      assert.match(pane, /completed 1 {2}cancelled 1/);
      assert.ok(
        await eventually(() => processesMatching(marker).length === 0),
        JSON.stringify(processesMatching(marker)),
      );
      assert.equal(await phaseOf(h, victim), "cancelled");
    });

    await t.step("a and d without a pending approval say so", async () => {
      await term.sendKeys("a");
      await untilPane(term, "no approval message", (p) => p.includes("has no pending approval"));
    });

    await t.step("q quits", async () => {
      await term.sendKeys("q");
      assert.ok(
        await eventually(async () => !(await term.alive()), 10_000),
        await term.capture(),
      );
    });
  },
);

Deno.test("top: colours unless NO_COLOR", e2e, async () => {
  await using world = await makeWorld();
  await using h = await startServer(world);
  const id = await startTask(h, { prompt: "colourful" });
  for (const noColor of [false, true]) {
    const env = noColor ? { ...world.env, NO_COLOR: "1" } : world.env;
    await using term = await startTmux({ argv: topArgv(), env, cwd: ROOT });
    await untilPane(term, "the row never appeared", (p) => /completed/.test(rowOf(p, id)));
    const styled = await term.capture({ escapes: true });
    // Foreground colours: SGR 30-37, 90-97 or 38;5;N.
    // deno-lint-ignore no-control-regex
    const colours = /\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;5;\d+)(?:;[0-9;]*)?m/;
    if (noColor) assert.doesNotMatch(styled, colours, "NO_COLOR set, yet colours were drawn");
    else assert.match(styled, colours, "no colours were drawn");
    await term.sendKeys("q");
  }
});

Deno.test("top --once and --json print one snapshot", e2e, async (t) => {
  await using world = await makeWorld();
  await using h = await startServer(world);
  const ok = await startTask(h, { prompt: "snapshot ok" });
  const bad = await startTask(h, { prompt: "snapshot FAIL" });
  assert.ok(
    await eventually(
      async () => (await phaseOf(h, ok)) === "completed" && (await phaseOf(h, bad)) === "failed",
      60_000,
    ),
  );

  await t.step("--once: plain text, a header and one row per task", async () => {
    const out = await runTop({ ...world.env, COLUMNS: "100" }, "--once");
    assert.equal(out.code, 0, out.stderr);
    assert.ok(!out.stdout.includes("\x1b["), "escape sequences in a plain-text snapshot");
    const lines = out.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^codex-swarm top · 2 tasks · slots 0\/8 · queue 0 · filter all$/);
    assert.equal(lines[1], "completed 1  failed 1");
    assert.match(lines[2]!, /^ {2}ID +PHASE +TIME TOKENS LAST STEP$/);
    assert.match(rowOf(out.stdout, ok), /completed .* MOCK-DONE snapshot ok/);
    assert.match(rowOf(out.stdout, bad), /failed .* failed: .*mock model refused/);
    assert.equal(lines.length, 5);
    assert.ok(lines.every((line) => line.length <= 100), out.stdout);
  });

  await t.step("--json: the counts, the cap and the task views", async () => {
    const out = await runTop(world.env, "--json");
    assert.equal(out.code, 0, out.stderr);
    const json = JSON.parse(out.stdout) as {
      cap: number;
      queued: number;
      counts: Record<string, number>;
      tasks: Array<{ task_id: string; phase: string; final_message: string | null }>;
    };
    assert.equal(json.cap, 8);
    assert.equal(json.queued, 0);
    assert.deepEqual(json.counts, { completed: 1, failed: 1 });
    assert.deepEqual(
      json.tasks.map((t) => [t.task_id, t.phase]).sort(),
      [[ok, "completed"], [bad, "failed"]].sort(),
    );
    assert.equal(json.tasks.find((t) => t.task_id === ok)?.final_message, "MOCK-DONE snapshot ok");
  });

  await t.step("bad arguments are named; the live view needs a terminal", async () => {
    const both = await runTop(world.env, "--once", "--json");
    assert.equal(both.code, 2);
    assert.match(both.stderr, /Cannot use --once with --json/);
    const badFlag = await runTop(world.env, "--once", "--max-parallel", "0");
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /Cannot parse --max-parallel "0"/);
    const live = await runTop(world.env);
    assert.equal(live.code, 2);
    assert.match(live.stderr, /needs a terminal/);
  });
});
