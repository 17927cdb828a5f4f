/**
 * Tests for `render_formula.ts`, against the real template in `.github/homebrew/`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  archiveName,
  main,
  normaliseVersion,
  parseCliArgs,
  parseSha256Sums,
  RenderError,
  renderFormula,
} from "./render_formula.ts";

const TEMPLATE_PATH = new URL("../homebrew/codex-swarm.rb.tmpl", import.meta.url);
const TEMPLATE = await Deno.readTextFile(TEMPLATE_PATH);

/** The targets Homebrew installs from (Windows is not one). */
const BREW_TARGETS = [
  "aarch64-apple-darwin",
  "x86_64-apple-darwin",
  "aarch64-unknown-linux-gnu",
  "x86_64-unknown-linux-gnu",
] as const;

const VERSION = "1.2.3";
const BASE_URL = "https://github.com/codex-swarm/codex-swarm/releases/download/v1.2.3";
const HOMEPAGE = "https://github.com/codex-swarm/codex-swarm";

/** A distinct, recognisable digest per target. */
function digestFor(target: string): string {
  const index = BREW_TARGETS.indexOf(target as typeof BREW_TARGETS[number]);
  return String(index + 1).repeat(64);
}

/** A SHA256SUMS file as `sha256sum` writes it, for all release targets but `omit`. */
function sumsFile(omit: readonly string[] = []): string {
  const lines = BREW_TARGETS.filter((target) => !omit.includes(target)).map((target) =>
    `${digestFor(target)}  ${archiveName(VERSION, target)}`
  );
  lines.push(`${"f".repeat(64)}  codex-swarm-${VERSION}-x86_64-pc-windows-msvc.zip`);
  return `${lines.join("\n")}\n`;
}

/** Asserts that `fn` throws a {@link RenderError} and returns its message. */
function renderErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RenderError, `expected RenderError, got ${error}`);
    return error.message;
  }
  assert.fail("expected a RenderError");
}

Deno.test("the template uses a URL and a checksum placeholder for each Homebrew target", () => {
  for (const target of BREW_TARGETS) {
    assert.ok(TEMPLATE.includes(`{{URL_${target}}}`), `template lacks {{URL_${target}}}`);
    assert.ok(TEMPLATE.includes(`{{SHA256_${target}}}`), `template lacks {{SHA256_${target}}}`);
  }
  assert.ok(TEMPLATE.includes('bin.install "codex-swarm"'));
  assert.ok(TEMPLATE.includes('shell_output("#{bin}/codex-swarm --version")'));
});

