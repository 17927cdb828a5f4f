/**
 * Runs bare `codex exec --json` processes against a test world, as the baseline that the server's
 * parallel runs are compared with.
 *
 * @module
 */

import type { World } from "./harness.ts";

/**
 * Starts `n` bare `codex exec` runs together and returns the wall time until all ended, in ms.
 * `onSpawned` gets their process ids as soon as all are started (e.g. to sample their memory).
 *
 * @example Not run: it runs the real `codex exec`, in a world of its own (`world`).
 * ```ts ignore
 * const ms = await bareCodexWallMs(world, 4, (i) => `task ${i} SLEEP=2000`);
 * ```
 */
export async function bareCodexWallMs(
  world: World,
  n: number,
  prompt: (i: number) => string,
  onSpawned?: (pids: number[]) => void,
) {
  const start = performance.now();
  const children = Array.from({ length: n }, (_, i) =>
    new Deno.Command("codex", {
      args: ["exec", "--json", "--skip-git-repo-check", "--", prompt(i)],
      env: world.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn());
  onSpawned?.(children.map((child) => child.pid));
  const outputs = await Promise.all(children.map((child) => child.output()));
  const wall = performance.now() - start;
  const failed = outputs.filter((o) =>
    !new TextDecoder().decode(o.stdout).includes("turn.completed")
  );
  if (failed.length > 0) {
    const stderr = new TextDecoder().decode(failed[0]!.stderr).slice(-2000);
    throw new Error(
      `${failed.length} of ${n} bare codex runs did not complete; the first one's stderr: ${stderr}`,
    );
  }
  return wall;
}
