/**
 * How `codex-swarm top` starts the MCP server it talks to: the same program, as a stdio server.
 * Under `deno run` that is this Deno with the server's permission flags and this main module;
 * compiled, the binary itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const { command, args } = serverCommand(["--max-parallel", "4"]);
 * assert.equal(command, Deno.execPath()); // under `deno run`: this Deno, with the main module
 * assert.deepEqual(args.slice(-2), ["--max-parallel", "4"]);
 * ```
 * @module
 */

import { SERVER_PERMISSIONS } from "../supervisor/permissions.ts";
import { isBundled } from "../supervisor/launch.ts";

/** A program and its arguments. */
export interface ServerCommand {
  command: string;
  args: string[];
}

/** What {@link serverCommand} needs to know about the running program. */
export interface Runtime {
  /** Whether this is a `deno compile`d binary (`Deno.build.standalone`). */
  standalone: boolean;
  /** `Deno.execPath()`: Deno itself, or the compiled binary. */
  execPath: string;
  /** `Deno.mainModule`. */
  mainModule: string;
  /** Whether the main module is the bundle (then run with `--no-config`, see `selfCommand`). */
  bundled?: boolean;
}

function thisRuntime(): Runtime {
  return {
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    bundled: isBundled(),
  };
}

/** The command line of the stdio server `top` starts, given the server flags to pass on. */
export function serverCommand(
  serverArgs: readonly string[],
  runtime = thisRuntime(),
): ServerCommand {
  if (runtime.standalone) return { command: runtime.execPath, args: [...serverArgs] };
  return {
    command: runtime.execPath,
    args: [
      "run",
      "--quiet",
      ...(runtime.bundled ? ["--no-config"] : []),
      ...SERVER_PERMISSIONS,
      runtime.mainModule,
      ...serverArgs,
    ],
  };
}

/**
 * Why this process cannot start `command`, or null when it can: `top` needs run permission for
 * its own program, which the server's permission flags do not grant.
 */
export async function cannotRun(command: string): Promise<string | null> {
  const { state } = await Deno.permissions.query({ name: "run", command });
  if (state === "granted") return null;
  return `Cannot start the server top talks to, as this process may not run "${command}": ` +
    `grant it, e.g. deno run --allow-read --allow-write --allow-env ` +
    `--allow-run=codex,git,kill,ps,${command} main.ts top (deno task start top does)`;
}
