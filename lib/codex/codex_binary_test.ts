import assert from "node:assert/strict";
import { lastErrorLine, resolveCodex, versionOfUserAgent } from "./codex_binary.ts";

Deno.test("versionOfUserAgent", () => {
  assert.equal(
    versionOfUserAgent("codex-swarm/0.169.0 (Debian 12.0.0; x86_64) unknown (codex-swarm; 0.1.0)"),
    "0.169.0",
  );
  assert.equal(versionOfUserAgent("garbage"), null);
});

Deno.test("lastErrorLine prefers the Error: line over log lines that mention errors", () => {
  const stderr =
    "Error: bad config\n\x1b[31mERROR\x1b[0m codex_app_server: could not find bubblewrap\n";
  assert.equal(lastErrorLine(stderr), "Error: bad config");
  assert.equal(
    lastErrorLine("thread panicked: error: oops\nbye\n"),
    "thread panicked: error: oops",
  );
  assert.equal(lastErrorLine("just this\n"), "just this");
  assert.equal(lastErrorLine(""), "(no output)");
});

Deno.test("resolveCodex: the npm wrapper resolves to its native binary, anything else to itself", async () => {
  const root = await Deno.makeTempDir({ prefix: "npm-codex-" });
  try {
    const pkg = `${root}/node_modules/@openai/codex`;
    await Deno.mkdir(`${pkg}/bin`, { recursive: true });
    await Deno.writeTextFile(`${pkg}/bin/codex.js`, "#!/usr/bin/env node\n");
    await Deno.mkdir(`${root}/node_modules/.bin`);
    await Deno.symlink("../@openai/codex/bin/codex.js", `${root}/node_modules/.bin/codex`);
    const wrapper = `${root}/node_modules/.bin/codex`;
    // No platform package: the wrapper itself.
    assert.deepEqual(resolveCodex("codex", `${root}/node_modules/.bin`), {
      command: "codex",
      env: {},
    });
    const arch = Deno.build.arch === "x86_64" ? "x64" : "arm64";
    const [pkgName, triple] = Deno.build.os === "darwin"
      ? [`codex-darwin-${arch}`, `${Deno.build.arch}-apple-darwin`]
      : [`codex-linux-${arch}`, `${Deno.build.arch}-unknown-linux-musl`];
    const native = `${root}/node_modules/@openai/${pkgName}/vendor/${triple}/bin/codex`;
    await Deno.mkdir(native.replace(/\/codex$/, ""), { recursive: true });
    await Deno.writeTextFile(native, "#!/bin/sh\n");
    await Deno.chmod(native, 0o755);
    const resolved = resolveCodex(wrapper, "");
    assert.equal(await Deno.realPath(resolved.command), await Deno.realPath(native));
    assert.equal(resolved.env.CODEX_MANAGED_BY_NPM, "1");
    // A binary that is no npm wrapper is run as it is.
    assert.deepEqual(resolveCodex(native, ""), { command: native, env: {} });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
