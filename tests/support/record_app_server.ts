/**
 * Records the notifications of real `codex app-server` turns against the fake Responses API into
 * `tests/fixtures/app-server-<name>.jsonl` (one raw notification per line, as the server sent it),
 * for the unit tests of `lib/codex/turn_state.ts`. Run it again after a Codex upgrade:
 *
 * ```sh
 * PATH="$PWD/.tools/node_modules/.bin:$PATH" deno run --allow-all tests/support/record_app_server.ts
 * ```
 * @module
 */

import type { AskForApproval } from "../../lib/codex/protocol/generated/index.ts";
import { startAppServerWorld } from "./app_server_world.ts";

/** One recorded turn. */
interface Scenario {
  name: string;
  prompt: string;
  approvalPolicy?: AskForApproval;
  /** The answer to every approval request. */
  decision?: string;
  /** Sent as a steer 500 ms after the turn started. */
  steer?: string;
}

const SCENARIOS: Scenario[] = [
  { name: "message", prompt: "say hello REASON=greeting" },
  { name: "command", prompt: "list it RUN=echo hello-out" },
  { name: "patch", prompt: "write it PATCH=notes.txt" },
  {
    name: "declined",
    prompt: "try RUN=echo never-runs",
    approvalPolicy: "untrusted",
    decision: "decline",
  },
  { name: "failed", prompt: "FAIL please" },
  { name: "steer", prompt: "wait HOLD=1500", steer: "and also this" },
];

const dir = new URL("../fixtures/", import.meta.url).pathname;

for (const scenario of SCENARIOS) {
  await using world = await startAppServerWorld();
  world.server.setRequestHandler(() =>
    Promise.resolve({ decision: scenario.decision ?? "accept" })
  );
  const threadId = await world.thread(
    scenario.approvalPolicy ? { approvalPolicy: scenario.approvalPolicy } : {},
  );
  const turnId = await world.turn(threadId, scenario.prompt);
  if (scenario.steer) {
    await new Promise((r) => setTimeout(r, 500));
    await world.server.request("turn/steer", {
      threadId,
      expectedTurnId: turnId,
      input: [{ type: "text", text: scenario.steer, text_elements: [] }],
    });
  }
  await world.completed(turnId);
  const notifications = world.raw.filter((m) =>
    typeof m === "object" && m !== null && "method" in m && !("id" in m)
  );
  const file = `${dir}app-server-${scenario.name}.jsonl`;
  await Deno.writeTextFile(file, notifications.map((m) => JSON.stringify(m)).join("\n") + "\n");
  console.error(`${file}: ${notifications.length} notifications`);
}
