import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { BUNDLE_PATH, bundleTaskArgs, renderPackageJson } from "./npm_package.ts";
import { SERVER_PERMISSIONS } from "../../lib/supervisor/permissions.ts";

/** The npm launcher (CommonJS), as Node loads it. */
const launcher = createRequire(import.meta.url)("../npm/bin/codex-swarm.js") as {
  denoPlatformPackage(platform: string, arch: string, musl: boolean): string;
};

Deno.test("package.json gets the version and the deno run arguments of the server", () => {
  const template = { name: "codex-swarm", version: "0.0.0", bin: { "codex-swarm": "bin/x.js" } };
  const manifest = renderPackageJson(template, { version: "1.2.3" });
  assert.equal(manifest.version, "1.2.3");
  assert.deepEqual(manifest.bin, template.bin);
  assert.equal(template.version, "0.0.0", "the template is not changed");
  assert.deepEqual(manifest.codexSwarm, {
    bundle: BUNDLE_PATH,
    denoArgs: ["run", "--quiet", "--no-config", ...SERVER_PERMISSIONS],
  });
  assert.equal("repository" in manifest, false);
});

Deno.test("package.json names the repository when given one (npm provenance checks it)", () => {
  const manifest = renderPackageJson({}, {
    version: "1.2.3",
    repository: "https://github.com/o/codex-swarm/",
  });
  assert.deepEqual(manifest.repository, {
    type: "git",
    url: "git+https://github.com/o/codex-swarm.git",
  });
  assert.equal(manifest.homepage, "https://github.com/o/codex-swarm#readme");
  assert.deepEqual(manifest.bugs, { url: "https://github.com/o/codex-swarm/issues" });
});

Deno.test("the launcher finds the deno package's binary for glibc Linux, macOS and Windows", () => {
  const { denoPlatformPackage } = launcher;
  assert.equal(denoPlatformPackage("linux", "x64", false), "@deno/linux-x64-glibc");
  assert.equal(denoPlatformPackage("linux", "arm64", false), "@deno/linux-arm64-glibc");
  assert.equal(denoPlatformPackage("darwin", "arm64", false), "@deno/darwin-arm64");
  assert.equal(denoPlatformPackage("darwin", "x64", false), "@deno/darwin-x64");
  assert.equal(denoPlatformPackage("win32", "x64", false), "@deno/win32-x64");
  assert.equal(denoPlatformPackage("win32", "arm64", false), "@deno/win32-arm64");
});

Deno.test("the launcher says plainly where the deno package has no binary", () => {
  const { denoPlatformPackage } = launcher;
  assert.throws(
    () => denoPlatformPackage("linux", "x64", true),
    /Cannot start codex-swarm as the deno npm package has no Deno binary for linux-x64 with musl libc/,
  );
  assert.throws(() => denoPlatformPackage("linux", "ia32", false), /no Deno binary for linux-ia32/);
  assert.throws(
    () => denoPlatformPackage("freebsd", "x64", false),
    /no Deno binary for freebsd-x64/,
  );
});

Deno.test("every bundle is made with the flags of deno.json's bundle task", () => {
  assert.deepEqual(
    bundleTaskArgs("/t/x.js", "deno bundle --platform deno --external ./a.js -o dist/c.js main.ts"),
    ["bundle", "--quiet", "--platform", "deno", "--external", "./a.js", "-o", "/t/x.js", "main.ts"],
  );
  assert.equal(bundleTaskArgs("/t/x.js").at(-1), "main.ts");
  assert.throws(() => bundleTaskArgs("/t/x.js", "deno bundle main.ts"), /names no -o output/);
  assert.throws(() => bundleTaskArgs("/t/x.js", "deno run x.ts -o y"), /not a plain deno bundle/);
});
