/**
 * Checks the links of `README.md` and `docs/*.md`, offline (`deno task check` runs it):
 *
 * - a link to a file of this repository, absolute (`<REPO_URL>/blob/main/<path>`, or `tree/main/`)
 *   or relative, must name a file or directory of the checkout, and its `#anchor` a heading of
 *   that file when it is Markdown (GitHub's slugs: lowercase, punctuation but `-` and `_` dropped,
 *   each space a `-`, a repeated heading numbered `-1`, `-2`, ...);
 * - README.md links every `docs/*.md` page, and no file by a relative link (npm and JSR show the
 *   README without the repository; anchors within the README may stay relative);
 * - README.md has fewer than 250 lines, and both set-up commands
 *   (`npm install -g deno@<version> && deno task start`, and `... test`) in its first 60.
 *
 * Links inside code blocks and code spans are not links. Links to other sites are not fetched.
 * Each problem is one line on stderr, `file:line: target: what is wrong`; the exit code is 1 if
 * there is any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const readme = "# x\n\n[Tools](https://github.com/codex-swarm/codex-swarm/blob/main/docs/tools.md#nope)\n";
 * const problems = problemsOf({ "README.md": readme, "docs/tools.md": "# Tools\n" });
 * assert.deepEqual(problems.map(formatProblem), [
 *   'README.md:3: https://github.com/codex-swarm/codex-swarm/blob/main/docs/tools.md#nope: no heading "nope" in docs/tools.md',
 *   "README.md:1: npm install -g deno@<version> && deno task start: missing (it belongs in the first 60 lines)",
 *   "README.md:1: npm install -g deno@<version> && deno task test: missing (it belongs in the first 60 lines)",
 * ]);
 * ```
 *
 * ```sh
 * deno run --allow-read .github/scripts/check_links.ts
 * ```
 *
 * @module
 */

import path from "node:path";

/** The repository's address on GitHub; links under it are checked against the checkout. */
export const REPO_URL = "https://github.com/codex-swarm/codex-swarm";

/** The most lines README.md may have. */
export const README_MAX_LINES = 249;

/** The set-up commands must be within this many first lines of README.md. */
export const SETUP_WITHIN_LINES = 60;

/** The two set-up commands README.md gives, each a line of its own. */
export const SETUP_COMMANDS: ReadonlyArray<{ shown: string; pattern: RegExp }> = [
  {
    shown: "npm install -g deno@<version> && deno task start",
    pattern: /^npm install -g deno@\d+\.\d+\.\d+ && deno task start$/,
  },
  {
    shown: "npm install -g deno@<version> && deno task test",
    pattern: /^npm install -g deno@\d+\.\d+\.\d+ && deno task test$/,
  },
];

/** A link in a Markdown file. */
export interface Link {
  /** 1-based line of the link's target. */
  line: number;
  /** The target as written (without `<` `>`), e.g. `docs/tools.md#codex_review`. */
  target: string;
}

/** One thing wrong, printed by {@link formatProblem}. */
export interface Problem {
  /** The file it is in, relative to the repository root. */
  file: string;
  /** 1-based line. */
  line: number;
  /** The link target concerned, if any. */
  target?: string;
  /** What is wrong. */
  message: string;
}

/** What {@link problemsOf} may ask of the checkout beyond the files it checks. */
export interface Checkout {
  /** Whether a file or directory exists at `path` (relative to the root, `/`-separated). */
  exists(path: string): boolean;
  /** The text of the file at `path`, or `undefined` if there is none. */
  read(path: string): string | undefined;
}

/** `file:line: target: message`, the line printed for a problem. */
export function formatProblem(problem: Problem): string {
  const target = problem.target === undefined ? "" : `${problem.target}: `;
  return `${problem.file}:${problem.line}: ${target}${problem.message}`;
}

/** Whether `line` opens or closes a fenced code block: its fence character and length. */
function fenceOf(line: string): { char: string; length: number; rest: string } | null {
  const match = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
  if (!match) return null;
  return { char: match[1]![0]!, length: match[1]!.length, rest: match[2]! };
}

/** The text with every fenced code block (fences included) blanked, line breaks kept. */
function withoutFences(markdown: string): string {
  const lines = markdown.split("\n");
  let open: { char: string; length: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const fence = fenceOf(lines[i]!);
    if (open) {
      if (fence && fence.char === open.char && fence.length >= open.length && !fence.rest.trim()) {
        open = null;
      }
      lines[i] = "";
    } else if (fence && !(fence.char === "`" && fence.rest.includes("`"))) {
      open = fence;
      lines[i] = "";
    }
  }
  return lines.join("\n");
}

