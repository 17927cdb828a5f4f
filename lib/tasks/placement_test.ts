import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  checkPlacement,
  type PlacementDemand,
  type PlacementSlot,
  placeTask,
} from "./placement.ts";

function slot(name: string, running: number, cap: number, more: Partial<PlacementSlot> = {}) {
  return {
    name,
    local: name === "local",
    ready: true,
    cap,
    running,
    sandbox: "enforced",
    ...more,
  } as PlacementSlot;
}

const worktreeTask: PlacementDemand = { pinned: null, worktree: true, sandboxed: true };

Deno.test("placeTask sends a worktree task to the worker with the most free slots", () => {
  const slots = [slot("local", 1, 2), slot("a", 1, 4), slot("b", 0, 2)];
  assertEquals(placeTask(worktreeTask, slots), "a");
  // On a tie local wins (listed first): nothing needs to travel.
  assertEquals(placeTask(worktreeTask, [slot("local", 0, 2), slot("a", 0, 2)]), "local");
  // Full and down workers take nothing; all full: the task waits.
  assertEquals(
    placeTask(worktreeTask, [slot("local", 2, 2), slot("a", 0, 4, { ready: false })]),
    null,
  );
});

Deno.test("placeTask honours a pin even when another worker has more room, and waits for it", () => {
  const slots = [slot("local", 0, 8), slot("a", 1, 2)];
  assertEquals(placeTask({ ...worktreeTask, pinned: "a" }, slots), "a");
  assertEquals(
    placeTask({ ...worktreeTask, pinned: "a" }, [slot("local", 0, 8), slot("a", 2, 2)]),
    null,
  );
});

Deno.test("placeTask runs a task without a worktree locally only", () => {
  const demand = { pinned: null, worktree: false, sandboxed: true };
  assertEquals(placeTask(demand, [slot("local", 1, 2), slot("a", 0, 8)]), "local");
  assertEquals(placeTask(demand, [slot("local", 2, 2), slot("a", 0, 8)]), null);
});

Deno.test("placeTask keeps sandboxed tasks off a worker that cannot enforce a sandbox", () => {
  const slots = [slot("local", 2, 2), slot("bare", 0, 4, { sandbox: "none" })];
  assertEquals(placeTask(worktreeTask, slots), null);
  assertEquals(placeTask({ ...worktreeTask, sandboxed: false }, slots), "bare");
});

Deno.test("checkPlacement refuses an unknown worker, naming the known ones", () => {
  assertThrows(
    () =>
      checkPlacement({ ...worktreeTask, pinned: "nope" }, [slot("local", 0, 2), slot("a", 0, 2)]),
    /Cannot place the task on worker "nope" as no such worker is configured: worker is one of "local", "a"/,
  );
});

Deno.test("checkPlacement refuses a task without a worktree under --no-local, and on a worker", () => {
  assertThrows(
    () => checkPlacement({ pinned: null, worktree: false, sandboxed: true }, [slot("a", 0, 2)]),
    /--no-local: only a worktree travels to a worker/,
  );
  assertThrows(
    () => checkPlacement({ pinned: "a", worktree: false, sandboxed: true }, [slot("a", 0, 2)]),
    /worker "a" as it has no worktree/,
  );
});

Deno.test("checkPlacement refuses a sandboxed task where no worker enforces one, naming it", () => {
  const bare = [slot("bare", 0, 2, { sandbox: "none" })];
  assertThrows(
    () => checkPlacement(worktreeTask, bare),
    /worker "bare" as it cannot enforce a sandbox/,
  );
  assertThrows(
    () => checkPlacement({ ...worktreeTask, pinned: "bare" }, [slot("local", 0, 2), ...bare]),
    /worker "bare" as it cannot enforce a sandbox/,
  );
  checkPlacement({ ...worktreeTask, sandboxed: false }, bare);
  checkPlacement(worktreeTask, [slot("local", 0, 2), ...bare]);
});

Deno.test("checkPlacement refuses a pin to a down worker with its last error; a connecting one waits", () => {
  const down = slot("a", 0, 2, { ready: false, down: "the server refused the token (HTTP 401)" });
  assertThrows(
    () => checkPlacement({ ...worktreeTask, pinned: "a" }, [slot("local", 0, 2), down]),
    /Cannot place the task on worker "a" as it is down: the server refused the token \(HTTP 401\)/,
  );
  const connecting = slot("a", 0, 2, { ready: false });
  checkPlacement({ ...worktreeTask, pinned: "a" }, [slot("local", 0, 2), connecting]);
  assertEquals(placeTask({ ...worktreeTask, pinned: "a" }, [connecting]), null);
});
