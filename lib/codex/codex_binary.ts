/**
 * Which Codex to run and what version it is: the native binary behind the npm wrapper
 * (`@openai/codex/bin/codex.js`) when it can be found and run, the version from the server's user
 * agent or from `codex --version`, and the line of its stderr that says what went wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastErrorLine, versionOfUserAgent } from "./codex_binary.ts";
 *
 * assert.equal(versionOfUserAgent("codex-swarm/0.169.0 (Debian 12; x86_64)"), "0.169.0");
 * assert.equal(lastErrorLine("log: an error: here\nError: the cause\n"), "Error: the cause");
 * ```
 * @module
 */

import { existsSync, realpathSync } from "node:fs";
import path from "node:path";

/** The version in a user agent like `codex-swarm/0.169.0 (Debian 12; x86_64) ...`, or null. */
export function versionOfUserAgent(userAgent: string): string | null {
  return /^[^/\s]+\/(\d+\.\d+\.\d+[^\s]*)/.exec(userAgent)?.[1] ?? null;
}

/** The OS part of Codex's npm platform package and its Rust target, for each OS it ships for. */
const NPM_TARGETS: Partial<Record<typeof Deno.build.os, [pkgOs: string, target: string]>> = {
  linux: ["linux", "unknown-linux-musl"],
  android: ["linux", "unknown-linux-musl"],
  darwin: ["darwin", "apple-darwin"],
  windows: ["win32", "pc-windows-msvc"],
};

/** Where `bin` may be: itself when it has a slash, else that name in each directory of PATH. */
export function pathCandidates(bin: string, pathVar: string): string[] {
  if (bin.includes("/") || bin.includes("\\")) return [bin];
  return pathVar.split(Deno.build.os === "windows" ? ";" : ":").filter(Boolean).map((dir) =>
    `${dir}/${bin}`
  );
}

/** What to run for `bin`: the native binary behind the npm wrapper when it can be found. */
export interface ResolvedCodex {
  /** The executable to spawn. */
  command: string;
  /** Variables the npm wrapper would have set for the native binary. */
  env: Record<string, string>;
}

/**
 * Finds the native Codex binary behind the npm wrapper `bin` (`@openai/codex/bin/codex.js`):
 * `@openai/codex-<platform>/vendor/<target>/bin/codex`, next to the wrapper's package or inside
 * it. Starting it directly saves a Node process (about 45 MB) per server. Falls back to `bin`
 * itself when it is no wrapper, nothing is found, or Deno's permissions do not allow running it.
 */
export function resolveCodex(bin: string, pathVar: string): ResolvedCodex {
  const fallback = { command: bin, env: {} };
  // This machine's npm platform package and Rust target.
  const arch = ({ x86_64: "x64", aarch64: "arm64" } as Record<string, string>)[Deno.build.arch];
  const os = NPM_TARGETS[Deno.build.os];
  const found = pathCandidates(bin, pathVar).find((candidate) => existsSync(candidate));
  if (arch === undefined || os === undefined || found === undefined) return fallback;
  let script: string;
  try {
    script = realpathSync(found);
  } catch {
    return fallback;
  }
  if (path.basename(script) !== "codex.js") return fallback;
  const packageRoot = path.dirname(path.dirname(script));
  const pkg = `codex-${os[0]}-${arch}`;
  const exe = Deno.build.os === "windows" ? "codex.exe" : "codex";
  const candidates = [
    path.join(packageRoot, "node_modules", "@openai", pkg),
    path.join(path.dirname(packageRoot), pkg),
  ].map((dir) => path.join(dir, "vendor", `${Deno.build.arch}-${os[1]}`, "bin", exe));
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const allowed = Deno.permissions.querySync({ name: "run", command: candidate }).state;
    if (allowed !== "granted") return fallback;
    return {
      command: candidate,
      env: { CODEX_MANAGED_PACKAGE_ROOT: packageRoot, CODEX_MANAGED_BY_NPM: "1" },
    };
  }
  return fallback;
}

/**
 * The last line of a stderr text that starts `Error:` (colour codes removed), else the last line
 * that says `error:`, else its last line.
 */
export function lastErrorLine(stderr: string): string {
  // deno-lint-ignore no-control-regex
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim())
    .filter(Boolean);
  return lines.findLast((l) => /^error:/i.test(l)) ?? lines.findLast((l) => /\berror:/i.test(l)) ??
    lines.at(-1) ?? "(no output)";
}

/** `codex --version` of `bin` ("0.98.0"), or null when it does not tell. */
export async function versionOf(
  command: string,
  env: Record<string, string>,
): Promise<string | null> {
  try {
    const out = await new Deno.Command(command, {
      args: ["--version"],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return /(\d+\.\d+\.\d+\S*)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? null;
  } catch {
    return null;
  }
}
