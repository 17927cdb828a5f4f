/**
 * Installs the pinned Codex CLI into `.tools/` (from the npm registry) unless it is there already,
 * so `deno task test` works on a fresh machine. The test task puts `.tools/node_modules/.bin` first
 * on PATH.
 *
 * @module
 */

/** The Codex CLI version the tests run against. */
export const CODEX_VERSION = "0.169.0";

const root = new URL("../../", import.meta.url).pathname;
const prefix = `${root}.tools`;
const bin = `${prefix}/node_modules/.bin/codex`;

async function installedVersion(): Promise<string | null> {
  try {
    const out = await new Deno.Command(bin, { args: ["--version"], stdin: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

if (import.meta.main) {
  if ((await installedVersion()) !== `codex-cli ${CODEX_VERSION}`) {
    console.error(`Installing @openai/codex@${CODEX_VERSION} into ${prefix} ...`);
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
        `@openai/codex@${CODEX_VERSION}`,
      ],
      stdin: "null",
    }).spawn().status;
    const version = await installedVersion();
    if (!out.success || version !== `codex-cli ${CODEX_VERSION}`) {
      console.error(
        `Cannot install Codex ${CODEX_VERSION}: npm exited ${out.code}, found ${version}`,
      );
      Deno.exit(1);
    }
  }
}
