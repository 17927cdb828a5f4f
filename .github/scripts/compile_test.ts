/**
 * Tests for `compile.ts`: the argv it builds and how it recognises a failed runtime download.
 * Nothing here runs `deno compile`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  buildCompileArgs,
  DEFAULT_OUTPUT,
  ENTRY_POINT,
  isRuntimeDownloadFailure,
  parseCompileArgs,
  runtimeDownloadMessage,
  UsageError,
} from "./compile.ts";
import { SERVER_PERMISSIONS } from "../../lib/supervisor/permissions.ts";

/** Parses `args` and builds the argv, failing the test on `--help`. */
function argvFor(args: readonly string[]): string[] {
  const options = parseCompileArgs(args);
  assert.notEqual(options, "help");
  if (options === "help") throw new Error("unreachable");
  return buildCompileArgs(options);
}

Deno.test("SERVER_PERMISSIONS: single flags, frozen, running programs, loopback net only", () => {
  assert.ok(Object.isFrozen(SERVER_PERMISSIONS));
  for (const flag of SERVER_PERMISSIONS) {
    assert.match(flag, /^--(allow|deny)-[a-z]+(=\S+)?$/, `not a single permission flag: ${flag}`);
  }
  assert.ok(!SERVER_PERMISSIONS.includes("--allow-all") && !SERVER_PERMISSIONS.includes("-A"));
  // Unscoped: a front-end starts the supervisor by running Deno.execPath() again.
  assert.ok(SERVER_PERMISSIONS.includes("--allow-run"), "the front-end must be able to run itself");
  const net = SERVER_PERMISSIONS.filter((flag) => flag.startsWith("--allow-net"));
  assert.deepEqual(net, ["--allow-net=127.0.0.1"], "network only on the loopback interface");
});

Deno.test("no arguments: host target, default output, permissions baked in, entry last", () => {
  assert.deepEqual(argvFor([]), [
    "compile",
    ...SERVER_PERMISSIONS,
    "--output",
    DEFAULT_OUTPUT,
    ENTRY_POINT,
  ]);
  assert.equal(ENTRY_POINT, "main.ts");
  assert.equal(DEFAULT_OUTPUT, "dist/codex-swarm");
});

Deno.test("--target and --output are passed through, before the entry point", () => {
  const argv = argvFor([
    "--target",
    "aarch64-apple-darwin",
    "--output",
    "dist/aarch64-apple-darwin/codex-swarm",
  ]);
  assert.deepEqual(argv, [
    "compile",
    ...SERVER_PERMISSIONS,
    "--target",
    "aarch64-apple-darwin",
    "--output",
    "dist/aarch64-apple-darwin/codex-swarm",
    "main.ts",
  ]);
  assert.equal(argv.indexOf("main.ts"), argv.length - 1, "flags after the entry are script args");
});

Deno.test("--flag=value, -o and repeated --include forms", () => {
  assert.deepEqual(
    argvFor([
      "--target=x86_64-pc-windows-msvc",
      "-o",
      "dist/win/codex-swarm.exe",
      "--include=README.md",
      "--include",
      "assets/",
    ]),
    [
      "compile",
      ...SERVER_PERMISSIONS,
      "--target",
      "x86_64-pc-windows-msvc",
      "--output",
      "dist/win/codex-swarm.exe",
      "--include",
      "README.md",
      "--include",
      "assets/",
      "main.ts",
    ],
  );
});

Deno.test("every release target builds the same argv apart from target and output", () => {
  const targets = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
  ];
  for (const target of targets) {
    const argv = argvFor(["--target", target, "--output", `dist/${target}/codex-swarm`]);
    assert.deepEqual(argv.slice(0, 1 + SERVER_PERMISSIONS.length), [
      "compile",
      ...SERVER_PERMISSIONS,
    ]);
    assert.equal(argv[argv.indexOf("--target") + 1], target);
    assert.equal(argv.at(-1), "main.ts");
  }
});

Deno.test("--help is recognised", () => {
  assert.equal(parseCompileArgs(["--help"]), "help");
  assert.equal(parseCompileArgs(["--target", "x86_64-apple-darwin", "-h"]), "help");
});

Deno.test("bad arguments are usage errors that say what is wrong", () => {
  const cases: [string[], RegExp][] = [
    [["--target"], /--target needs a value/],
    [["--target="], /--target needs a value/],
    [["--target", "--output", "x"], /--target needs a value/],
    [["--output"], /--output needs a value/],
    [["--target", "a", "--target", "b"], /--target given more than once/],
    [["-o", "a", "--output", "b"], /--output given more than once/],
    [["--allow-all"], /unknown argument: --allow-all/],
    [["main.ts"], /unknown argument: main\.ts/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseCompileArgs(args), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args.join(" ")}: not a UsageError`);
      assert.match(error.message, message);
      return true;
    });
  }
});

/** stderr of `deno compile` 2.9.6 on a machine without network (as recorded, with colours). */
const OFFLINE_STDERR = [
  "\x1b[0m\x1b[32mCheck\x1b[0m main.ts",
  "\x1b[0m\x1b[32mCompile\x1b[0m main.ts to dist/codex-swarm",
  "\x1b[0m\x1b[32mDownload\x1b[0m https://dl.deno.land/release/v2.9.6/denort-aarch64-unknown-linux-gnu.zip",
  "\x1b[0m\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file " +
  "'dist/codex-swarm.tmp-20d08eec6aeeec74'",
  "",
  "Caused by:",
  "    0: Setting up base binary.",
  "    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-aarch64-" +
  "unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address " +
  "information: Name or service not known",
  "    2: client error (Connect)",
  "    3: dns error",
  "    4: failed to lookup address information: Name or service not known",
  "",
  "Stack backtrace:",
  "   0: <unknown>",
].join("\n");

Deno.test("a failed denort download is recognised", () => {
  assert.equal(isRuntimeDownloadFailure(OFFLINE_STDERR), true);
  // deno-lint-ignore no-control-regex
  const plain = OFFLINE_STDERR.replaceAll(/\u001b\[[0-9;]*m/g, "");
  assert.ok(!plain.includes("\u001b"));
  assert.equal(isRuntimeDownloadFailure(plain), true);
});

Deno.test("other compile failures are not mistaken for a failed download", () => {
  const typeError = [
    "Check main.ts",
    "TS2307 [ERROR]: Cannot find module 'file:///work/main/lib/missing.ts'.",
    "error: Type checking failed.",
  ].join("\n");
  assert.equal(isRuntimeDownloadFailure(typeError), false);

  const downloadedThenFailed = [
    "Compile main.ts to dist/codex-swarm",
    "Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
    "error: Writing deno compile executable to temporary file 'dist/codex-swarm.tmp-1'",
    "",
    "Caused by:",
    "    Permission denied (os error 13)",
  ].join("\n");
  assert.equal(isRuntimeDownloadFailure(downloadedThenFailed), false);
  assert.equal(isRuntimeDownloadFailure(""), false);
});

Deno.test("the download message names the target and points to the workflow and bundle", () => {
  assert.equal(
    runtimeDownloadMessage("aarch64-apple-darwin"),
    "deno compile needs to download the denort runtime for aarch64-apple-darwin, which this " +
      "machine cannot reach; the release workflow compiles on GitHub runners (see " +
      '.github/workflows/release.yml). Use "deno task bundle" to check the build here.',
  );
});
