/**
 * Where a task runs: on the supervisor's machine (`local`) or on a worker (see docs/workers.md).
 * Pure: it reads the workers as {@link PlacementSlot}s and the task as a {@link PlacementDemand}.
 *
 * - A call may pin `worker: "NAME"`; an unknown name is refused, naming the known ones.
 * - A reply, fork or review of a remote task runs on its task's worker (it arrives pinned).
 * - Otherwise a worktree task goes to the ready worker with the most free slots, local included
 *   (local first on a tie: nothing travels); a task without a worktree runs locally (with
 *   `--no-local` it is refused: its files are the caller's, on this machine).
 * - A worker that cannot enforce a sandbox takes no sandboxed task (`danger-full-access` only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const slots = [
 *   { name: "local", local: true, ready: true, cap: 2, running: 2, sandbox: "enforced" as const },
 *   { name: "gpu", local: false, ready: true, cap: 4, running: 1, sandbox: "enforced" as const },
 * ];
 * const demand = { pinned: null, worktree: true, sandboxed: true };
 * checkPlacement(demand, slots); // no throw
 * assert.equal(placeTask(demand, slots), "gpu"); // local is full
 * ```
 * @module
 */

import type { SandboxSupport } from "../workers/sandbox_probe.ts";

/** A worker as placement sees it. */
export interface PlacementSlot {
  name: string;
  /** The supervisor's own machine (no exec-server, nothing travels). */
  local: boolean;
  /** Connected and usable now (a down or connecting worker takes nothing). */
  ready: boolean;
  /** Why it is down (past its grace, or its connect failed), or null when it is not. */
  down?: string | null;
  /** How many tasks it may run at once. */
  cap: number;
  /** How many of its slots are taken now. */
  running: number;
  /** Whether a task's sandbox holds there (found by the connect-time probe). */
  sandbox: SandboxSupport;
}

/** What a task asks of placement. */
export interface PlacementDemand {
  /** The worker the call pinned, or that its parent task (reply, fork, review) ran on. */
  pinned: string | null;
  /** Whether the task has a worktree (only a worktree travels to a worker). */
  worktree: boolean;
  /** Whether the task runs in a sandbox (anything but `danger-full-access`). */
  sandboxed: boolean;
}

/**
 * Refuses a task no worker could ever take, before it is queued.
 * @throws {Error} Naming the `worker` field, the worker and why.
 */
export function checkPlacement(demand: PlacementDemand, slots: readonly PlacementSlot[]): void {
  const hasLocal = slots.some((s) => s.local);
  if (demand.pinned !== null) {
    const slot = slots.find((s) => s.name === demand.pinned);
    if (!slot) {
      throw new Error(
        `Cannot place the task on worker "${demand.pinned}" as no such worker is configured: ` +
          `worker is one of ${slots.map((s) => JSON.stringify(s.name)).join(", ") || "none"}`,
      );
    }
    if (slot.down) {
      throw new Error(`Cannot place the task on worker "${slot.name}" as it is down: ${slot.down}`);
    }
    if (!slot.local && !demand.worktree) {
      throw new Error(
        `Cannot place the task on worker "${slot.name}" as it has no worktree: only a worktree ` +
          "travels to a worker; pass worktree: true",
      );
    }
    const refused = sandboxRefusal(demand, slot);
    if (refused !== null) throw new Error(refused);
    return;
  }
  if (!demand.worktree && !hasLocal) {
    throw new Error(
      "Cannot run a task without a worktree as the server runs with --no-local: only a worktree " +
        "travels to a worker; pass worktree: true",
    );
  }
  if (demand.worktree && !slots.some((s) => sandboxRefusal(demand, s) === null)) {
    throw new Error(
      slots.map((s) => sandboxRefusal(demand, s)).join("; ") || "Cannot place the task: no worker",
    );
  }
}

/** Why `slot` refuses a sandboxed task, or null when it takes it. */
function sandboxRefusal(demand: PlacementDemand, slot: PlacementSlot): string | null {
  if (!demand.sandboxed || slot.local || slot.sandbox !== "none") return null;
  return `Cannot run a sandboxed task on worker "${slot.name}" as it cannot enforce a sandbox ` +
    '(its probe found none): pass sandbox "danger-full-access" or another worker';
}

/**
 * The worker to start the task on now, or null when it must wait (its worker is full or down).
 * Call {@link checkPlacement} first: a task it refuses is never placed.
 */
export function placeTask(demand: PlacementDemand, slots: readonly PlacementSlot[]): string | null {
  const free = (s: PlacementSlot) => s.ready && s.running < s.cap;
  if (demand.pinned !== null) {
    const slot = slots.find((s) => s.name === demand.pinned);
    return slot && free(slot) ? slot.name : null;
  }
  if (!demand.worktree) {
    const local = slots.find((s) => s.local);
    return local && free(local) ? local.name : null;
  }
  let best: PlacementSlot | null = null;
  for (const slot of slots) {
    if (!free(slot) || sandboxRefusal(demand, slot) !== null) continue;
    const room = slot.cap - slot.running;
    // Most free slots first; on a tie the earlier (local is listed first: nothing travels).
    if (best === null || room > best.cap - best.running) best = slot;
  }
  return best?.name ?? null;
}
