import assert from "node:assert/strict";
import { Logger } from "../base/log.ts";
import { configuredWorkers } from "./worker_setup.ts";

Deno.test("configuredWorkers: the settings file's workers, then the flags'; a bad one is logged and left out", async () => {
  const dir = await Deno.makeTempDir({ prefix: "worker-setup-" });
  try {
    const lines: string[] = [];
    const log = new Logger({ level: "info", file: null, stderr: (line) => lines.push(line) });
    const env = { XDG_CONFIG_HOME: dir };
    assert.deepEqual(configuredWorkers({}, env, log), []);
    await Deno.mkdir(`${dir}/codex-swarm`);
    const file = `${dir}/codex-swarm/config.toml`;
    await Deno.writeTextFile(file, '[[workers]]\nname = "box"\nurl = "ssh://box"\n');
    const flags = {
      workerFlags: { workers: [{ name: "b2", url: "ssh://b2" }], tokenFiles: [], noLocal: false },
    };
    assert.deepEqual(configuredWorkers(flags, env, log).map((w) => w.name), ["box", "b2"]);
    await Deno.writeTextFile(file, '[[workers]]\nname = "box"\nurl = "ws://10.0.0.1:1"\n');
    assert.deepEqual(configuredWorkers(flags, env, log).map((w) => w.name), ["b2"]);
    assert.match(
      lines.at(-1)!,
      /ERROR Cannot use worker "box" of .*config\.toml: ws:\/\/10\.0\.0\.1:1 is not .*loopback.*: its workers are left out/,
    );
    const twice = {
      workerFlags: {
        ...flags.workerFlags,
        workers: [...flags.workerFlags.workers, { name: "b2", url: "ssh://x" }],
      },
    };
    assert.deepEqual(configuredWorkers(twice, env, log), []);
    assert.match(
      lines.at(-1)!,
      /a worker named "b2" is already configured: no worker of the settings file or flags is used/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
