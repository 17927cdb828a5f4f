/**
 * Tests for `check_links.ts`: slugs, links, and every kind of problem, on Markdown given inline;
 * then the repository's own README and docs.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  formatProblem,
  linksOf,
  main,
  problemsOf,
  REPO_URL,
  slugOf,
  slugsOf,
} from "./check_links.ts";

const DOCS = `${REPO_URL}/blob/main/docs`;

/** A README that passes: both set-up commands early, every page given linked. */
function readme(...extra: string[]): string {
  return [
    "# codex-swarm",
    "",
    "```sh",
    "npm install -g deno@2.9.6 && deno task start",
    "```",
    "",
    "```sh",
    "npm install -g deno@2.9.6 && deno task test",
    "```",
    "",
    `- [Tools](${DOCS}/tools.md)`,
    ...extra,
    "",
  ].join("\n");
}

const TOOLS = [
  "# Tools",
  "",
  "## `codex_review`",
  "",
  "## Best of N: `attempts` and `check`",
  "",
  "## Phases",
  "",
  "## Phases",
  "",
].join("\n");

/** The problems of `files`, formatted. */
function problems(files: Record<string, string>): string[] {
  return problemsOf(files).map(formatProblem);
}

Deno.test("slugOf follows GitHub: lowercase, punctuation dropped but - and _, spaces to -", () => {
  assert.equal(slugOf("Best of N: `attempts` and `check`"), "best-of-n-attempts-and-check");
  assert.equal(slugOf("`codex_review`"), "codex_review");
  assert.equal(slugOf("Watch the swarm: `codex-swarm top`"), "watch-the-swarm-codex-swarm-top");
  assert.equal(slugOf("Deno, from JSR"), "deno-from-jsr");
  assert.equal(slugOf("State and clean-up"), "state-and-clean-up");
  assert.equal(slugOf("[Linked](https://example.com) **bold** _em_ text"), "linked-bold-em-text");
  assert.equal(slugOf("A  B"), "a--b", "each space is a hyphen");
  assert.equal(slugOf("Ünïcode stays, ‘quotes’ go"), "ünïcode-stays-quotes-go");
});

Deno.test("slugsOf numbers a repeated heading -1, -2, and skips headings in code blocks", () => {
  const markdown = [
    "# Phases",
    "## Phases",
    "```md",
    "# Phases",
    "```",
    "### Phases ###",
    "Setext heading",
    "==============",
    "    # not a code block, an indented heading is still one only up to 3 spaces",
    "#notaheading",
  ].join("\n");
  assert.deepEqual(slugsOf(markdown), ["phases", "phases-1", "phases-2", "setext-heading"]);
  assert.deepEqual(slugsOf("# a-1\n# a\n# a\n"), ["a-1", "a", "a-2"]);
});

Deno.test("linksOf finds inline links, images, definitions and autolinks, but not code", () => {
  const markdown = [
    "See [the tools](docs/tools.md#codex_review) and ![a chart](bench/chart.svg).",
    "A link whose text [wraps over",
    "two lines](#phases).",
    "`[not a link](nope.md)` and ``code with ` [no](nope2.md)``",
    "```md",
    "[not a link either](nope3.md)",
    "```",
    "~~~",
    "[nor this](nope4.md)",
    "~~~",
    '<https://example.com/x> and <a href="docs/a.md">a</a>',
    "[ref]: docs/b.md",
    `Bare: ${DOCS}/c.md#x.`,
  ].join("\n");
  assert.deepEqual(linksOf(markdown), [
    { line: 1, target: "docs/tools.md#codex_review" },
    { line: 1, target: "bench/chart.svg" },
    { line: 3, target: "#phases" },
    { line: 11, target: "https://example.com/x" },
    { line: 11, target: "docs/a.md" },
    { line: 12, target: "docs/b.md" },
    { line: 13, target: `${DOCS}/c.md#x` },
  ]);
});

Deno.test("a set of files without problems has none", () => {
  assert.deepEqual(
    problems({
      "README.md": readme(
        `[Best of N](${DOCS}/tools.md#best-of-n-attempts-and-check), [top](#codex-swarm)`,
        `[second Phases](${DOCS}/tools.md#phases-1), [a site](https://example.com/nope.md)`,
      ),
      "docs/tools.md": `${TOOLS}[relative](../README.md#codex-swarm) [same page](#codex_review)\n`,
    }),
    [],
  );
});

Deno.test("a broken anchor, absolute or relative, is named with its file and line", () => {
  assert.deepEqual(
    problems({
      "README.md": readme(`[x](${DOCS}/tools.md#codex_reveiw)`),
      "docs/tools.md": `${TOOLS}\n[y](#best-of-n)\n[z](../README.md#nope)\n`,
    }),
    [
      `README.md:12: ${DOCS}/tools.md#codex_reveiw: no heading "codex_reveiw" in docs/tools.md`,
      `docs/tools.md:11: #best-of-n: no heading "best-of-n" in docs/tools.md`,
      `docs/tools.md:12: ../README.md#nope: no heading "nope" in README.md`,
    ],
  );
});

