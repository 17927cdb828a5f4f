/**
 * `deno task npm-pack`: builds the npm package `codex-swarm` into `dist/npm/` and packs it into
 * `dist/codex-swarm-<version>.tgz` (the path is printed on stdout).
 *
 * The package is the bundle (made with the flags of `deno task bundle`), the launcher
 * `.github/npm/bin/codex-swarm.js` that runs it on the Deno binary of the `deno` npm package, the
 * README, and `package.json` from the template `.github/npm/package.json` with the version of
 * `deno.json` and the `deno run` arguments ({@link SERVER_PERMISSIONS}) filled in.
 *
 * ```sh
 * deno task npm-pack [--out <dir>] [--repository <url>]
 * ```
 *
 * @example Not run: it builds and packs the whole npm package (`deno task npm-pack` does).
 * ```ts ignore
 * const dir = await Deno.makeTempDir();
 * const built = await buildNpmPackage({ out: `${dir}/npm` });
 * const packed = await packNpmPackage(built.dir, dir); // packed.tarball: `${dir}/codex-swarm-….tgz`
 * ```
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { SERVER_PERMISSIONS } from "../../lib/supervisor/permissions.ts";

/** The repository root (where `deno task` runs). */
const ROOT = new URL("../../", import.meta.url).pathname;

/** Where the package's sources are, relative to the root. */
export const NPM_SOURCES = ".github/npm";

/** Where the package goes when `--out` is not given, relative to the root. */
export const DEFAULT_OUT = "dist/npm";

/** The bundle's path inside the package. */
export const BUNDLE_PATH = "dist/codex-swarm.js";

/** The package's `package.json`, as far as this script and its tests read it. */
export interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  /** What the launcher runs: `deno <denoArgs> <bundle> ...args`. */
  codexSwarm: { bundle: string; denoArgs: string[] };
  [key: string]: unknown;
}

/**
 * The package's `package.json` from the template: `version`, the launcher's `codexSwarm` and, when
 * `repository` (`https://github.com/owner/name`) is given, `repository`, `homepage` and `bugs`
 * (`npm publish --provenance` checks `repository` against the workflow's repository).
 */
export function renderPackageJson(
  template: Record<string, unknown>,
  options: { version: string; repository?: string },
): PackageJson {
  const manifest: Record<string, unknown> = { ...template, version: options.version };
  if (options.repository !== undefined) {
    const url = options.repository.replace(/\/+$/, "");
    manifest.repository = { type: "git", url: `git+${url}.git` };
    manifest.homepage = `${url}#readme`;
    manifest.bugs = { url: `${url}/issues` };
  }
  manifest.codexSwarm = {
    bundle: BUNDLE_PATH,
    denoArgs: ["run", "--quiet", "--no-config", ...SERVER_PERMISSIONS],
  };
  return manifest as PackageJson;
}

/**
 * The arguments after `deno` of deno.json's `bundle` task (`deno bundle ... -o <path> main.ts`),
 * quiet and with the output `output`: every bundle is made with that task's flags.
 */
export function bundleTaskArgs(output: string, task: string = denoJson.tasks.bundle): string[] {
  const words = task.split(/\s+/).filter((word) => word !== "");
  if (words[0] !== "deno" || words[1] !== "bundle" || /["'$]/.test(task)) {
    throw new Error(
      `Cannot read the bundle task as it is not a plain deno bundle: task is ${task}`,
    );
  }
  const args = words.slice(1);
  const at = args.indexOf("-o");
  if (at === -1 || args[at + 1] === undefined) {
    throw new Error(`Cannot read the bundle task as it names no -o output: task is ${task}`);
  }
  args[at + 1] = output;
  return ["bundle", "--quiet", ...args.slice(1)];
}

/** Runs a command to its end; throws with its output unless it succeeds. */
async function run(
  what: string,
  command: string,
  args: string[],
  cwd: string,
): Promise<string> {
  const out = await new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!out.success) {
    throw new Error(
      `Cannot ${what} as \`${command} ${args.join(" ")}\` exited ${out.code}:\n` +
        `${decode(out.stdout)}${decode(out.stderr)}`,
    );
  }
  return decode(out.stdout);
}

