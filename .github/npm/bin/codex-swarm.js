#!/usr/bin/env node
// codex-swarm's npm launcher: runs the bundled server (dist/codex-swarm.js) on the Deno binary of
// the `deno` npm package, as `deno run --quiet --no-config <permissions> <bundle> ...args`, with
// stdio inherited and the exit code or signal passed through. Deno.execPath() and Deno.mainModule
// in the server are then that binary and that bundle, so the supervisor it starts runs them again.
//
//   npx -y codex-swarm --max-parallel 4
//
// The arguments come from package.json (`codexSwarm`, written by .github/scripts/npm_package.ts).
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

/**
 * The npm package of the `deno` package that holds the Deno binary for this machine.
 * @param {string} platform process.platform
 * @param {string} arch process.arch
 * @param {boolean} musl whether Linux runs on musl libc (Alpine)
 * @returns {string} e.g. "@deno/linux-x64-glibc"
 */
function denoPlatformPackage(platform, arch, musl) {
  const unsupported = (what) =>
    new Error(
      `Cannot start codex-swarm as the deno npm package has no Deno binary for ${what}: ` +
        "install Deno (https://deno.com) and run jsr:@codex-swarm/server, or use a release binary",
    );
  if (arch !== "x64" && arch !== "arm64") {
    throw unsupported(`${platform}-${arch}`);
  }
  if (platform === "linux") {
    if (musl) throw unsupported(`${platform}-${arch} with musl libc`);
    return `@deno/linux-${arch}-glibc`;
  }
  if (platform === "darwin" || platform === "win32") {
    return `@deno/${platform}-${arch}`;
  }
  throw unsupported(`${platform}-${arch}`);
}

/** Whether this Linux runs on musl rather than glibc (Node's report names glibc when it has it). */
function isMusl() {
  if (process.platform !== "linux") return false;
  const report = process.report && process.report.getReport();
  const header = report &&
    (typeof report === "string" ? JSON.parse(report) : report).header;
  return !(header && header.glibcVersionRuntime);
}

/**
 * The Deno binary: the one in the platform package, else the copy the `deno` package's postinstall
 * makes beside itself (the platform package alone is enough: install scripts may be off).
 * @returns {string} an absolute path
 */
function findDeno() {
  const exe = process.platform === "win32" ? "deno.exe" : "deno";
  let denoDir;
  try {
    denoDir = path.dirname(require.resolve("deno/package.json"));
  } catch {
    throw new Error(
      "Cannot start codex-swarm as its dependency deno is not installed: reinstall codex-swarm",
    );
  }
  const platformPackage = denoPlatformPackage(
    process.platform,
    process.arch,
    isMusl(),
  );
  const candidates = [];
  try {
    const dir = path.dirname(
      require.resolve(`${platformPackage}/package.json`, { paths: [denoDir] }),
    );
    candidates.push(path.join(dir, exe));
  } catch {
    // Not installed (e.g. optional dependencies omitted): the postinstall copy may still be there.
  }
  candidates.push(path.join(denoDir, exe));
  const found = candidates.find((file) => fs.existsSync(file));
  if (found === undefined) {
    throw new Error(
      `Cannot start codex-swarm as the Deno binary of ${platformPackage} is not installed ` +
        `(optional dependencies omitted?): paths are ${candidates.join(", ")}`,
    );
  }
  return found;
}

/** Runs the server; exits as it exits. */
function main() {
  const root = path.join(__dirname, "..");
  const manifest = require(path.join(root, "package.json")).codexSwarm;
  let deno;
  try {
    deno = findDeno();
  } catch (error) {
    process.stderr.write(`codex-swarm: ${error.message}\n`);
    process.exit(1);
  }
  const args = [
    ...manifest.denoArgs,
    path.join(root, manifest.bundle),
    ...process.argv.slice(2),
  ];
  const child = spawn(deno, args, { stdio: "inherit" });
  const forward = ["SIGINT", "SIGTERM", "SIGHUP"].map((signal) => {
    const handler = () => child.kill(signal);
    process.on(signal, handler);
    return [signal, handler];
  });
  child.on("error", (error) => {
    process.stderr.write(
      `codex-swarm: Cannot start ${deno}: ${error.message}\n`,
    );
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal === null) process.exit(code === null ? 1 : code);
    // Die of the same signal, so the caller sees what the server saw.
    for (const [name, handler] of forward) {
      process.removeListener(name, handler);
    }
    process.kill(process.pid, signal);
  });
}

if (require.main === module) main();

module.exports = { denoPlatformPackage };
