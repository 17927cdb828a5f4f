import assert from "node:assert/strict";
import { parseCli } from "./cli.ts";
import { HELLO_PROTOCOL } from "./hello.ts";
import { parseHello } from "./hello_check.ts";

function hello(): Record<string, unknown> {
  const parsed = parseCli([], { HOME: "/home/u" }, { os: "linux", cwd: "/w" });
  if (parsed.kind !== "run") throw new Error("unreachable");
  return JSON.parse(JSON.stringify({
    codex_swarm_hello: HELLO_PROTOCOL,
    version: "1.0.0",
    pid: 42,
    cwd: "/w",
    env: { PATH: "/bin" },
    config: parsed.config,
  }));
}

function refused(value: unknown, message: RegExp): void {
  assert.throws(() => parseHello(JSON.stringify(value)), message);
}

Deno.test("a front-end's own hello passes, as its JSON", () => {
  const ok = parseHello(JSON.stringify(hello()));
  assert.equal(ok.version, "1.0.0");
  assert.deepEqual(ok.config.policy.allowRoots, []);
});

Deno.test("a bad hello is a clear error naming the field", () => {
  assert.throws(() => parseHello("nope"), /Cannot read the hello: it is not JSON/);
  refused({ ...hello(), codex_swarm_hello: 1 }, /Cannot serve hello protocol 1: .* speaks 2/);
  refused(null, /Cannot read the hello: the hello is invalid: expected object/);
  refused({ ...hello(), codex_swarm_hello: undefined }, /codex_swarm_hello is invalid/);
  refused({ ...hello(), cwd: 3 }, /Cannot read the hello: cwd is invalid: expected string/);
  refused({ ...hello(), env: null }, /env is invalid: expected record/);
  refused({ ...hello(), env: { A: 1 } }, /env\.A is invalid: expected string/);
  refused({ ...hello(), pid: "1" }, /pid is invalid/);
  refused({ ...hello(), version: "9".repeat(65) }, /version .*64/);
  refused({ ...hello(), token: "x" }, /Cannot read the hello: token is not a field the supervisor/);
  const config = hello().config as Record<string, unknown>;
  refused({ ...hello(), config: { ...config, taskTimeoutS: 1e300 } }, /config\.taskTimeoutS/);
  refused({ ...hello(), config: { ...config, heartbeatMs: 0 } }, /config\.heartbeatMs/);
  refused({ ...hello(), config: { ...config, extra: 1 } }, /config\.extra is not a field/);
  refused(
    { ...hello(), config: { ...config, policy: { ...config.policy as object, maxSandbox: "x" } } },
    /config\.policy\.maxSandbox is invalid/,
  );
  refused({ ...hello(), config: { ...config, defaults: 5 } }, /config\.defaults is invalid/);
  refused({ ...hello(), cwd: "/".repeat(5000) }, /cwd .*4096/);
});

Deno.test("a hello may carry the front-end's worker flags, each field checked", () => {
  const config = hello().config as Record<string, unknown>;
  const workerFlags = {
    workers: [{ name: "box", url: "ssh://box" }],
    tokenFiles: [],
    noLocal: true,
  };
  const ok = parseHello(JSON.stringify({ ...hello(), config: { ...config, workerFlags } }));
  assert.deepEqual(ok.config.workerFlags, workerFlags);
  refused(
    { ...hello(), config: { ...config, workerFlags: { ...workerFlags, noLocal: "yes" } } },
    /config\.workerFlags\.noLocal is invalid/,
  );
});