/**
 * Writes the package into `out` (emptied first): `package.json`, `README.md`,
 * `bin/codex-swarm.js` and the bundle.
 */
export async function buildNpmPackage(
  options: { out: string; repository?: string },
): Promise<{ dir: string; manifest: PackageJson }> {
  const dir = options.out;
  await Deno.remove(dir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.mkdir(`${dir}/bin`, { recursive: true });
  await run(
    "bundle main.ts",
    Deno.execPath(),
    bundleTaskArgs(`${dir}/${BUNDLE_PATH}`),
    ROOT,
  );
  await Deno.copyFile(`${ROOT}${NPM_SOURCES}/bin/codex-swarm.js`, `${dir}/bin/codex-swarm.js`);
  await Deno.chmod(`${dir}/bin/codex-swarm.js`, 0o755);
  await Deno.copyFile(`${ROOT}README.md`, `${dir}/README.md`);
  const template = JSON.parse(await Deno.readTextFile(`${ROOT}${NPM_SOURCES}/package.json`));
  const manifest = renderPackageJson(template, {
    version: denoJson.version,
    ...(options.repository !== undefined ? { repository: options.repository } : {}),
  });
  await Deno.writeTextFile(`${dir}/package.json`, JSON.stringify(manifest, null, 2) + "\n");
  return { dir, manifest };
}

/** What `npm pack` made. */
export interface Packed {
  /** Absolute path of the `.tgz`. */
  tarball: string;
  /** Bytes of the tarball and of its contents. */
  size: number;
  unpackedSize: number;
  /** The paths in the package, sorted. */
  files: string[];
}

/** Packs the package in `dir` with `npm pack` into the directory `destination`. */
export async function packNpmPackage(dir: string, destination: string): Promise<Packed> {
  await Deno.mkdir(destination, { recursive: true });
  const absolute = await Deno.realPath(destination);
  const stdout = await run(
    "pack the npm package",
    "npm",
    ["pack", "--json", "--pack-destination", absolute],
    dir,
  );
  const [report] = JSON.parse(stdout) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string }>;
  }>;
  if (report === undefined) throw new Error(`npm pack reported nothing: ${stdout}`);
  return {
    tarball: `${absolute}/${report.filename}`,
    size: report.size,
    unpackedSize: report.unpackedSize,
    files: report.files.map((file) => file.path).sort(),
  };
}

/** Help text for `--help` and after a mistake. */
const USAGE = `Usage: deno task npm-pack [--out <dir>] [--repository <url>]

  --out <dir>         where the package is written (default: ${DEFAULT_OUT}); the .tgz goes beside it
  --repository <url>  the GitHub repository (https://github.com/owner/name) for package.json
  -h, --help          show this text`;

/** The script: build, pack, print the tarball's path. Returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const options: { out: string; repository?: string } = { out: `${ROOT}${DEFAULT_OUT}` };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === "-h" || flag === "--help") {
      console.log(USAGE);
      return 0;
    }
    const value = args[i + 1];
    if ((flag !== "--out" && flag !== "--repository") || value === undefined) {
      console.error(`error: ${value === undefined ? `${flag} needs a value` : `unknown ${flag}`}`);
      console.error(USAGE);
      return 2;
    }
    if (flag === "--out") options.out = value;
    else options.repository = value;
    i++;
  }
  const built = await buildNpmPackage(options);
  const packed = await packNpmPackage(built.dir, `${built.dir}/..`);
  console.error(
    `codex-swarm ${built.manifest.version}: ${packed.files.length} files, ` +
      `${packed.size} bytes packed, ${packed.unpackedSize} unpacked`,
  );
  console.log(packed.tarball);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
