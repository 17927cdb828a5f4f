/**
 * Whether a process reads from an interactive terminal: its standard input is a terminal device
 * (`/dev/pts/N`, `/dev/ttyN`). `codex-swarm top` reads the keys a person types there; an agent's
 * MCP server, a task's command or a script reads a pipe or `/dev/null`. The supervisor uses it to
 * give `top`'s session the one path a person uses to answer approvals (see session.ts).
 *
 * Linux only (the link `/proc/<pid>/fd/0`, read with `readlink`, as Deno reads `/proc` only with
 * `--allow-all`); elsewhere, and on any failure, the answer is false.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(innerIsTerminal("/dev/pts/3"), true);
 * assert.equal(innerIsTerminal("pipe:[81234]"), false);
 * ```
 * @module
 */

import { stdoutOf } from "../base/process.ts";

/** Whether `link` (what `/proc/<pid>/fd/0` points to) names a terminal device. */
export function innerIsTerminal(link: string): boolean {
  return /^\/dev\/(pts\/\d+|tty\d*|ttys\d+)$/.test(link.trim());
}

/** Whether process `pid`'s standard input is a terminal (false where that cannot be told). */
export async function stdinIsTerminal(pid: number): Promise<boolean> {
  if (Deno.build.os !== "linux" || !Number.isInteger(pid) || pid <= 1) return false;
  // A failed readlink prints nothing, which names no terminal.
  return innerIsTerminal(await stdoutOf("readlink", [`/proc/${pid}/fd/0`]) ?? "");
}
