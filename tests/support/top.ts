/**
 * Helpers for the end-to-end tests of `codex-swarm top`: its command line from this checkout,
 * tasks started through another client, and waiting on what the tmux pane shows.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SERVER_PERMISSIONS } from "../../lib/supervisor/permissions.ts";
import { eventually, type Harness, textOf } from "./harness.ts";
import type { Tmux } from "./tmux.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The argv of `codex-swarm top` from this checkout, with `args` after `top`. */
export function topArgv(...args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    ...SERVER_PERMISSIONS,
    `${ROOT}main.ts`,
    "top",
    ...args,
  ];
}

/** Starts a task with `codex_async` through `h`'s client; returns its id. */
export async function startTask(h: Harness, args: Record<string, unknown>): Promise<string> {
  const result = await h.client.callTool({ name: "codex_async", arguments: args });
  assert.equal(result.isError, undefined, textOf(result));
  return (result.structuredContent as { task_id: string }).task_id;
}

/** A task's phase, from `codex_status` through `h`'s client. */
export async function phaseOf(h: Harness, id: string): Promise<string> {
  const result = await h.client.callTool({ name: "codex_status", arguments: { task_ids: [id] } });
  return (result.structuredContent as { tasks: Array<{ phase: string }> }).tasks[0]!.phase;
}

/** The pane's line that shows task `id`, or "". */
export function rowOf(pane: string, id: string): string {
  return pane.split("\n").find((line) => line.includes(id)) ?? "";
}

/** Waits until the pane satisfies `check`; fails with `what` and the pane when it does not. */
export async function untilPane(
  term: Tmux,
  what: string,
  check: (pane: string) => boolean,
  ms = 30_000,
): Promise<string> {
  let pane = "";
  const ok = await eventually(async () => check(pane = await term.capture()), ms);
  assert.ok(ok, `${what}; the pane:\n${pane}`);
  return pane;
}
