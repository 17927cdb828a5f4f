import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { type CliResult, helpText, parseCli, type Platform, VERSION } from "./cli.ts";
import {
  DEFAULT_IDLE_EXIT_S,
  DEFAULT_MAX_PARALLEL,
  DEFAULT_TASK_MAX_AGE_S,
  DEFAULT_TASK_TIMEOUT_S,
  type ServerConfig,
} from "../mcp/server_config.ts";
import { throwsWith } from "../../tests/support/assert.ts";
import { Policy } from "../codex/policy.ts";

const LINUX: Platform = { os: "linux", cwd: "/cwd" };
const WINDOWS: Platform = { os: "windows", cwd: "C:\\cwd" };
const HOME = { HOME: "/home/u" };

function run(
  args: string[],
  env: Record<string, string | undefined> = HOME,
  platform: Platform = LINUX,
): ServerConfig {
  const result: CliResult = parseCli(args, env, platform);
  assert.equal(result.kind, "run");
  if (result.kind !== "run") throw new Error("unreachable");
  return result.config;
}

Deno.test("with no flags every setting has its default", () => {
  assert.deepEqual(run([]), {
    codexBin: "codex",
    defaults: { overrides: [], skipGitRepoCheck: false, ephemeral: false },
    maxParallel: DEFAULT_MAX_PARALLEL,
    taskTimeoutS: DEFAULT_TASK_TIMEOUT_S,
    taskDir: "/home/u/.local/state/codex-swarm/tasks",
    worktreeDir: "/home/u/.local/state/codex-swarm/worktrees",
    taskMaxAgeS: DEFAULT_TASK_MAX_AGE_S,
    idleExitS: DEFAULT_IDLE_EXIT_S,
    approvals: "client",
    logFile: "/home/u/.local/state/codex-swarm/server.log",
    logLevel: "info",
    maxResultChars: 20_000,
    replyAlias: false,
    heartbeatMs: 10_000,
    policy: new Policy(),
  });
  assert.deepEqual([DEFAULT_MAX_PARALLEL, DEFAULT_TASK_TIMEOUT_S, DEFAULT_TASK_MAX_AGE_S], [
    8,
    3600,
    86400,
  ]);
});

Deno.test("every flag is read", () => {
  const config = run([
    "-c",
    'model="o3"',
    "--config",
    "sandbox_workspace_write.network_access=true",
    "--config=shell_environment_policy.inherit=all",
    "-cmodel_reasoning_effort=high",
    "--skip-git-repo-check",
    "--ephemeral",
    "--worktree-setup",
    "npm ci && npm run build",
    "--codex-bin",
    "/opt/codex/bin/codex",
    "--max-parallel",
    "3",
    "--task-timeout=0",
    "--task-dir",
    "/data/tasks",
    "--worktree-dir",
    "/data/wt",
    "--task-max-age",
    "60",
    "--idle-exit",
    "5",
    "--approvals",
    "human",
    "--log-file",
    "/var/log/swarm.log",
    "--log-level",
    "debug",
    "--max-result-chars",
    "5000",
    "--reply-alias",
    "--allow-config",
    "mcp_servers",
    "--allow-config=notify",
    "--max-sandbox",
    "read-only",
    "--allow-root",
    "/nonexistent/src",
    "--allow-root=rel",
    "--pass-env",
    "LICENSE_KEY",
  ], {});
  assert.deepEqual(config, {
    codexBin: "/opt/codex/bin/codex",
    defaults: {
      overrides: [
        { key: "model", value: '"o3"' },
        { key: "sandbox_workspace_write.network_access", value: "true" },
        { key: "shell_environment_policy.inherit", value: "all" },
        { key: "model_reasoning_effort", value: "high" },
      ],
      skipGitRepoCheck: true,
      ephemeral: true,
      worktreeSetup: "npm ci && npm run build",
    },
    maxParallel: 3,
    taskTimeoutS: 0,
    taskDir: "/data/tasks",
    worktreeDir: "/data/wt",
    taskMaxAgeS: 60,
    idleExitS: 5,
    approvals: "human",
    logFile: "/var/log/swarm.log",
    logLevel: "debug",
    maxResultChars: 5000,
    replyAlias: true,
    heartbeatMs: 10_000,
    policy: new Policy({
      allowConfig: ["mcp_servers", "notify"],
      maxSandbox: "read-only",
      allowRoots: ["/nonexistent/src", "/cwd/rel"],
      passEnv: ["LICENSE_KEY"],
    }),
  });
});

