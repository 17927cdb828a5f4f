import assert from "node:assert/strict";
import { settingsDocument } from "../supervisor/settings.ts";
import { throwsWith } from "../../tests/support/assert.ts";
import {
  DEFAULT_WORKER_MAX_PARALLEL,
  parseNameValue,
  parseWorkerUrl,
  type WorkerFlags,
  workersOfSettings,
  workerSpecs,
} from "./worker_config.ts";

const NO_FLAGS: WorkerFlags = { workers: [], tokenFiles: [], noLocal: false };

/** A settings file's `[[workers]]`, parsed as the supervisor does. */
function parseWorkerSettings(text: string, path: string) {
  return workersOfSettings(settingsDocument(text, path), path);
}

Deno.test("parseWorkerUrl takes loopback ws:// and ssh://[user@]host[:port]", () => {
  assert.deepEqual(parseWorkerUrl("ws://127.0.0.1:4501", "w"), {
    kind: "ws",
    url: "ws://127.0.0.1:4501",
    port: 4501,
  });
  assert.deepEqual(parseWorkerUrl("ws://localhost:4501/", "w").url, "ws://127.0.0.1:4501");
  assert.deepEqual(parseWorkerUrl("ssh://me@box.lan:2222", "w"), {
    kind: "ssh",
    url: "ssh://me@box.lan:2222",
    user: "me",
    host: "box.lan",
    port: 2222,
  });
  assert.deepEqual(parseWorkerUrl("ssh://box", "w"), {
    kind: "ssh",
    url: "ssh://box",
    user: null,
    host: "box",
    port: null,
  });
});

Deno.test("parseWorkerUrl refuses non-loopback ws://, other schemes and ssh option injection", () => {
  throwsWith(
    () => parseWorkerUrl("ws://10.0.0.5:4501", "--worker a"),
    "Cannot use --worker a: ws://10.0.0.5:4501 is not this machine's loopback",
  );
  throwsWith(() => parseWorkerUrl("ws://0.0.0.0:4501", "w"), "is not this machine's loopback");
  throwsWith(
    () => parseWorkerUrl("wss://box:443", "w"),
    "is neither ws://127.0.0.1:PORT nor ssh://",
  );
  throwsWith(() => parseWorkerUrl("ws://127.0.0.1", "w"), "has no port");
  throwsWith(() => parseWorkerUrl("ws://127.0.0.1:70000", "w"), "port of", "1 to 65535");
  throwsWith(() => parseWorkerUrl("ssh://-oProxyCommand=x", "w"), "is not a plain host name");
  throwsWith(() => parseWorkerUrl("ssh://-l@box", "w"), "is not a plain user name");
  throwsWith(() => parseWorkerUrl("ssh://box/path", "w"), "is neither");
});

Deno.test("parseNameValue splits NAME=VALUE and checks the name", () => {
  assert.deepEqual(parseNameValue("gpu-1=ssh://box", "--worker"), {
    name: "gpu-1",
    value: "ssh://box",
  });
  throwsWith(
    () => parseNameValue("gpu", "--worker"),
    'Cannot parse --worker "gpu": expected NAME=VALUE',
  );
  throwsWith(
    () => parseNameValue("local=ssh://box", "--worker"),
    'the name "local" is the supervisor',
  );
  throwsWith(() => parseNameValue("a b=ssh://box", "--worker"), 'the name "a b" is not letters');
});

Deno.test("parseWorkerSettings reads [[workers]] and names the file, worker and key", () => {
  const text = `
[policy]
max_sandbox = "read-only"

[[workers]]
name = "pod"
url = "ws://127.0.0.1:4501"
token_file = "/etc/pod.token"
max_parallel = 2

[[workers]]
name = "box"
url = "ssh://me@box"
codex_bin = "/opt/codex/bin/codex"
ssh_config = "/etc/codex-swarm/ssh.conf"
`;
  assert.deepEqual(parseWorkerSettings(text, "/c.toml"), [
    {
      name: "pod",
      address: { kind: "ws", url: "ws://127.0.0.1:4501", port: 4501 },
      tokenFile: "/etc/pod.token",
      cap: 2,
      codexBin: "codex",
      sshConfig: null,
    },
    {
      name: "box",
      address: { kind: "ssh", url: "ssh://me@box", user: "me", host: "box", port: null },
      tokenFile: null,
      cap: DEFAULT_WORKER_MAX_PARALLEL,
      codexBin: "/opt/codex/bin/codex",
      sshConfig: "/etc/codex-swarm/ssh.conf",
    },
  ]);
  assert.deepEqual(parseWorkerSettings("[policy]\n", "/c.toml"), []);
  throwsWith(
    () => parseWorkerSettings('[[workers]]\nname = "a"\nurl = "ssh://b"\nport = 1\n', "/c.toml"),
    "Cannot use /c.toml: workers[0].port: not a setting",
  );
  throwsWith(
    () => parseWorkerSettings('[[workers]]\nname = "a"\n', "/c.toml"),
    'Cannot use worker "a" of /c.toml: url is missing',
  );
  throwsWith(
    () =>
      parseWorkerSettings(
        '[[workers]]\nname = "a"\nurl = "ssh://b"\nmax_parallel = 0\n',
        "/c.toml",
      ),
    "max_parallel is not an integer >= 1",
  );
  throwsWith(
    () =>
      parseWorkerSettings(
        '[[workers]]\nname = "a"\nurl = "ws://127.0.0.1:1"\ntoken_file = "t"\n',
        "/c.toml",
      ),
    "token_file is not an absolute path",
  );
  throwsWith(
    () => parseWorkerSettings('[[workers]]\nname = "a"\nurl = "ssh://b"\nssh_config = "c"\n', "/c"),
    'Cannot use worker "a" of /c: ssh_config is not an absolute path',
  );
  throwsWith(() => parseWorkerSettings("workers = 1\n", "/c.toml"), "workers is not an array");
});

Deno.test("workerSpecs adds the flags' workers and token files, and checks each worker", () => {
  const fromFile = parseWorkerSettings(
    '[[workers]]\nname = "pod"\nurl = "ws://127.0.0.1:4501"\n',
    "/c",
  );
  const specs = workerSpecs(fromFile, {
    workers: [{ name: "box", url: "ssh://box" }],
    tokenFiles: [{ name: "pod", path: "/t/pod" }],
    noLocal: false,
  });
  assert.deepEqual(specs.map((s) => [s.name, s.address.kind, s.tokenFile]), [
    ["pod", "ws", "/t/pod"],
    ["box", "ssh", null],
  ]);
  throwsWith(
    () => workerSpecs(fromFile, NO_FLAGS),
    'Cannot use worker "pod" (ws://127.0.0.1:4501): it has no token file',
  );
  throwsWith(
    () =>
      workerSpecs([], {
        ...NO_FLAGS,
        workers: [{ name: "a", url: "ssh://box" }],
        tokenFiles: [{ name: "a", path: "/t" }],
      }),
    "an ssh:// worker takes no token file",
  );
  throwsWith(
    () => workerSpecs([], { ...NO_FLAGS, tokenFiles: [{ name: "x", path: "/t" }] }),
    'Cannot use --worker-token-file x=/t: no worker is named "x"',
  );
  throwsWith(
    () =>
      workerSpecs([], {
        ...NO_FLAGS,
        workers: [{ name: "a", url: "ssh://b" }, { name: "a", url: "ssh://c" }],
      }),
    'a worker named "a" is already configured',
  );
});