/** Whether a blank line starts right after the line break at `at`. */
function blankLineAfter(text: string, at: number): boolean {
  let i = at + 1;
  while (text[i] === " " || text[i] === "\t") i++;
  return i >= text.length || text[i] === "\n";
}

/** The text with every code span blanked (line breaks kept, so line numbers stay right). */
function withoutCodeSpans(text: string): string {
  const out = text.split("");
  let i = 0;
  while (i < text.length) {
    if (text[i] !== "`") {
      i++;
      continue;
    }
    let n = 0;
    while (text[i + n] === "`") n++;
    let j = i + n;
    let close = -1;
    while (j < text.length) {
      if (text[j] === "`") {
        let m = 0;
        while (text[j + m] === "`") m++;
        if (m === n) {
          close = j;
          break;
        }
        j += m;
      } else if (text[j] === "\n" && blankLineAfter(text, j)) {
        break;
      } else {
        j++;
      }
    }
    if (close < 0) {
      i += n;
      continue;
    }
    for (let k = i; k < close + n; k++) if (out[k] !== "\n") out[k] = " ";
    i = close + n;
  }
  return out.join("");
}

/** `text` with `[start, end)` replaced by spaces (line breaks kept). */
function blank(text: string, start: number, end: number): string {
  return text.slice(0, start) + text.slice(start, end).replace(/[^\n]/g, " ") + text.slice(end);
}

/** 1-based line of `index` in `text`. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text[i] === "\n") line++;
  return line;
}

const INLINE_LINK =
  /!?\[((?:[^[\]\\]|\\.|\[(?:[^[\]\\]|\\.)*\])*)\]\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?\s*\)/g;
const DEFINITION = /^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^<>\n]*>|\S+)/gm;
const AUTOLINK = /<([a-z][a-z0-9+.-]*:[^\s<>]+)>/gi;
const HTML_LINK = /\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;
const escaped = REPO_URL.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const BARE_REPO_URL = new RegExp(`${escaped}/(?:blob|tree)/main/[^\\s<>()[\\]"'\`]*`, "g");

/**
 * The links of a Markdown text, in order: inline links and images, reference definitions,
 * autolinks, HTML `href` and `src`, and bare URLs of this repository's files. Links inside fenced
 * code blocks and code spans are left out.
 *
 * @param markdown The file's text.
 * @returns Each link's line and target.
 */
export function linksOf(markdown: string): Link[] {
  let text = withoutCodeSpans(withoutFences(markdown));
  const found: Array<{ index: number; target: string }> = [];
  const take = (
    pattern: RegExp,
    pick: (m: RegExpExecArray) => { offset: number; target: string },
  ) => {
    for (const match of text.matchAll(pattern)) {
      const { offset, target } = pick(match);
      found.push({ index: match.index + offset, target });
    }
    for (const match of [...text.matchAll(pattern)].reverse()) {
      text = blank(text, match.index, match.index + match[0].length);
    }
  };
  take(INLINE_LINK, (m) => ({ offset: m[0].lastIndexOf("](") + 2, target: m[2]! }));
  take(DEFINITION, (m) => ({ offset: m[0].lastIndexOf(m[1]!), target: m[1]! }));
  take(AUTOLINK, (m) => ({ offset: 1, target: m[1]! }));
  take(HTML_LINK, (m) => ({ offset: 0, target: m[1] ?? m[2]! }));
  take(BARE_REPO_URL, (m) => ({ offset: 0, target: m[0].replace(/[.,;:!?*_]+$/, "") }));
  return found
    .sort((a, b) => a.index - b.index)
    .map(({ index, target }) => ({
      line: lineAt(text, index),
      target: target.replace(/^<(.*)>$/, "$1"),
    }));
}

/** The plain text GitHub renders for a heading's Markdown (code spans, links and emphasis undone). */
function headingText(markdown: string): string {
  const parts = markdown.split(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/);
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    if (i % 3 === 0) {
      out += parts[i]!
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/\[([^\]]*)\]\[[^\]]*\]/g, "$1")
        .replace(/<[^>]*>/g, "")
        .replace(/[*~]+/g, "")
        .replace(/(^|[^\p{L}\p{N}])_+(?=\S)|(?<=\S)_+(?=[^\p{L}\p{N}]|$)/gu, "$1")
        .replace(/\\(.)/g, "$1");
    } else if (i % 3 === 2) {
      const code = parts[i]!;
      out += /^ .* $/.test(code) && code.trim() ? code.slice(1, -1) : code;
    }
  }
  return out.trim();
}

