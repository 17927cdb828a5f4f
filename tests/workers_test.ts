/**
 * The supervisor's workers (issue 21), end to end: `[[workers]]` of the settings file and the
 * `--worker` flags of the front-end that starts the supervisor are connected, and
 * `codex-swarm://server-info` shows each with its state, version and last error, never a token.
 * A later client's other workers change nothing (it is warned).
 */

import assert from "node:assert/strict";
import { eventually, type Harness, makeWorld, startServer } from "./support/harness.ts";
import { startExecServer } from "./support/exec_server.ts";
import { codexUnderTest } from "./support/codex_versions.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

interface ServerInfo {
  workers: Array<
    {
      name: string;
      kind: string;
      url: string | null;
      state: string;
      version: string | null;
      lastError: string | null;
      cap: number;
    }
  >;
  warnings: string[];
}

async function serverInfo(h: Harness): Promise<{ info: ServerInfo; text: string }> {
  const resource = await h.client.readResource({ uri: "codex-swarm://server-info" });
  const text = (resource.contents[0] as { text: string }).text;
  return { info: JSON.parse(text), text };
}

Deno.test(
  "configured workers are connected and shown in server-info without their tokens",
  e2e,
  async () => {
    await using world = await makeWorld();
    await using a = await startExecServer({ env: { WORKER_MARKER: "a" } });
    await using b = await startExecServer({ env: { WORKER_MARKER: "b" } });
    const wrongToken = `${world.env.HOME}/wrong.token`;
    await Deno.writeTextFile(wrongToken, "not-the-token");
    const dir = `${world.env.HOME}/.config/codex-swarm`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/config.toml`,
      [
        "[[workers]]",
        'name = "a"',
        `url = "${a.url}"`,
        `token_file = "${a.tokenFile}"`,
        "max_parallel = 3",
        "",
        "[[workers]]",
        'name = "wrong"',
        `url = "${a.url}"`,
        `token_file = "${wrongToken}"`,
        "",
      ].join("\n"),
    );
    await using operator = await startServer(world, {
      args: [
        "--max-parallel",
        "2",
        "--worker",
        `b=${b.url}`,
        "--worker-token-file",
        `b=${b.tokenFile}`,
      ],
    });
    let info: ServerInfo | null = null;
    let text = "";
    const settled = await eventually(async () => {
      ({ info, text } = await serverInfo(operator));
      return info!.workers.every((w) => w.state !== "connecting");
    });
    assert.ok(settled, text);
    const workers = info!.workers;
    assert.deepEqual(workers.map((w) => [w.name, w.kind, w.state, w.cap]), [
      ["local", "local", "ready", 2],
      ["a", "ws", "ready", 3],
      ["wrong", "ws", "down", 4],
      ["b", "ws", "ready", 4],
    ]);
    assert.equal(workers[1]!.version, codexUnderTest().version);
    assert.equal(workers[1]!.url, a.url);
    assert.match(workers[2]!.lastError ?? "", /refused the token \(HTTP 401/);
    // No token in server-info, the log or any process's argv.
    const ps = await new Deno.Command("ps", { args: ["-eo", "args"] }).output();
    const log = await Deno.readTextFile(world.logFile);
    assert.match(log, /Worker "a" is ready/);
    for (const token of [a.token, b.token]) {
      assert.ok(!text.includes(token), "server-info shows a token");
      assert.ok(!log.includes(token), "the log shows a token");
      assert.ok(
        !new TextDecoder().decode(ps.stdout).includes(token),
        "a process's argv shows a token",
      );
    }

    // A later client cannot add workers: it is told, and the supervisor's stay.
    await using other = await startServer(world, { args: ["--worker", "c=ssh://elsewhere"] });
    const seen = await serverInfo(other);
    assert.deepEqual(seen.info.workers.map((w) => w.name), ["local", "a", "wrong", "b"]);
    assert.ok(seen.info.warnings.some((w) => /a session cannot add workers/.test(w)), seen.text);
  },
);
