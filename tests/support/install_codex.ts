/**
 * Installs a Codex CLI from the npm registry unless it is there already, so `deno task test` works
 * on a fresh machine: the pinned version into `.tools/`, any other into `.tools/codex-<version>/`
 * (see `./codex_versions.ts`).
 *
 * @example
 * ```sh
 * deno run --allow-read --allow-run tests/support/install_codex.ts          # the pinned version
 * deno run --allow-read --allow-run tests/support/install_codex.ts 0.171.0  # another one
 * ```
 * @module
 */

import { codexPrefix, PINNED_CODEX_VERSION } from "./codex_versions.ts";

async function installedVersion(bin: string): Promise<string | null> {
  try {
    const out = await new Deno.Command(bin, { args: ["--version"], stdin: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** Installs Codex `version` into its prefix unless there; returns the prefix. Throws on failure. */
export async function installCodex(version: string): Promise<string> {
  const prefix = codexPrefix(version);
  const bin = `${prefix}/node_modules/.bin/codex`;
  if ((await installedVersion(bin)) === `codex-cli ${version}`) return prefix;
  console.error(`Installing @openai/codex@${version} into ${prefix} ...`);
  const npm = Deno.build.os === "windows" ? "npm.cmd" : "npm";
  const out = await new Deno.Command(npm, {
    args: [
      "install",
      "--prefix",
      prefix,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `@openai/codex@${version}`,
    ],
    stdin: "null",
  }).spawn().status;
  const found = await installedVersion(bin);
  if (!out.success || found !== `codex-cli ${version}`) {
    throw new Error(`Cannot install Codex ${version}: npm exited ${out.code}, found ${found}`);
  }
  return prefix;
}

if (import.meta.main) {
  try {
    await installCodex(Deno.args[0] ?? PINNED_CODEX_VERSION);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