/**
 * GitHub's anchor for one heading's text (as github-slugger makes it, without the numbering of
 * repeats): lowercase, every character but letters, digits, `-`, `_` and spaces dropped, each
 * space a `-`.
 *
 * @param heading The heading's Markdown, e.g. "Best of N: `attempts` and `check`".
 * @returns e.g. `best-of-n-attempts-and-check`.
 */
export function slugOf(heading: string): string {
  return headingText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/**
 * The anchors of a Markdown text's headings, in order, as GitHub numbers them: the second heading
 * with the slug `foo` gets `foo-1`, the third `foo-2`. Headings in code blocks are left out.
 *
 * @param markdown The file's text.
 * @returns The anchors, without `#`.
 */
export function slugsOf(markdown: string): string[] {
  const lines = withoutFences(markdown).split("\n");
  const seen = new Map<string, number>();
  const slugs: string[] = [];
  const add = (heading: string) => {
    const base = slugOf(heading);
    let slug = base;
    while (seen.has(slug)) {
      const count = seen.get(base)! + 1;
      seen.set(base, count);
      slug = `${base}-${count}`;
    }
    seen.set(slug, 0);
    slugs.push(slug);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx) {
      add(atx[1] ?? "");
      continue;
    }
    const next = lines[i + 1];
    const plain = line.trim() && !/^\s*([-*+>|]|\d+[.)])/.test(line) &&
      !/^ {0,3}(#|<)/.test(line);
    if (plain && next !== undefined && /^ {0,3}(=+|-+)[ \t]*$/.test(next)) {
      add(line.trim());
      i++;
    }
  }
  return slugs;
}

/** The anchors a link into the file may name: its headings' and its HTML `id`s and `name`s. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set(slugsOf(markdown));
  const html = withoutCodeSpans(withoutFences(markdown));
  for (const match of html.matchAll(/<[a-z][^>]*\b(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) {
    anchors.add(match[1] ?? match[2]!);
  }
  return anchors;
}

/** Where a link points: a path in the checkout (`""` is the root) and an anchor, or elsewhere. */
type Resolved =
  | { kind: "repo"; path: string; anchor: string; relative: boolean }
  | { kind: "outside" }
  | { kind: "external" };

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function resolve(file: string, target: string): Resolved {
  const hash = target.indexOf("#");
  const address = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? "" : decode(target.slice(hash + 1));
  if (address === "") return { kind: "repo", path: file, anchor, relative: true };
  if (/^[a-z][a-z0-9+.-]*:/i.test(address) || address.startsWith("//")) {
    for (const prefix of [`${REPO_URL}/blob/main/`, `${REPO_URL}/tree/main/`]) {
      if (address.startsWith(prefix)) {
        const rest = decode(address.slice(prefix.length).replace(/[?].*$/, ""));
        return { kind: "repo", path: rest.replace(/\/+$/, ""), anchor, relative: false };
      }
    }
    return { kind: "external" };
  }
  const joined = path.posix.normalize(
    path.posix.join(path.posix.dirname(file), decode(address.replace(/[?].*$/, ""))),
  ).replace(/\/+$/, "");
  if (joined === ".." || joined.startsWith("../") || address.startsWith("/")) {
    return { kind: "outside" };
  }
  return { kind: "repo", path: joined === "." ? "" : joined, anchor, relative: true };
}

/** A checkout made of `files` alone (directories are the prefixes of their paths). */
function checkoutOf(files: Readonly<Record<string, string>>): Checkout {
  return {
    exists: (p) => p === "" || p in files || Object.keys(files).some((f) => f.startsWith(`${p}/`)),
    read: (p) => files[p],
  };
}

function lineCount(text: string): number {
  if (text === "") return 0;
  const lines = text.split("\n").length;
  return text.endsWith("\n") ? lines - 1 : lines;
}

/**
 * Every problem with the links of `files` and with README.md's shape (see the module's doc).
 *
 * @param files The Markdown files to check, by path relative to the repository root
 *   (`README.md`, `docs/tools.md`, ...).
 * @param checkout The rest of the checkout, for links to other files; by default `files` alone.
 * @returns The problems, file by file in the order of `files`, each file's by line.
 */
