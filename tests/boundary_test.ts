/**
 * What runs outside a sandbox is the supervisor's (issue 18): a session's environment cannot
 * choose the `codex` the supervisor runs, nor its `CODEX_HOME` (whose config names programs Codex
 * runs on the host), nor `LD_PRELOAD`-like variables of the app-server. It reaches the commands
 * inside the sandbox only.
 */

import assert from "node:assert/strict";
import { makeWorld, startServer, textOf } from "./support/harness.ts";
import { call } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

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
