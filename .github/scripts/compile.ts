/**
 * `deno task compile`: builds the self-contained `codex-swarm` executable with `deno compile`.
 *
 * The server's permissions ({@link SERVER_PERMISSIONS}) are baked into the binary, so the binary
 * runs with exactly the permissions `deno task start` grants, and never prompts.
 *
 * Usage (every flag is optional):
 *
 * ```sh
 * deno task compile [--target <triple>] [--output <path>] [--include <path>]...
 * ```
 *
 * `--target` defaults to the host; `--output` defaults to {@link DEFAULT_OUTPUT} (`deno compile`
 * appends `.exe` itself for Windows targets). `deno compile` downloads the `denort` runtime for the
 * target from the internet; where it cannot, this script says so plainly and exits non-zero.
 *
 * @module
 */

import { SERVER_PERMISSIONS } from "../../lib/supervisor/permissions.ts";

/** The server's entry point, relative to the repository root (where `deno task` runs). */
export const ENTRY_POINT = "main.ts";

/** Where the binary goes when `--output` is not given. */
export const DEFAULT_OUTPUT = "dist/codex-swarm";

/** What one `deno task compile` run should build. */
export interface CompileOptions {
  /** Rust target triple for `deno compile --target`; `undefined` builds for the host. */
  target: string | undefined;
  /** Output path of the executable. */
  output: string;
  /** Extra files or modules to embed (`deno compile --include`), in the order given. */
  include: readonly string[];
  /** Module to compile. */
  entry: string;
}

/** A command-line mistake; its message is meant for the user as it is. */
export class UsageError extends Error {
  /** @param message What was wrong with the arguments. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Help text printed for `--help` and after a {@link UsageError}. */
export const USAGE =
  `Usage: deno task compile [--target <triple>] [--output <path>] [--include <path>]...

  --target <triple>   target to build for (default: this machine), e.g. aarch64-apple-darwin
  -o, --output <path> path of the executable (default: ${DEFAULT_OUTPUT})
  --include <path>    extra file or module to embed; may be repeated
  -h, --help          show this text`;

/**
 * Parses the arguments given after `deno task compile`.
 *
 * Accepts `--flag value` and `--flag=value` forms. Returns `"help"` for `-h`/`--help`.
 *
 * @param args The script's arguments (`Deno.args`).
 * @returns The options to compile with, or `"help"`.
 * @throws {UsageError} On an unknown flag, a missing value or a repeated `--target`/`--output`.
 */
export function parseCompileArgs(args: readonly string[]): CompileOptions | "help" {
  let target: string | undefined;
  let output: string | undefined;
  const include: string[] = [];

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "-h" || arg === "--help") return "help";

    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    let value: string | undefined;
    const takeValue = (): string => {
      if (eq !== -1) value = arg.slice(eq + 1);
      else value = args[++i];
      if (value === undefined || value === "" || (eq === -1 && value.startsWith("-"))) {
        throw new UsageError(`${flag} needs a value`);
      }
      return value;
    };

    switch (flag) {
      case "--target":
        if (target !== undefined) throw new UsageError("--target given more than once");
        target = takeValue();
        break;
      case "-o":
      case "--output":
        if (output !== undefined) throw new UsageError("--output given more than once");
        output = takeValue();
        break;
      case "--include":
        include.push(takeValue());
        break;
      default:
        throw new UsageError(`unknown argument: ${arg}`);
    }
  }

  return { target, output: output ?? DEFAULT_OUTPUT, include, entry: ENTRY_POINT };
}

/**
 * Builds the argv for the `deno` executable (without the executable itself).
 *
 * Every flag comes before the entry point, which is last: anything after it would be baked into
 * the binary as a script argument instead of being read by `deno compile`.
 *
 * @param options What to build.
 * @returns e.g. `["compile", ...SERVER_PERMISSIONS, "--target", t, "--output", o, "main.ts"]`.
 */
export function buildCompileArgs(options: CompileOptions): string[] {
  const argv = ["compile", ...SERVER_PERMISSIONS];
  if (options.target !== undefined) argv.push("--target", options.target);
  argv.push("--output", options.output);
  for (const path of options.include) argv.push("--include", path);
  argv.push(options.entry);
  return argv;
}

/** Matches ANSI colour and cursor escape sequences. */
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Network and HTTP failures as `deno compile` words them in its error chain. */
const REQUEST_FAILED =
  /error sending request|dns error|failed to lookup address|connection (?:refused|reset)|timed out|certificate|tls|status code|could not be found/i;

/**
 * Tells whether `deno compile` failed because it could not download the `denort` runtime.
 *
 * `deno compile` reports this as an `error:` whose cause chain contains `Setting up base binary`
 * and a failed request for `…/denort-<target>.zip` (DNS, connection, TLS or HTTP errors alike).
 * Only the error report is looked at, not the progress lines before it, so a compile that
 * downloaded the runtime and then failed for another reason is not mistaken for this.
 *
 * @param stderr Everything `deno compile` wrote to stderr (colours are ignored).
 * @returns `true` if the failure is the runtime download.
 */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  const text = stderr.replace(ANSI, "");
  const errorAt = text.search(/^error:/m);
  if (errorAt === -1) return false;
  const report = text.slice(errorAt);
  return /base binary|denort/i.test(report) && REQUEST_FAILED.test(report);
}

/**
 * The message printed when the runtime cannot be downloaded.
 *
 * @param target The target triple that was being compiled for.
 */
export function runtimeDownloadMessage(target: string): string {
  return `deno compile needs to download the denort runtime for ${target}, which this machine ` +
    `cannot reach; the release workflow compiles on GitHub runners (see ` +
    `.github/workflows/release.yml). Use "deno task bundle" to check the build here.`;
}

/**
 * Writes all of `bytes`, however many calls it takes.
 *
 * @param writer Where to write.
 * @param bytes What to write.
 */
async function writeAll(
  writer: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await writer.write(bytes.subarray(written));
}

/**
 * Runs `deno compile`, streaming its output through while keeping a copy of stderr.
 *
 * @param argv Arguments for the `deno` executable.
 * @returns The exit code and everything written to stderr.
 */
async function runDeno(argv: readonly string[]): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...argv],
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();

  const decoder = new TextDecoder();
  let stderr = "";
  for await (const chunk of child.stderr) {
    await writeAll(Deno.stderr, chunk);
    stderr += decoder.decode(chunk, { stream: true });
  }
  stderr += decoder.decode();
  const { code } = await child.status;
  return { code, stderr };
}

/**
 * The script: parse, compile, explain a runtime download failure.
 *
 * @param args The script's arguments.
 * @returns The process exit code.
 */
export async function main(args: readonly string[]): Promise<number> {
  let options: CompileOptions | "help";
  try {
    options = parseCompileArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }

  const argv = buildCompileArgs(options);
  console.error(`$ deno ${argv.join(" ")}`);
  const { code, stderr } = await runDeno(argv);
  if (code === 0) return 0;

  if (isRuntimeDownloadFailure(stderr)) {
    console.error(`\n${runtimeDownloadMessage(options.target ?? Deno.build.target)}`);
  }
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