Deno.test("the sandbox ceiling defaults to the server's own -c sandbox_mode", () => {
  assert.equal(run(["-c", 'sandbox_mode="workspace-write"']).policy.maxSandbox, "workspace-write");
  assert.equal(
    run(["-c", "sandbox_mode=read-only", "--max-sandbox", "danger-full-access"]).policy.maxSandbox,
    "danger-full-access",
  );
  assert.equal(run([]).policy.maxSandbox, null);
});

Deno.test("bad policy flags are errors naming the flag", () => {
  throwsWith(() => run(["--max-sandbox", "full"]), "--max-sandbox", '"full"');
  throwsWith(() => run(["-c", "sandbox_mode=open"]), "-c sandbox_mode", '"open"');
  throwsWith(() => run(["--allow-config", "a..b"]), "--allow-config", '"a..b"');
  throwsWith(() => run(["--pass-env", "A=B"]), "--pass-env", '"A=B"');
  throwsWith(() => run(["--allow-root", ""]), "--allow-root", "empty");
});

Deno.test("--max-result-chars has a floor; the heartbeat comes from a hidden variable", () => {
  assert.throws(
    () => run(["--max-result-chars", "100"]),
    /--max-result-chars "100": expected an integer from 2000/,
  );
  assert.equal(run([], { ...HOME, CODEX_SWARM_MAX_RESULT_CHARS: "3000" }).maxResultChars, 3000);
  assert.equal(run([], { ...HOME, CODEX_SWARM_HEARTBEAT_MS: "200" }).heartbeatMs, 200);
});

Deno.test("every environment variable is read", () => {
  const config = run([], {
    CODEX_SWARM_CODEX_BIN: "codex-nightly",
    CODEX_SWARM_MAX_PARALLEL: "2",
    CODEX_SWARM_TASK_TIMEOUT: "90",
    CODEX_SWARM_TASK_DIR: "/e/tasks",
    CODEX_SWARM_WORKTREE_DIR: "/e/wt",
    CODEX_SWARM_TASK_MAX_AGE: "120",
    CODEX_SWARM_LOG: "/e/log.txt",
    CODEX_SWARM_LOG_LEVEL: "WARNING",
  });
  assert.equal(config.codexBin, "codex-nightly");
  assert.equal(config.maxParallel, 2);
  assert.equal(config.taskTimeoutS, 90);
  assert.equal(config.taskDir, "/e/tasks");
  assert.equal(config.worktreeDir, "/e/wt");
  assert.equal(config.taskMaxAgeS, 120);
  assert.equal(config.logFile, "/e/log.txt");
  assert.equal(config.logLevel, "warning");
});

Deno.test("flags win over environment variables", () => {
  const env = {
    ...HOME,
    CODEX_SWARM_CODEX_BIN: "env-codex",
    CODEX_SWARM_MAX_PARALLEL: "2",
    CODEX_SWARM_TASK_TIMEOUT: "90",
    CODEX_SWARM_TASK_DIR: "/e/tasks",
    CODEX_SWARM_WORKTREE_DIR: "/e/wt",
    CODEX_SWARM_TASK_MAX_AGE: "120",
    CODEX_SWARM_LOG: "/e/log.txt",
    CODEX_SWARM_LOG_LEVEL: "error",
  };
  const config = run([
    "--codex-bin=flag-codex",
    "--max-parallel=5",
    "--task-timeout=6",
    "--task-dir=/f/tasks",
    "--worktree-dir=/f/wt",
    "--task-max-age=7",
    "--log-file=/f/log",
    "--log-level=debug",
  ], env);
  assert.deepEqual(
    [
      config.codexBin,
      config.maxParallel,
      config.taskTimeoutS,
      config.taskDir,
      config.worktreeDir,
      config.taskMaxAgeS,
      config.logFile,
      config.logLevel,
    ],
    ["flag-codex", 5, 6, "/f/tasks", "/f/wt", 7, "/f/log", "debug"],
  );
});

