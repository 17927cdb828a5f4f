/**
 * Text helpers for views and messages: cut to a length (never splitting a surrogate pair), keep a
 * tail, put on one line, show as JSON, and show the command inside Codex's login shell.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(truncate("abcdef", 4), "abc…");
 * assert.equal(tail("abcdef", 2), "ef");
 * assert.equal(excerpt("one\n  two", 80), "one two");
 * assert.equal(displayCommand("/bin/bash -lc 'ls -la'"), "ls -la");
 * ```
 * @module
 */

/** `text` cut to at most `max` characters, ending in "…" when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  // Not after the high half of a surrogate pair.
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return text.slice(0, end) + "…";
}

/** The last `max` characters of `text`; never starts in the middle of a surrogate pair. */
export function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  let start = text.length - max;
  // Not at the low half of a surrogate pair.
  if (/[\uDC00-\uDFFF]/.test(text[start]!)) start++;
  return text.slice(start);
}

/** `text` on one line: runs of whitespace become one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** `text` on one line, at most `max` characters (cut before collapsing, so huge texts are cheap). */
export function excerpt(text: string, max: number): string {
  return truncate(oneLine(truncate(text, max * 4)), max);
}

/** `value` as JSON, or as a string when it cannot be. */
export function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The login shell Codex wraps every command in: `/bin/bash -lc <one shell word>` (or `-c`). */
const SHELL_WRAPPER = /^(?:\/usr)?(?:\/bin\/)?(?:ba|z|da)?sh -l?c (.+)$/s;

/** Reads `text` as exactly one shell word (quotes and backslashes resolved), or null. */
function singleShellWord(text: string): string | null {
  let word = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return null;
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) i++;
        word += text[i]!;
        i++;
      }
      if (i >= text.length) return null;
      i++;
    } else if (c === "\\") {
      if (i + 1 >= text.length) return null;
      word += text[i + 1]!;
      i += 2;
    } else if (/\s/.test(c)) {
      return null;
    } else {
      word += c;
      i++;
    }
  }
  return word;
}

/**
 * The command a person wrote, without the login shell Codex runs it in: `/bin/bash -lc 'ls -la'`
 * becomes `ls -la`. Any other command line (not exactly one shell word after `-lc`) is returned
 * as is.
 */
export function displayCommand(command: string): string {
  const match = SHELL_WRAPPER.exec(command.trim());
  if (!match) return command;
  return singleShellWord(match[1]!) ?? command;
}
