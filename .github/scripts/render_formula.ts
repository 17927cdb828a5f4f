/**
 * Renders the Homebrew formula for one release from `.github/homebrew/codex-swarm.rb.tmpl`.
 *
 * Placeholders the template may use:
 *
 * | placeholder           | replaced with                                                |
 * | --------------------- | ------------------------------------------------------------ |
 * | `{{VERSION}}`         | the version, e.g. `1.2.3` (a leading `v` is dropped)         |
 * | `{{HOMEPAGE}}`        | `--homepage`                                                 |
 * | `{{URL_<target>}}`    | `<base-url>/codex-swarm-<version>-<target>.tar.gz`           |
 * | `{{SHA256_<target>}}` | that archive's SHA-256, read from the `SHA256SUMS` file      |
 *
 * Rendering fails, naming every problem at once, if a target's checksum is missing from
 * `SHA256SUMS`, a placeholder is unknown or lacks its input, or anything that looks like a
 * placeholder survives.
 *
 * ```sh
 * deno run --allow-read --allow-write .github/scripts/render_formula.ts \
 *   --template .github/homebrew/codex-swarm.rb.tmpl --version 1.2.3 \
 *   --base-url https://github.com/OWNER/REPO/releases/download/v1.2.3 \
 *   --homepage https://github.com/OWNER/REPO --sums SHA256SUMS --output codex-swarm.rb
 * ```
 *
 * Without `--output` the formula is written to stdout.
 *
 * @module
 */

/** Inputs that fill the template's placeholders. */
export interface FormulaInputs {
  /** Release version without a leading `v`, e.g. `1.2.3` or `1.2.3-rc.1`. */
  version: string;
  /** URL the release archives are downloaded from, without a trailing `/`. */
  baseUrl: string;
  /** Project homepage; only needed if the template uses `{{HOMEPAGE}}`. */
  homepage?: string;
  /** Archive file name → lowercase hex SHA-256, as parsed by {@link parseSha256Sums}. */
  sums: ReadonlyMap<string, string>;
}

/** Raised when the formula cannot be rendered; the message lists every problem found. */
export class RenderError extends Error {
  /** Each problem, one sentence each. */
  readonly problems: readonly string[];

