/**
 * A project's `AGENTS.md` instructions, read by codex-swarm itself: Codex takes none from a project
 * it does not trust, and every thread codex-swarm opens marks its project untrusted
 * (./project_trust.ts), so codex-swarm finds and reads them as Codex 0.169 would for a trusted
 * project (`codex-rs/core/src/agents_md.rs`) and passes them to the thread.
 *
 * As Codex: the project root is the nearest directory from the cwd up holding a
 * `project_root_markers` entry (`.git`), else only the cwd is searched; in each directory from the
 * root down to the cwd the first of `AGENTS.override.md`, `AGENTS.md` and the
 * `project_doc_fallback_filenames` that is a file is taken; their texts are joined root first with
 * a blank line, at most `project_doc_max_bytes` bytes in all (a file over what is left is cut, one
 * that is only whitespace is skipped; 0 reads none), and rendered as Codex renders them,
 * `# AGENTS.md instructions for <cwd>` and the text inside `<INSTRUCTIONS>`.
 *
 * Unlike Codex, a file whose real path (symlinks followed) leaves the project root (the cwd when
 * there is none) is passed over, so a repository cannot send the model a file from elsewhere on
 * the host; and only regular files are opened (without blocking, never a FIFO or a device).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${root}/lib`);
 * await Deno.writeTextFile(`${root}/AGENTS.md`, "Run deno task check.");
 * const text = await readProjectDocs({ cwd: `${root}/lib`, root, maxBytes: 32768 });
 * assert.equal(text, "Run deno task check.");
 * const section = renderProjectDocs(`${root}/lib`, text);
 * assert.match(section, /^# AGENTS\.md instructions for /);
 * await Deno.remove(root, { recursive: true });
 * ```
 * @module
 */

import { createHash } from "node:crypto";
import { constants, promises as fsp } from "node:fs";
import { ancestors } from "./project_root.ts";
import { isWithin } from "../base/within.ts";

/** The local override Codex prefers in each directory. */
export const OVERRIDE_FILENAME = "AGENTS.override.md";
/** The file Codex reads in each directory. */
export const DEFAULT_FILENAME = "AGENTS.md";

/** What {@link readProjectDocs} needs. */
export interface ProjectDocsOptions {
  /** The thread's directory (a real path). */
  cwd: string;
  /** The project root, at or above `cwd`; null: only `cwd` is searched. */
  root: string | null;
  /** At most this many bytes in all; 0 reads nothing. */
  maxBytes: number;
  /** Names tried after {@link DEFAULT_FILENAME}. */
  fallbackFilenames?: readonly string[];
}

/** The directories searched, root first: from `root` down to `cwd`, or `cwd` alone. */
export function searchDirs(cwd: string, root: string | null): string[] {
  const up = ancestors(cwd);
  const at = root === null ? -1 : up.indexOf(root);
  return at === -1 ? [up[0]!] : up.slice(0, at + 1).reverse();
}

/** The names tried in each directory, in order; fallback names that are empty, paths or repeats are left out. */
export function candidateNames(fallbacks: readonly string[] = []): string[] {
  const names = [OVERRIDE_FILENAME, DEFAULT_FILENAME];
  for (const name of fallbacks) {
    if (
      name !== "" && !/[/\\]/.test(name) && name !== "." && name !== ".." && !names.includes(name)
    ) {
      names.push(name);
    }
  }
  return names;
}

/**
 * The real path of `path` when it is a regular file whose real path is inside `within`; else null.
 */
async function containedFile(path: string, within: string): Promise<string | null> {
  const info = await Deno.stat(path).catch(() => null);
  if (info === null || !info.isFile) return null;
  const real = await Deno.realPath(path).catch(() => null);
  return real !== null && isWithin(within, real) ? real : null;
}

/**
 * Up to `limit` bytes of the regular file at `real`; null when it is none by now. Opened without
 * following a symlink and without blocking, and checked again once open.
 */
async function readHead(real: string, limit: number): Promise<Uint8Array | null> {
  const file = await fsp.open(
    real,
    constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW,
  )
    .catch(() => null);
  if (file === null) return null;
  try {
    if (!(await file.stat()).isFile()) return null;
    const buffer = new Uint8Array(limit);
    let filled = 0;
    while (filled < limit) {
      const { bytesRead } = await file.read(buffer, filled, limit - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await file.close();
  }
}

/**
 * The project's instructions for `cwd`: every chosen file's text, root first, joined and capped
 * (see the module doc); null when there are none or `maxBytes` is 0. Reads files only; runs
 * nothing.
 */
export async function readProjectDocs(options: ProjectDocsOptions): Promise<string | null> {
  let remaining = options.maxBytes;
  if (remaining <= 0) return null;
  const within = options.root ?? options.cwd;
  const names = candidateNames(options.fallbackFilenames);
  const texts: string[] = [];
  for (const dir of searchDirs(options.cwd, options.root)) {
    if (remaining <= 0) break;
    let real: string | null = null;
    for (const name of names) {
      real = await containedFile(`${dir}/${name}`, within);
      if (real !== null) break;
    }
    if (real === null) continue;
    const bytes = await readHead(real, remaining);
    if (bytes === null) continue;
    const text = new TextDecoder().decode(bytes);
    if (text.trim() === "") continue;
    texts.push(text);
    remaining -= bytes.length;
  }
  // Codex joins its project entries with a blank line.
  return texts.length === 0 ? null : texts.join("\n\n");
}

/** `text` as Codex 0.169 shows a project's instructions to the model. */
export function renderProjectDocs(cwd: string, text: string): string {
  return `# AGENTS.md instructions for ${cwd}\n\n<INSTRUCTIONS>\n${text}\n</INSTRUCTIONS>`;
}

/** What Codex 0.169 puts first when it sends a thread changed instructions. */
export const REPLACES = "These AGENTS.md instructions replace all previously provided AGENTS.md " +
  "instructions.";
/** What Codex 0.169 sends a thread whose instructions are gone. */
export const GONE =
  "# AGENTS.md instructions\n\n<INSTRUCTIONS>\nThe previously provided AGENTS.md " +
  "instructions no longer apply.\n</INSTRUCTIONS>";

/**
 * For a thread that goes on (a reply, a fork): the fingerprint of its instructions now (SHA-256 of
 * the rendered ones, hex; null for none), which a task records, and what to tell it when they
 * differ from the ones last sent to it, as Codex 0.169 tells a thread of a trusted project: the new
 * ones as a replacement ({@link REPLACES}), or that they no longer apply ({@link GONE}); null when
 * they do not differ.
 * @param sent The fingerprint recorded when they were last sent (null: none were); undefined when
 * nothing was recorded (a thread of an older codex-swarm, or of Codex itself): then only
 * instructions that exist now are sent.
 * @param now The instructions for the thread's cwd now (null: none).
 */
export function projectDocsChange(
  sent: string | null | undefined,
  now: { cwd: string; text: string } | null,
): { digest: string | null; update: string | null } {
  const digest = now === null
    ? null
    : createHash("sha256").update(renderProjectDocs(now.cwd, now.text)).digest("hex");
  const same = digest === sent || (sent === undefined && now === null);
  const update = now === null ? GONE : renderProjectDocs(now.cwd, `${REPLACES}\n\n${now.text}`);
  return { digest, update: same ? null : update };
}
