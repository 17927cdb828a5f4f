/**
 * Whether a task's `check` command can start, decided before anything is created: it is not
 * empty, holds no NUL byte, and when it starts with a plain word (`npm test`, `pytest -q`) that
 * is not a shell builtin or keyword, that program is on the session's PATH. Commands that start
 * otherwise (`./run-tests`, `CI=1 npm test`, `$(…)`) are left to the shell.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // A program not on the PATH is refused; a shell builtin needs none.
 * assert.throws(() => checkCheckCommand("npm test", { PATH: "" }), /npm/);
 * checkCheckCommand("test -f result.txt", { PATH: "" });
 * ```
 * @module
 */

import { stringProblem } from "./request_check.ts";
import { RequestError } from "../tasks/request_error.ts";

/** The POSIX shell's builtins and reserved words (and the common ones of dash and bash). */
const SHELL_WORDS = new Set([
  "!",
  ".",
  ":",
  "[",
  "alias",
  "bg",
  "break",
  "case",
  "cd",
  "command",
  "continue",
  "echo",
  "eval",
  "exec",
  "exit",
  "export",
  "false",
  "fc",
  "fg",
  "for",
  "getopts",
  "hash",
  "if",
  "jobs",
  "kill",
  "printf",
  "pwd",
  "read",
  "readonly",
  "return",
  "set",
  "shift",
  "test",
  "times",
  "trap",
  "true",
  "type",
  "ulimit",
  "umask",
  "unalias",
  "unset",
  "until",
  "wait",
  "while",
  "{",
  "(",
]);

/** The command's first word when it is a plain program name, else null. */
export function programOf(command: string): string | null {
  const word = /^\s*([^\s;&|<>()$`'"\\]+)/.exec(command)?.[1];
  if (word === undefined || word.includes("/") || word.includes("=")) return null;
  return SHELL_WORDS.has(word) ? null : word;
}

/** Whether `dir/name` is an executable file. */
function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * @param command The check, as given.
 * @param env The session's environment (its PATH is where the program is looked for).
 * @param field The request field, for the message.
 * @throws {RequestError} When the check is empty, holds a NUL byte or a lone surrogate, or its
 * program is not on the PATH.
 */
export function checkCheckCommand(
  command: string,
  env: Record<string, string>,
  field = "check",
): void {
  if (command.trim() === "") {
    throw new RequestError(field, `Cannot run ${field} as it is empty`);
  }
  const problem = stringProblem(command);
  if (problem !== null) throw new RequestError(field, `Cannot run ${field} as ${problem}`);
  const program = programOf(command);
  if (program === null) return;
  const path = env.PATH ?? "";
  const found = path.split(":").some((dir) => dir !== "" && isExecutable(`${dir}/${program}`));
  if (!found) {
    throw new RequestError(
      field,
      `Cannot run ${field} ${JSON.stringify(command.slice(0, 200))} as its program ` +
        `"${program}" is not on the session's PATH (${path.slice(0, 300) || "empty"})`,
    );
  }
}