  /** @param problems Each problem, one sentence each. */
  constructor(problems: readonly string[]) {
    super(`cannot render the Homebrew formula:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "RenderError";
    this.problems = problems;
  }
}

/** Matches one `{{NAME}}` placeholder (also with spaces inside the braces). */
const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/** Anything that still looks like a placeholder, even a malformed one, after rendering. */
const LEFTOVER = /\{\{[^{}\n]*\}\}/g;

/** A release version: semver-like, no leading `v`, nothing a URL or Ruby string would mangle. */
const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * The archive file name for one target, as the release workflow names it.
 *
 * @param version Release version without a leading `v`.
 * @param target Rust target triple, e.g. `aarch64-apple-darwin`.
 */
export function archiveName(version: string, target: string): string {
  return `codex-swarm-${version}-${target}.tar.gz`;
}

/**
 * Parses a `SHA256SUMS` file as written by `sha256sum` (`<hex>  <name>`, or `<hex> *<name>` in
 * binary mode). Blank lines are skipped; paths are reduced to their file name.
 *
 * @param text The file's contents.
 * @returns File name → lowercase hex digest.
 * @throws {RenderError} On a malformed line or a file listed twice with different digests.
 */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (match === null) {
      problems.push(`SHA256SUMS line ${index + 1} is not "<sha256>  <file>": ${line}`);
      return;
    }
    const digest = (match[1] as string).toLowerCase();
    const name = (match[2] as string).replace(/^.*[\\/]/, "");
    const previous = sums.get(name);
    if (previous !== undefined && previous !== digest) {
      problems.push(`SHA256SUMS lists ${name} twice with different checksums`);
    }
    sums.set(name, digest);
  });
  if (problems.length > 0) throw new RenderError(problems);
  return sums;
}

/**
 * Normalises a version or tag (`v1.2.3` → `1.2.3`) and checks its shape.
 *
 * @param version A version or a `v`-prefixed tag.
 * @returns The version without the `v`.
 * @throws {RenderError} If it is not `MAJOR.MINOR.PATCH` with an optional pre-release/build.
 */
export function normaliseVersion(version: string): string {
  const bare = version.trim().replace(/^v/, "");
  if (!VERSION.test(bare)) {
    throw new RenderError([`version ${JSON.stringify(version)} is not like 1.2.3 or 1.2.3-rc.1`]);
  }
  return bare;
}

/**
 * Fills every placeholder in `template`.
 *
 * @param template The formula template text.
 * @param inputs Version, URLs and checksums.
 * @returns The rendered formula.
 * @throws {RenderError} Listing every missing checksum (by target and archive name), unknown or
 *   unfilled placeholder, and any placeholder left over.
 */
export function renderFormula(template: string, inputs: FormulaInputs): string {
  const version = normaliseVersion(inputs.version);
  const baseUrl = inputs.baseUrl.replace(/\/+$/, "");
  const problems = new Set<string>();

  const rendered = template.replace(PLACEHOLDER, (whole: string, name: string) => {
    if (name === "VERSION") return version;
    if (name === "HOMEPAGE") {
      if (inputs.homepage) return inputs.homepage;
      problems.add(`${whole} is used but no homepage was given (--homepage)`);
      return whole;
    }
    const perTarget = /^(URL|SHA256)_([A-Za-z0-9_.-]+)$/.exec(name);
    if (perTarget === null) {
      problems.add(`unknown placeholder ${whole}`);
      return whole;
    }
    const [, kind, target] = perTarget as unknown as [string, "URL" | "SHA256", string];
    const archive = archiveName(version, target);
    if (kind === "URL") return `${baseUrl}/${archive}`;
    const digest = inputs.sums.get(archive);
    if (digest === undefined) {
      problems.add(`${whole}: no checksum for target ${target} (${archive} is not in SHA256SUMS)`);
      return whole;
    }
    return digest;
  });

  for (const [left] of rendered.matchAll(LEFTOVER)) {
    if (![...problems].some((problem) => problem.includes(left))) {
      problems.add(`placeholder ${left} is left in the formula`);
    }
  }
  if (problems.size > 0) throw new RenderError([...problems]);
  return rendered;
}

/** Command-line options of the script. */
interface CliOptions {
  template: string;
  version: string;
  baseUrl: string;
  homepage: string | undefined;
  sums: string;
  output: string | undefined;
}

/** Usage text. */
const USAGE = `Usage: render_formula.ts --template <file> --version <x.y.z> --base-url <url>
                         --sums <SHA256SUMS> [--homepage <url>] [--output <file>]`;

/**
 * Parses the script's arguments (`--flag value` or `--flag=value`).
 *
 * @param args `Deno.args`.
 * @throws {RenderError} On an unknown flag or a missing required one.
 */
export function parseCliArgs(args: readonly string[]): CliOptions {
  const values = new Map<string, string>();
  const known = ["template", "version", "base-url", "homepage", "sums", "output"];
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    if (match === null || name === undefined || !known.includes(name)) {
      problems.push(`unknown argument ${arg}`);
      continue;
    }
    const value = match[2] ?? args[++i];
    if (value === undefined || value === "") problems.push(`--${name} needs a value`);
    else values.set(name, value);
  }
  for (const required of ["template", "version", "base-url", "sums"]) {
    if (!values.has(required) && !problems.includes(`--${required} needs a value`)) {
      problems.push(`--${required} is required`);
    }
  }
  if (problems.length > 0) throw new RenderError([...problems, USAGE]);
  return {
    template: values.get("template") as string,
    version: values.get("version") as string,
    baseUrl: values.get("base-url") as string,
    homepage: values.get("homepage"),
    sums: values.get("sums") as string,
    output: values.get("output"),
  };
}

/**
 * The script: read the template and sums, render, write.
 *
 * @param args `Deno.args`.
 * @returns The process exit code.
 */
export async function main(args: readonly string[]): Promise<number> {
  try {
    const options = parseCliArgs(args);
    const [template, sumsText] = await Promise.all([
      Deno.readTextFile(options.template),
      Deno.readTextFile(options.sums),
    ]);
    const formula = renderFormula(template, {
      version: options.version,
      baseUrl: options.baseUrl,
      homepage: options.homepage,
      sums: parseSha256Sums(sumsText),
    });
    if (options.output === undefined) console.log(formula.trimEnd());
    else await Deno.writeTextFile(options.output, formula);
    return 0;
  } catch (error) {
    if (error instanceof RenderError || error instanceof Deno.errors.NotFound) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