export function problemsOf(
  files: Readonly<Record<string, string>>,
  checkout: Checkout = checkoutOf(files),
): Problem[] {
  const problems: Problem[] = [];
  const linkedFromReadme = new Set<string>();
  const anchorCache = new Map<string, Set<string> | null>();
  const anchorsIn = (p: string) => {
    if (!anchorCache.has(p)) {
      const text = files[p] ?? checkout.read(p);
      anchorCache.set(p, text === undefined ? null : anchorsOf(text));
    }
    return anchorCache.get(p)!;
  };
  for (const [file, text] of Object.entries(files)) {
    for (const { line, target } of linksOf(text)) {
      const to = resolve(file, target);
      if (to.kind === "external") continue;
      if (to.kind === "outside") {
        problems.push({ file, line, target, message: "outside the repository" });
        continue;
      }
      if (file === "README.md") {
        linkedFromReadme.add(to.path);
        if (to.relative && to.path !== file) {
          problems.push({
            file,
            line,
            target,
            message: `relative link in the README (npm and JSR show it without the repository): ` +
              `use ${REPO_URL}/blob/main/${to.path}`,
          });
          continue;
        }
      }
      if (!(to.path in files) && !checkout.exists(to.path)) {
        problems.push({ file, line, target, message: "no such file" });
        continue;
      }
      if (to.anchor === "" || !/\.md$/i.test(to.path)) continue;
      const anchors = anchorsIn(to.path);
      if (anchors && !anchors.has(to.anchor)) {
        problems.push({ file, line, target, message: `no heading "${to.anchor}" in ${to.path}` });
      }
    }
  }
  const readme = files["README.md"];
  if (readme === undefined) return problems;
  for (const page of Object.keys(files)) {
    if (/^docs\/[^/]+\.md$/.test(page) && !linkedFromReadme.has(page)) {
      problems.push({
        file: page,
        line: 1,
        message: `not linked from README.md (link it as ${REPO_URL}/blob/main/${page})`,
      });
    }
  }
  const count = lineCount(readme);
  if (count > README_MAX_LINES) {
    problems.push({
      file: "README.md",
      line: count,
      message: `${count} lines; at most ${README_MAX_LINES} (move reference text to docs/)`,
    });
  }
  const lines = readme.split("\n");
  for (const command of SETUP_COMMANDS) {
    const at = lines.findIndex((line) => command.pattern.test(line.trim()));
    if (at < 0) {
      problems.push({
        file: "README.md",
        line: 1,
        target: command.shown,
        message: `missing (it belongs in the first ${SETUP_WITHIN_LINES} lines)`,
      });
    } else if (at >= SETUP_WITHIN_LINES) {
      problems.push({
        file: "README.md",
        line: at + 1,
        target: lines[at]!.trim(),
        message: `not within the first ${SETUP_WITHIN_LINES} lines`,
      });
    }
  }
  return problems;
}

/** The checkout on disk at `root`; paths must match the names on disk exactly, case included. */
export function diskCheckout(root: string): Checkout {
  const listings = new Map<string, Set<string> | null>();
  const namesIn = (dir: string) => {
    if (!listings.has(dir)) {
      try {
        listings.set(dir, new Set([...Deno.readDirSync(`${root}${dir}`)].map((e) => e.name)));
      } catch {
        listings.set(dir, null);
      }
    }
    return listings.get(dir)!;
  };
  const exists = (p: string) => {
    if (p === "") return true;
    let dir = "";
    for (const part of p.split("/")) {
      if (!namesIn(dir)?.has(part)) return false;
      dir = `${dir}${part}/`;
    }
    return true;
  };
  return {
    exists,
    read: (p) => {
      if (!exists(p)) return undefined;
      try {
        return Deno.readTextFileSync(`${root}${p}`);
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * Checks README.md and `docs/*.md` of the checkout at `root`, prints each problem on stderr and a
 * summary on stdout.
 *
 * @param root The repository root, ending in `/`.
 * @returns The exit code: 0 if nothing is wrong, else 1.
 */
export async function main(root = new URL("../../", import.meta.url).pathname): Promise<number> {
  const files: Record<string, string> = {
    "README.md": await Deno.readTextFile(`${root}README.md`),
  };
  const pages: string[] = [];
  for await (const entry of Deno.readDir(`${root}docs`)) {
    if (entry.isFile && entry.name.endsWith(".md")) pages.push(`docs/${entry.name}`);
  }
  for (const page of pages.sort()) files[page] = await Deno.readTextFile(`${root}${page}`);
  const problems = problemsOf(files, diskCheckout(root));
  for (const problem of problems) console.error(formatProblem(problem));
  const links = Object.values(files).reduce((n, text) => n + linksOf(text).length, 0);
  const fileCount = Object.keys(files).length;
  if (problems.length > 0) {
    console.error(`check_links: ${problems.length} problem(s) in ${fileCount} files`);
    return 1;
  }
  console.log(`check_links: ${links} links in ${fileCount} files, none broken`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