Deno.test("a duplicate heading's third anchor does not exist", () => {
  assert.deepEqual(
    problems({
      "README.md": readme(`[x](${DOCS}/tools.md#phases-2)`),
      "docs/tools.md": TOOLS,
    }),
    [`README.md:12: ${DOCS}/tools.md#phases-2: no heading "phases-2" in docs/tools.md`],
  );
});

Deno.test("a link to a missing file, absolute or relative, is a problem", () => {
  assert.deepEqual(
    problems({
      "README.md": readme(`[x](${DOCS}/nope.md)`, `[lib](${REPO_URL}/tree/main/lib)`),
      "docs/tools.md": `${TOOLS}[y](missing.md)\n[z](../../outside.md)\n`,
    }),
    [
      `README.md:12: ${DOCS}/nope.md: no such file`,
      `README.md:13: ${REPO_URL}/tree/main/lib: no such file`,
      "docs/tools.md:10: missing.md: no such file",
      "docs/tools.md:11: ../../outside.md: outside the repository",
    ],
  );
});

Deno.test("files beyond the checked ones are asked of the checkout", () => {
  const found = problemsOf(
    {
      "README.md": readme(
        `[b](${REPO_URL}/blob/main/BENCHMARKS.md#run-g)`,
        `[m](${REPO_URL}/blob/main/main.ts#L3)`,
      ),
      "docs/tools.md": TOOLS,
    },
    {
      exists: (p) => ["BENCHMARKS.md", "main.ts"].includes(p),
      read: (p) => (p === "BENCHMARKS.md" ? "# Benchmarks\n## Run F\n" : undefined),
    },
  );
  assert.deepEqual(found.map(formatProblem), [
    `README.md:12: ${REPO_URL}/blob/main/BENCHMARKS.md#run-g: no heading "run-g" in BENCHMARKS.md`,
  ]);
});

Deno.test("a docs page the README does not link is a problem", () => {
  assert.deepEqual(
    problems({
      "README.md": readme(),
      "docs/tools.md": TOOLS,
      "docs/orphan.md": `# Orphan\n\n[tools](${DOCS}/tools.md)\n`,
    }),
    [`docs/orphan.md:1: not linked from README.md (link it as ${DOCS}/orphan.md)`],
  );
});

Deno.test("links inside code blocks and code spans are not checked, nor do they link a page", () => {
  const inCode =
    `\`\`\`md\n[x](${DOCS}/nope.md)\n[y](${DOCS}/orphan.md)\n\`\`\`\n\`[z](${DOCS}/nope.md)\``;
  assert.deepEqual(
    problems({
      "README.md": readme(inCode),
      "docs/tools.md": TOOLS,
      "docs/orphan.md": "# Orphan\n",
    }),
    [`docs/orphan.md:1: not linked from README.md (link it as ${DOCS}/orphan.md)`],
  );
});

Deno.test("a relative link to a file from the README is a problem (npm and JSR show it alone)", () => {
  assert.deepEqual(
    problems({ "README.md": readme("[tools](docs/tools.md#phases)"), "docs/tools.md": TOOLS }),
    [
      "README.md:12: docs/tools.md#phases: relative link in the README (npm and JSR show it " +
      `without the repository): use ${DOCS}/tools.md`,
    ],
  );
});

Deno.test("the README has at most 249 lines", () => {
  const long = readme(...Array.from({ length: 239 }, (_, i) => `line ${i}`));
  assert.deepEqual(problems({ "README.md": long, "docs/tools.md": TOOLS }), [
    "README.md:250: 250 lines; at most 249 (move reference text to docs/)",
  ]);
  const fits = readme(...Array.from({ length: 238 }, (_, i) => `line ${i}`));
  assert.equal(fits.split("\n").length - 1, 249);
  assert.deepEqual(problems({ "README.md": fits, "docs/tools.md": TOOLS }), []);
});

Deno.test("both set-up commands must be in the README's first 60 lines", () => {
  const late = [
    "# codex-swarm",
    "",
    "npm install -g deno@2.9.6 && deno task start",
    ...Array.from({ length: 60 }, () => ""),
    "npm install -g deno@2.9.6 && deno task test",
    `[Tools](${DOCS}/tools.md)`,
    "",
  ].join("\n");
  assert.deepEqual(problems({ "README.md": late, "docs/tools.md": TOOLS }), [
    "README.md:64: npm install -g deno@2.9.6 && deno task test: not within the first 60 lines",
  ]);
  const without = readme().replace(
    "npm install -g deno@2.9.6 && deno task start",
    "deno task start",
  );
  assert.deepEqual(problems({ "README.md": without, "docs/tools.md": TOOLS }), [
    "README.md:1: npm install -g deno@<version> && deno task start: missing (it belongs in the " +
    "first 60 lines)",
  ]);
});

Deno.test("the repository's README and docs have no broken links", async () => {
  const errors: string[] = [];
  const logs: string[] = [];
  const [error, log] = [console.error, console.log];
  console.error = (line: string) => errors.push(line);
  console.log = (line: string) => logs.push(line);
  try {
    assert.equal(await main(), 0, errors.join("\n"));
  } finally {
    [console.error, console.log] = [error, log];
  }
  assert.match(logs.join("\n"), /^check_links: \d+ links in \d+ files, none broken$/);
});
