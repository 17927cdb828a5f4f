import assert from "node:assert/strict";
import type { AppServer } from "./app_server.ts";
import { type CodexConfig, parseCodexConfig } from "./codex_config.ts";
import { readProjectContext, withThreadSettings } from "./project_context.ts";
import { withTempDir } from "../../tests/support/temp_dir.ts";

const codex: CodexConfig = parseCodexConfig({
  config: { project_doc_max_bytes: 100, project_doc_fallback_filenames: ["CLAUDE.md"] },
});

Deno.test("withThreadSettings: the thread's own project-doc settings win over Codex's config", () => {
  assert.deepEqual(withThreadSettings(codex, {}), codex);
  assert.deepEqual(
    withThreadSettings(codex, {
      project_doc_max_bytes: 0,
      project_root_markers: [".hg"],
      project_doc_fallback_filenames: [],
      model: "o3",
    }),
    {
      ...codex,
      projectDocMaxBytes: 0,
      projectRootMarkers: [".hg"],
      projectDocFallbackFilenames: [],
    },
  );
  // Values of the wrong kind are Codex's to refuse.
  assert.deepEqual(
    withThreadSettings(codex, {
      project_doc_max_bytes: -1,
      project_root_markers: ".hg",
      project_doc_fallback_filenames: [1],
    }),
    codex,
  );
  assert.equal(withThreadSettings(codex, { project_doc_max_bytes: 1.5 }).projectDocMaxBytes, 100);
});

Deno.test("readProjectContext: the project root and its instructions, capped as the thread says", async () => {
  await withTempDir("project-context-test-", async (dir) => {
    await Deno.mkdir(`${dir}/.git`);
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/AGENTS.md`, "root rules\n");
    await Deno.writeTextFile(`${dir}/sub/CLAUDE.md`, "sub rules\n");
    const server = {
      request: (() =>
        Promise.resolve({
          config: { project_doc_fallback_filenames: ["CLAUDE.md"] },
        })) as AppServer["request"],
    };
    const context = await readProjectContext(server, { cwd: `${dir}/sub`, config: {} });
    assert.equal(context.root, dir);
    assert.deepEqual(context.docs, { cwd: `${dir}/sub`, text: "root rules\n\n\nsub rules\n" });
    const capped = await readProjectContext(server, {
      cwd: `${dir}/sub`,
      config: { project_doc_max_bytes: 4 },
    });
    assert.deepEqual(capped.docs, { cwd: `${dir}/sub`, text: "root" });
    const none = await readProjectContext(server, {
      cwd: `${dir}/sub`,
      config: { project_doc_max_bytes: 0 },
    });
    assert.equal(none.docs, null);
  });
});