Deno.test("renders every placeholder: version, homepage, URLs and checksums", () => {
  const formula = renderFormula(TEMPLATE, {
    version: VERSION,
    baseUrl: `${BASE_URL}/`,
    homepage: HOMEPAGE,
    sums: parseSha256Sums(sumsFile()),
  });

  assert.doesNotMatch(formula, /\{\{/);
  assert.match(formula, /^\s*version "1\.2\.3"$/m);
  assert.match(formula, new RegExp(`^\\s*homepage "${HOMEPAGE}"$`, "m"));
  for (const target of BREW_TARGETS) {
    const url = `${BASE_URL}/codex-swarm-1.2.3-${target}.tar.gz`;
    // Each URL is followed directly by its own target's checksum.
    assert.match(formula, new RegExp(`url "${url}"\\n\\s*sha256 "${digestFor(target)}"\\n`));
  }
  // Ruby interpolation in the test block is left alone.
  assert.ok(formula.includes('shell_output("#{bin}/codex-swarm --version")'));
});

Deno.test("a leading v on the version is dropped", () => {
  const formula = renderFormula(TEMPLATE, {
    version: "v1.2.3",
    baseUrl: BASE_URL,
    homepage: HOMEPAGE,
    sums: parseSha256Sums(sumsFile()),
  });
  assert.match(formula, /version "1\.2\.3"/);
  assert.doesNotMatch(formula, /codex-swarm-v1\.2\.3/);
});

Deno.test("a missing checksum fails and names the target", () => {
  const message = renderErrorOf(() =>
    renderFormula(TEMPLATE, {
      version: VERSION,
      baseUrl: BASE_URL,
      homepage: HOMEPAGE,
      sums: parseSha256Sums(sumsFile(["aarch64-unknown-linux-gnu"])),
    })
  );
  assert.match(message, /no checksum for target aarch64-unknown-linux-gnu/);
  assert.match(message, /codex-swarm-1\.2\.3-aarch64-unknown-linux-gnu\.tar\.gz/);
  assert.doesNotMatch(message, /x86_64-unknown-linux-gnu/, "only the missing target is named");
});

Deno.test("every missing checksum is reported at once", () => {
  const message = renderErrorOf(() =>
    renderFormula(TEMPLATE, {
      version: VERSION,
      baseUrl: BASE_URL,
      homepage: HOMEPAGE,
      sums: new Map(),
    })
  );
  for (const target of BREW_TARGETS) {
    assert.match(message, new RegExp(`no checksum for target ${target}\\b`));
  }
});

Deno.test("checksums for another version do not count", () => {
  const message = renderErrorOf(() =>
    renderFormula(TEMPLATE, {
      version: "1.2.4",
      baseUrl: BASE_URL,
      homepage: HOMEPAGE,
      sums: parseSha256Sums(sumsFile()),
    })
  );
  assert.match(message, /codex-swarm-1\.2\.4-aarch64-apple-darwin\.tar\.gz is not in SHA256SUMS/);
});

Deno.test("a placeholder that cannot be filled is reported, not left in the formula", () => {
  const inputs = {
    version: VERSION,
    baseUrl: BASE_URL,
    homepage: HOMEPAGE,
    sums: parseSha256Sums(sumsFile()),
  };
  assert.match(
    renderErrorOf(() => renderFormula(`${TEMPLATE}# {{LICENSE}}\n`, inputs)),
    /unknown placeholder \{\{LICENSE\}\}/,
  );
  assert.match(
    renderErrorOf(() => renderFormula(`${TEMPLATE}# {{}}\n`, inputs)),
    /placeholder \{\{\}\} is left in the formula/,
  );
  assert.match(
    renderErrorOf(() => renderFormula(TEMPLATE, { ...inputs, homepage: undefined })),
    /\{\{HOMEPAGE\}\} is used but no homepage was given/,
  );
});

Deno.test("bad versions are rejected", () => {
  assert.equal(normaliseVersion("v0.1.0"), "0.1.0");
  assert.equal(normaliseVersion("0.1.0-rc.1"), "0.1.0-rc.1");
  assert.equal(normaliseVersion(" 1.2.3\n"), "1.2.3");
  for (const bad of ["", "1.2", "latest", "1.2.3/../x", 'v1.2.3"', "vv1.2.3"]) {
    assert.match(renderErrorOf(() => normaliseVersion(bad)), /is not like 1\.2\.3/);
  }
});

Deno.test("SHA256SUMS parsing: text and binary mode, paths, case, blank lines", () => {
  const sums = parseSha256Sums(
    [
      `${"A".repeat(64)}  dist/codex-swarm-1.2.3-x86_64-apple-darwin.tar.gz`,
      "",
      `${"b".repeat(64)} *codex-swarm-1.2.3-aarch64-apple-darwin.tar.gz`,
      "",
    ].join("\r\n"),
  );
  assert.deepEqual(
    [...sums],
    [
      ["codex-swarm-1.2.3-x86_64-apple-darwin.tar.gz", "a".repeat(64)],
      ["codex-swarm-1.2.3-aarch64-apple-darwin.tar.gz", "b".repeat(64)],
    ],
  );
});

Deno.test("SHA256SUMS parsing rejects malformed lines and conflicting entries", () => {
  assert.match(
    renderErrorOf(() => parseSha256Sums(`${"a".repeat(63)}  x.tar.gz\n`)),
    /line 1 is not "<sha256> {2}<file>"/,
  );
  assert.match(
    renderErrorOf(() =>
      parseSha256Sums(`${"a".repeat(64)}  x.tar.gz\n${"b".repeat(64)}  x.tar.gz`)
    ),
    /lists x\.tar\.gz twice/,
  );
});

Deno.test("command line: required flags are named", () => {
  const message = renderErrorOf(() => parseCliArgs(["--version", "1.2.3", "--bogus", "x"]));
  assert.match(message, /unknown argument --bogus/);
  assert.match(message, /--template is required/);
  assert.match(message, /--base-url is required/);
  assert.match(message, /--sums is required/);
  assert.deepEqual(
    parseCliArgs(["--template=t", "--version", "1", "--base-url", "u", "--sums", "s"]),
    {
      template: "t",
      version: "1",
      baseUrl: "u",
      homepage: undefined,
      sums: "s",
      output: undefined,
    },
  );
});

Deno.test("main: renders to a file, and exits 1 naming the target when a checksum is missing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "render_formula_test_" });
  try {
    const sums = `${dir}/SHA256SUMS`;
    const output = `${dir}/codex-swarm.rb`;
    const args = [
      "--template",
      fileURLToPath(TEMPLATE_PATH),
      "--version",
      VERSION,
      "--base-url",
      BASE_URL,
      "--homepage",
      HOMEPAGE,
      "--sums",
      sums,
      "--output",
      output,
    ];

    await Deno.writeTextFile(sums, sumsFile());
    assert.equal(await main(args), 0);
    const formula = await Deno.readTextFile(output);
    assert.match(formula, /class CodexSwarm < Formula/);
    assert.doesNotMatch(formula, /\{\{/);

    await Deno.remove(output);
    await Deno.writeTextFile(sums, sumsFile(["x86_64-apple-darwin"]));
    const errors: string[] = [];
    const originalError = console.error;
    console.error = (...data: unknown[]) => errors.push(data.join(" "));
    try {
      assert.equal(await main(args), 1);
    } finally {
      console.error = originalError;
    }
    assert.match(errors.join("\n"), /no checksum for target x86_64-apple-darwin/);
    await assert.rejects(Deno.stat(output), Deno.errors.NotFound, "no partial formula is written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