Deno.test("an empty environment variable counts as unset", () => {
  const config = run([], {
    ...HOME,
    CODEX_SWARM_CODEX_BIN: "",
    CODEX_SWARM_MAX_PARALLEL: "",
    CODEX_SWARM_TASK_DIR: "",
    CODEX_SWARM_LOG: "",
    CODEX_SWARM_LOG_LEVEL: "",
    XDG_STATE_HOME: "",
  });
  assert.equal(config.codexBin, "codex");
  assert.equal(config.maxParallel, 8);
  assert.equal(config.taskDir, "/home/u/.local/state/codex-swarm/tasks");
  assert.equal(config.logFile, "/home/u/.local/state/codex-swarm/server.log");
  assert.equal(config.logLevel, "info");
});

Deno.test("the log file can be turned off", () => {
  assert.equal(run(["--log-file", "none"], HOME).logFile, null);
  assert.equal(run([], { ...HOME, CODEX_SWARM_LOG: "off" }).logFile, null);
});

Deno.test("directories default under XDG_STATE_HOME when it is absolute", () => {
  const config = run([], { ...HOME, XDG_STATE_HOME: "/xdg/state" });
  assert.equal(config.taskDir, "/xdg/state/codex-swarm/tasks");
  assert.equal(config.worktreeDir, "/xdg/state/codex-swarm/worktrees");
  // A relative XDG_STATE_HOME is invalid per the XDG spec and ignored.
  assert.equal(
    run([], { ...HOME, XDG_STATE_HOME: "rel" }).taskDir,
    "/home/u/.local/state/codex-swarm/tasks",
  );
});

Deno.test("an explicit task dir does not move the default worktree dir, and back", () => {
  const a = run(["--task-dir=/t"]);
  assert.deepEqual([a.taskDir, a.worktreeDir], [
    "/t",
    "/home/u/.local/state/codex-swarm/worktrees",
  ]);
  const b = run(["--worktree-dir=/w"]);
  assert.deepEqual([b.taskDir, b.worktreeDir], ["/home/u/.local/state/codex-swarm/tasks", "/w"]);
});

Deno.test("both directories given need no HOME", () => {
  const config = run(["--task-dir=/t", "--worktree-dir=/w"], {});
  assert.deepEqual([config.taskDir, config.worktreeDir], ["/t", "/w"]);
});

Deno.test("without HOME or XDG_STATE_HOME the default directories are an error", () => {
  throwsWith(() => run([], {}), "Cannot choose a task directory", "HOME");
  throwsWith(() => run(["--task-dir=/t"], { HOME: "relative" }), "Cannot choose a task directory");
});

