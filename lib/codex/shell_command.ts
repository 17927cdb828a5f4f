/**
 * The command a person wrote, from the shell line Codex runs it as: Codex wraps every command in
 * a login shell (`/bin/bash -lc '<command>'`); views and approval questions show the command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(unwrapShell("/bin/bash -lc 'echo it'\\''s'"), "echo it's");
 * assert.equal(unwrapShell("ls -la"), "ls -la"); // not wrapped: as it is
 * ```
 * @module
 */

/** The command inside `<shell> -lc '<command>'` (or `-c`), else the text as it is. */
export function unwrapShell(line: string): string {
  const m = /^(?:\/usr)?(?:\/bin\/)?(?:ba|z|da)?sh -l?c '((?:[^']|'\\'')*)'$/s.exec(line.trim());
  return m ? m[1]!.replaceAll("'\\''", "'") : line;
}
