import assert from "node:assert/strict";
import type { AppServer } from "./app_server.ts";
import {
  DEFAULT_PROJECT_DOC_MAX_BYTES,
  parseCodexConfig,
  readCodexConfig,
} from "./codex_config.ts";

/** A server whose `config/read` answers `answer` (or throws it, when an Error). */
function serverAnswering(answer: unknown): Pick<AppServer, "request"> {
  return {
    request: ((method: string, params: unknown) => {
      assert.equal(method, "config/read");
      assert.deepEqual(params, { includeLayers: false });
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    }) as AppServer["request"],
  };
}

Deno.test("parseCodexConfig: the settings codex-swarm applies, as Codex 0.169 answers them", () => {
  const config = parseCodexConfig({
    config: {
      sandbox_mode: "workspace-write",
      projects: { "/a": { trust_level: "trusted" }, "/b": { trust_level: "untrusted" }, "/c": {} },
      project_doc_max_bytes: 100,
      project_root_markers: [".git", ".hg"],
      project_doc_fallback_filenames: ["CLAUDE.md"],
      model: "o3",
    },
    origins: {},
  });
  assert.deepEqual(config, {
    sandboxMode: "workspace-write",
    trust: { "/a": "trusted", "/b": "untrusted" },
    projectDocMaxBytes: 100,
    projectRootMarkers: [".git", ".hg"],
    projectDocFallbackFilenames: ["CLAUDE.md"],
  });
});

Deno.test("parseCodexConfig: Codex's defaults for what the answer lacks or sets null", () => {
  const empty = {
    sandboxMode: null,
    trust: {},
    projectDocMaxBytes: DEFAULT_PROJECT_DOC_MAX_BYTES,
    projectRootMarkers: [".git"],
    projectDocFallbackFilenames: [],
  };
  assert.deepEqual(parseCodexConfig({ config: {} }), empty);
  assert.deepEqual(parseCodexConfig(null), empty);
  assert.deepEqual(
    parseCodexConfig({
      config: { sandbox_mode: null, projects: null, project_root_markers: null },
    }),
    empty,
  );
  assert.equal(parseCodexConfig({ config: { project_doc_max_bytes: 0 } }).projectDocMaxBytes, 0);
  assert.deepEqual(
    parseCodexConfig({ config: { project_root_markers: [] } }).projectRootMarkers,
    [],
  );
});

Deno.test("parseCodexConfig: a value of the wrong kind is an error naming the setting", () => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [
      { sandbox_mode: "open" },
      /sandbox_mode is "open": expected one of read-only, workspace-write, danger-full-access/,
    ],
    [{ projects: ["/a"] }, /projects is not a table/],
    [{ project_doc_max_bytes: -1 }, /project_doc_max_bytes is -1: expected a whole number/],
    [{ project_doc_max_bytes: "1" }, /project_doc_max_bytes is "1"/],
    [{ project_root_markers: ".git" }, /project_root_markers is not a list of strings/],
    [{ project_doc_fallback_filenames: [1] }, /project_doc_fallback_filenames is not a list/],
  ];
  for (const [config, message] of bad) {
    assert.throws(() => parseCodexConfig({ config }), message, JSON.stringify(config));
  }
});

Deno.test("readCodexConfig: asks config/read; a failure names it", async () => {
  const config = await readCodexConfig(serverAnswering({ config: { sandbox_mode: "read-only" } }));
  assert.equal(config.sandboxMode, "read-only");
  await assert.rejects(
    readCodexConfig(serverAnswering(new Error("boom"))),
    /Codex cannot read its config \(config\/read\): boom/,
  );
});
