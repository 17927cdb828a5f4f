/**
 * The default sandbox of a task that asks for none, end to end with the real Codex against the fake
 * Responses API: `workspace-write` for a repository the user's `config.toml` trusts (its main
 * checkout, a subdirectory, a worktree of it), as Codex gives one, although every thread marks its
 * project untrusted; `read-only` for any other (lib/codex/configured_sandbox.ts). The server runs
 * with `/tmp` out of the sandbox (support/sandbox_args.ts), so only the cwd is writable.
 */

import assert from "node:assert/strict";
import { startHarness } from "./support/harness.ts";
import { makeRepo } from "./support/repo.ts";
import { TMP_OUT_OF_SANDBOX } from "./support/sandbox_args.ts";
import { startTask, waitAll } from "./support/tool_calls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** What of a task view this test reads. */
interface View {
  phase: string;
  final_message: string | null;
  worktree: { path: string } | null;
}

/** Whether `path` exists. */
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test(
  "a task asking no sandbox writes its cwd in a repository the user's config.toml trusts (a subdirectory, a worktree too), and not in another",
  e2e,
  async () => {
    await using h = await startHarness({ args: ["--task-timeout", "60", ...TMP_OUT_OF_SANDBOX] });
    const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "default-sandbox-test-" }));
    try {
      const trusted = await makeRepo(`${base}/trusted`);
      const other = await makeRepo(`${base}/other`);
      await Deno.writeTextFile(
        `${h.world.codexHome}/config.toml`,
        `\n[projects.${JSON.stringify(trusted)}]\ntrust_level = "trusted"\n`,
        { append: true },
      );
      const ids = [
        await startTask(h.client, { prompt: "RUN=touch made-here", cwd: trusted }),
        await startTask(h.client, { prompt: "RUN=touch made-here", cwd: `${trusted}/sub` }),
        await startTask(h.client, {
          prompt: "RUN=touch made-here",
          cwd: trusted,
          worktree: true,
          commit: false,
        }),
        await startTask(h.client, { prompt: "RUN=touch made-here", cwd: other }),
      ];
      const [main, sub, worktree, untrusted] = await waitAll<View>(h.client, ids);
      for (const view of [main, sub, worktree, untrusted]) {
        assert.equal(view!.phase, "completed", JSON.stringify(view));
      }
      assert.ok(await exists(`${trusted}/made-here`), main!.final_message ?? "");
      assert.ok(await exists(`${trusted}/sub/made-here`), sub!.final_message ?? "");
      assert.ok(
        await exists(`${worktree!.worktree!.path}/made-here`),
        worktree!.final_message ?? "",
      );
      assert.ok(!await exists(`${other}/made-here`));
      assert.match(untrusted!.final_message ?? "", /Read-only file system/);
    } finally {
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
  },
);