Deno.test("on Windows directories default under LOCALAPPDATA, else USERPROFILE", () => {
  const a = run([], { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local", HOME: "/ignored" }, WINDOWS);
  assert.equal(a.taskDir, "C:\\Users\\u\\AppData\\Local\\codex-swarm\\tasks");
  assert.equal(a.worktreeDir, "C:\\Users\\u\\AppData\\Local\\codex-swarm\\worktrees");
  const b = run([], { USERPROFILE: "C:\\Users\\v" }, WINDOWS);
  assert.equal(b.taskDir, "C:\\Users\\v\\AppData\\Local\\codex-swarm\\tasks");
  throwsWith(() => run([], { HOME: "/h" }, WINDOWS), "LOCALAPPDATA");
});

Deno.test("relative paths are resolved against the current directory", () => {
  const config = run([
    "--task-dir=state/tasks",
    "--worktree-dir",
    "../wt",
    "--log-file=log.txt",
    "--codex-bin=./bin/codex",
  ]);
  assert.equal(config.taskDir, "/cwd/state/tasks");
  assert.equal(config.worktreeDir, "/wt");
  assert.equal(config.logFile, "/cwd/log.txt");
  assert.equal(config.codexBin, "/cwd/bin/codex");
  assert.equal(
    run(["--codex-bin=codex-beta"]).codexBin,
    "codex-beta",
    "a bare name stays for PATH",
  );
  const win = run(["--task-dir=tasks", "--worktree-dir=wt"], {}, { os: "windows", cwd: "D:\\srv" });
  assert.equal(win.taskDir, "D:\\srv\\tasks");
  assert.equal(win.worktreeDir, "D:\\srv\\wt");
});

Deno.test("--help and --version win once the arguments parse", () => {
  for (const args of [["--help"], ["-h"], ["--max-parallel=zero", "--help"], ["-V", "-h"]]) {
    const result = parseCli(args, {}, LINUX);
    assert.equal(result.kind, "help", JSON.stringify(args));
  }
  for (const args of [["--version"], ["-V"], ["--task-timeout=x", "-V"]]) {
    assert.deepEqual(parseCli(args, {}, LINUX), {
      kind: "version",
      text: `codex-swarm ${denoJson.version}`,
    });
  }
  assert.equal(VERSION, denoJson.version);
});

Deno.test("the help lists every flag and environment variable with its default", () => {
  const text = helpText();
  for (
    const word of [
      "-c, --config <key=value>",
      "--skip-git-repo-check",
      "--ephemeral",
      "--codex-bin",
      "--max-parallel",
      "--task-timeout",
      "--task-dir",
      "--worktree-dir",
      "--task-max-age",
      "--log-file",
      "--log-level",
      "-h, --help",
      "-V, --version",
      "codex-swarm top",
      "CODEX_SWARM_CODEX_BIN",
      "CODEX_SWARM_MAX_PARALLEL",
      "CODEX_SWARM_TASK_TIMEOUT",
      "CODEX_SWARM_TASK_DIR",
      "CODEX_SWARM_WORKTREE_DIR",
      "CODEX_SWARM_TASK_MAX_AGE",
      "env CODEX_SWARM_LOG;",
      "CODEX_SWARM_LOG_LEVEL",
      "XDG_STATE_HOME",
      "LOCALAPPDATA",
      "default: codex]",
      "default: 8]",
      "default: 3600]",
      "default: 86400]",
      "default: info]",
      "default: server.log beside the task dir",
      VERSION,
    ]
  ) {
    assert.ok(text.includes(word), `help lacks ${JSON.stringify(word)}`);
  }
});

Deno.test("bad arguments are errors that name the flag", () => {
  throwsWith(() => run(["--bogus"]), "Cannot parse arguments", "--bogus");
  throwsWith(() => run(["-x"]), "Cannot parse arguments", "-x");
  throwsWith(() => run(["extra"]), "Cannot parse arguments", "extra");
  throwsWith(() => run(["-c"]), "Cannot parse arguments", "--config");
  throwsWith(() => run(["--max-parallel"]), "--max-parallel");
  throwsWith(() => run(["--ephemeral=yes"]), "--ephemeral");
});

Deno.test("a malformed -c entry is an error naming the entry", () => {
  throwsWith(() => run(["-c", "foo"]), 'Cannot parse -c entry "foo": expected key=value');
  throwsWith(() => run(["-c", "a=1", "-c", "=1"]), 'Cannot parse -c entry "=1"', "empty");
  throwsWith(() => run(["--config=a..b=1"]), '"a..b=1"', "empty segment");
  throwsWith(() => run(["-c", "a b=1"]), '"a b=1"', "may only contain");
});

Deno.test("numbers must be whole and in range, naming the flag or variable", () => {
  const bad: Array<[string, string[]]> = [
    ["--max-parallel", ["abc", "1.5", "-1", "0", "1e3", "", " ", "0x10", "8 workers"]],
    ["--task-timeout", ["-1", "2.5", "2147484", "99999999999999999999", "soon"]],
    ["--task-max-age", ["0", "-5", "1.0", "forever"]],
  ];
  for (const [flag, values] of bad) {
    for (const value of values) {
      throwsWith(
        () => run([`${flag}=${value}`]),
        `Cannot parse ${flag} ${JSON.stringify(value)}: expected an integer from`,
      );
    }
  }
  assert.equal(run(["--max-parallel= 12 "]).maxParallel, 12);
  assert.equal(run(["--task-timeout=2147483"]).taskTimeoutS, 2147483);
  assert.equal(run(["--task-max-age=2592000"]).taskMaxAgeS, 2592000);
  throwsWith(
    () => run([], { ...HOME, CODEX_SWARM_MAX_PARALLEL: "many" }),
    'Cannot parse CODEX_SWARM_MAX_PARALLEL "many"',
  );
  throwsWith(
    () => run([], { ...HOME, CODEX_SWARM_TASK_TIMEOUT: "1h" }),
    "CODEX_SWARM_TASK_TIMEOUT",
  );
  throwsWith(() => run([], { ...HOME, CODEX_SWARM_TASK_MAX_AGE: "0" }), "CODEX_SWARM_TASK_MAX_AGE");
});

Deno.test("an unknown log level is an error naming the flag or variable", () => {
  throwsWith(
    () => run(["--log-level=verbose"]),
    'Cannot parse --log-level "verbose": expected one of debug, info, warning, error',
  );
  throwsWith(() => run([], { ...HOME, CODEX_SWARM_LOG_LEVEL: "warn" }), "CODEX_SWARM_LOG_LEVEL");
  assert.equal(run(["--log-level= Error "]).logLevel, "error");
});

Deno.test("--approvals is client or human, in any case, else an error naming it", () => {
  throwsWith(
    () => run(["--approvals=nobody"]),
    'Cannot parse --approvals "nobody": expected client or human',
  );
  throwsWith(() => run([], { ...HOME, CODEX_SWARM_APPROVALS: "all" }), "CODEX_SWARM_APPROVALS");
  assert.equal(run(["--approvals", " Human "]).approvals, "human");
});

Deno.test("an empty path flag is an error naming the flag", () => {
  for (const flag of ["--codex-bin", "--task-dir", "--worktree-dir", "--log-file"]) {
    throwsWith(() => run([`${flag}=`]), `Cannot use ${flag}: the path is empty`);
  }
});

Deno.test("parseCli uses the running process's platform by default", () => {
  const result = parseCli(["--task-dir=rel"], { HOME: "/h", LOCALAPPDATA: "C:\\L" });
  assert.equal(result.kind, "run");
  if (result.kind === "run") {
    assert.ok(result.config.taskDir.endsWith("rel"));
    assert.ok(result.config.taskDir.length > "rel".length, "resolved to an absolute path");
  }
});

Deno.test("--worktree-setup: from the flag or CODEX_SWARM_WORKTREE_SETUP; blank is none", () => {
  assert.equal(
    run([], { HOME: "/h", CODEX_SWARM_WORKTREE_SETUP: "make deps" }).defaults.worktreeSetup,
    "make deps",
  );
  assert.equal(
    run(["--worktree-setup", "npm ci"], { HOME: "/h", CODEX_SWARM_WORKTREE_SETUP: "make deps" })
      .defaults
      .worktreeSetup,
    "npm ci",
  );
  assert.equal(run(["--worktree-setup", "  "], { HOME: "/h" }).defaults.worktreeSetup, undefined);
  assert.equal("worktreeSetup" in run([], { HOME: "/h" }).defaults, false);
  throwsWith(() => run(["--worktree-setup", "a\0b"], { HOME: "/h" }), "--worktree-setup");
});

Deno.test("--worker, --worker-token-file and --no-local are read, each URL checked", () => {
  assert.equal(run([]).workerFlags, undefined);
  assert.deepEqual(
    run([
      "--worker",
      "box=ssh://me@box",
      "--worker",
      "pod=ws://127.0.0.1:4501",
      "--worker-token-file",
      "pod=pod.token",
      "--no-local",
    ]).workerFlags,
    {
      workers: [{ name: "box", url: "ssh://me@box" }, { name: "pod", url: "ws://127.0.0.1:4501" }],
      tokenFiles: [{ name: "pod", path: "/cwd/pod.token" }],
      noLocal: true,
    },
  );
  throwsWith(
    () => parseCli(["--worker", "pod=ws://10.1.2.3:4501"], HOME, LINUX),
    "Cannot use --worker pod=ws://10.1.2.3:4501: ws://10.1.2.3:4501 is not this machine's loopback",
  );
  throwsWith(() => parseCli(["--worker", "box"], HOME, LINUX), "expected NAME=VALUE");
  throwsWith(
    () => parseCli(["--worker", "local=ssh://box"], HOME, LINUX),
    'the name "local" is the supervisor\'s own machine',
  );
  for (const word of ["--worker <NAME=URL>", "--worker-token-file <NAME=PATH>", "--no-local"]) {
    assert.ok(helpText().includes(word), `help lacks ${word}`);
  }
});
