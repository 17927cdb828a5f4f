/**
 * A project's AGENTS.md reaches the model although every thread marks its project untrusted
 * (Codex then reads none): codex-swarm reads them itself (lib/codex/project_docs.ts), end to end
 * with the real Codex against the fake Responses API, which keeps every request body. A new
 * thread gets them in its developer instructions, root first, an `AGENTS.override.md` in place of
 * its directory's `AGENTS.md`, capped by `project_doc_max_bytes`; a reply gets them again, as a
 * replacement, only when they changed since, and so does a fork.
 */

import assert from "node:assert/strict";
import { REPLACES } from "../lib/codex/project_docs.ts";
import { startHarness, textOf } from "./support/harness.ts";
import { makeRepo } from "./support/repo.ts";
import type { Client } from "./support/sdk_client.ts";
import type { SeenRequest } from "./support/fake_responses.ts";
import { call, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** The text of every developer message of a request, in order. */
function developerTexts(request: SeenRequest): string[] {
  const input = request.body.input as Array<{ role?: string; content?: Array<{ text?: string }> }>;
  return input.filter((item) => item.role === "developer").map((item) =>
    (item.content ?? []).map((c) => c.text ?? "").join("\n")
  );
}

/** The newest request whose prompt is `prompt`. */
function requestOf(requests: SeenRequest[], prompt: string): SeenRequest {
  const found = requests.findLast((r) => r.prompt === prompt);
  assert.ok(found, `no model request for ${JSON.stringify(prompt)}`);
  return found;
}

/** Runs `codex` (or `codex-reply`) with `args`; asserts it completed; returns its threadId. */
async function run(client: Client, tool: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(client, tool, args);
  assert.equal(result.isError, undefined, textOf(result));
  return (result.structuredContent as { threadId: string }).threadId;
}

Deno.test(
  "a project's AGENTS.md files reach the model: root first, the override in place of its directory's AGENTS.md, capped by project_doc_max_bytes; a reply or fork gets them again only when they changed",
  e2e,
  async () => {
    await using h = await startHarness({ args: ["--task-timeout", "60"] });
    const repo = await makeRepo();
    try {
      const root = "ROOT-RULES: run deno task check.\n";
      const override = "SUB-OVERRIDE: keep it short.\n";
      await Deno.writeTextFile(`${repo}/AGENTS.md`, root);
      await Deno.writeTextFile(`${repo}/sub/AGENTS.md`, "SUB-PLAIN: never seen.\n");
      await Deno.writeTextFile(`${repo}/sub/AGENTS.override.md`, override);
      const section = `# AGENTS.md instructions for ${repo}/sub\n\n<INSTRUCTIONS>\n` +
        `${root}\n\n${override}\n</INSTRUCTIONS>`;

      const threadId = await run(h.client, "codex", {
        prompt: "first",
        cwd: `${repo}/sub`,
        "developer-instructions": "CALLER-RULES",
      });
      const first = developerTexts(requestOf(h.world.fake.requests, "first"));
      // After the call's own developer instructions, as Codex renders a project's.
      assert.ok(
        first.some((text) => text.includes(`CALLER-RULES\n\n${section}`)),
        JSON.stringify(first),
      );
      assert.ok(!JSON.stringify(first).includes("SUB-PLAIN"));

      // project_doc_max_bytes caps them (a call may set it), cutting the override; 0 sends none.
      await run(h.client, "codex", {
        prompt: "capped",
        cwd: `${repo}/sub`,
        config: { project_doc_max_bytes: root.length + 6 },
      });
      const capped = developerTexts(requestOf(h.world.fake.requests, "capped")).join("\n");
      assert.ok(capped.includes(`<INSTRUCTIONS>\n${root}\n\nSUB-OV\n</INSTRUCTIONS>`), capped);
      await run(h.client, "codex", {
        prompt: "none",
        cwd: `${repo}/sub`,
        config: { project_doc_max_bytes: 0 },
      });
      const none = developerTexts(requestOf(h.world.fake.requests, "none")).join("\n");
      assert.ok(!none.includes("ROOT-RULES"), none);

      // A reply: the thread has them already; once changed, it gets them again as a replacement.
      await run(h.client, "codex-reply", { threadId, prompt: "unchanged", cwd: `${repo}/sub` });
      const unchanged = developerTexts(requestOf(h.world.fake.requests, "unchanged"));
      assert.equal(unchanged.filter((text) => text.includes("ROOT-RULES")).length, 1);
      await Deno.writeTextFile(`${repo}/AGENTS.md`, "ROOT-RULES-2: run the tests.\n");
      await run(h.client, "codex-reply", { threadId, prompt: "changed", cwd: `${repo}/sub` });
      const changed = developerTexts(requestOf(h.world.fake.requests, "changed"));
      const replacement = `# AGENTS.md instructions for ${repo}/sub\n\n<INSTRUCTIONS>\n` +
        `${REPLACES}\n\nROOT-RULES-2: run the tests.\n\n\n${override}\n</INSTRUCTIONS>`;
      assert.equal(
        changed.filter((text) => text.includes(replacement)).length,
        1,
        changed.join("\n---\n"),
      );
      await run(h.client, "codex-reply", { threadId, prompt: "again", cwd: `${repo}/sub` });
      const again = developerTexts(requestOf(h.world.fake.requests, "again"));
      assert.equal(again.filter((text) => text.includes(REPLACES)).length, 1);

      // A fork goes on with its parent's history: it is told only of what changed since.
      await Deno.writeTextFile(`${repo}/sub/AGENTS.override.md`, "SUB-OVERRIDE-2\n");
      const forked = await call(h.client, "codex_fork", { thread_id: threadId, prompts: ["fork"] });
      assert.equal(forked.isError, undefined, textOf(forked));
      const forkId = (forked.structuredContent as { tasks: Array<{ task_id: string }> }).tasks[0]!;
      const [view] = await waitAll<{ phase: string }>(h.client, [forkId.task_id]);
      assert.equal(view!.phase, "completed");
      const fork = developerTexts(requestOf(h.world.fake.requests, "fork"));
      assert.ok(
        fork.at(-1)!.includes(`${REPLACES}\n\nROOT-RULES-2: run the tests.\n\n\nSUB-OVERRIDE-2\n`),
        fork.join("\n---\n"),
      );
    } finally {
      await Deno.remove(repo, { recursive: true }).catch(() => {});
    }
  },
);
