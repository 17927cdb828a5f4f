/**
 * End-to-end: the npm package `codex-swarm` as `npx -y codex-swarm` gets it. The test builds it
 * (.github/scripts/npm_package.ts), packs it with `npm pack`, installs the tarball into a
 * temporary prefix (its dependency `deno` and the platform binary come from the npm registry, or
 * npm's cache), and drives the installed `node_modules/.bin/codex-swarm` over MCP with a real
 * `codex` call, then `codex-swarm top --once`. The prefix gets a broken `deno.json`, as a project
 * the package is installed in may have: neither the front-end, nor the supervisor it starts, nor
 * the server `top` starts may read it.
 *
 * It installs once for all its steps and prints how long building, packing and installing took.
 *
 * @module
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import {
  buildNpmPackage,
  type PackageJson,
  packNpmPackage,
} from "../.github/scripts/npm_package.ts";
import {
  alive,
  descendantsOf,
  eventually,
  initializeLine,
  makeWorld,
  startServer,
  supervisorsOf,
  textOf,
} from "./support/harness.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

const ROOT = new URL("../", import.meta.url).pathname;

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Runs npm in `cwd` (at most `ms`); throws with its output unless it succeeds. */
async function npm(cwd: string, args: string[], ms = 240_000): Promise<string> {
  const out = await new Deno.Command("npm", {
    args: [...args, "--no-audit", "--no-fund", "--loglevel=error"],
    cwd,
    env: { npm_config_update_notifier: "false" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(ms),
  }).output();
  if (!out.success) {
    throw new Error(`npm ${args.join(" ")} exited ${out.code}:\n${decode(out.stderr)}`);
  }
  return decode(out.stdout);
}

/** Installs the tarball into a new prefix; `extra` are more `npm install` flags. */
async function install(base: string, name: string, tarball: string, extra: string[] = []) {
  const prefix = `${base}/${name}`;
  await Deno.mkdir(prefix);
  await npm(prefix, ["install", "--prefer-offline", "--prefix", prefix, ...extra, tarball]);
  return { prefix, bin: `${prefix}/node_modules/.bin/codex-swarm` };
}

/** The Deno version the release pins (release.yml's `DENO_VERSION`). */
async function releaseDenoVersion(): Promise<string> {
  const workflow = await Deno.readTextFile(`${ROOT}.github/workflows/release.yml`);
  const match = /^\s*DENO_VERSION:\s*"([^"]+)"/m.exec(workflow);
  assert.ok(match, "release.yml has no DENO_VERSION");
  return match[1]!;
}

/** Runs the installed `codex-swarm` with `args` to its end. */
async function runBin(bin: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(bin, {
    args,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return {
    code: out.code,
    signal: out.signal,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

/** Starts the installed `codex-swarm`, has it answer `initialize`, and returns it still running. */
async function startRelaying(bin: string, env: Record<string, string>) {
  const child = new Deno.Command(bin, {
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(initializeLine("npm-test"));
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  while (!stdout.includes('"id":1')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`codex-swarm closed stdout before answering initialize: ${stdout}`);
    stdout += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return { child, writer };
}

Deno.test(
  "the npm package, installed from its tarball, serves MCP and runs codex",
  e2e,
  async (t) => {
    const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "codex-swarm-npm-" }));
    await using _cleanup = {
      [Symbol.asyncDispose]: () => Deno.remove(base, { recursive: true }).catch(() => {}),
    };

    const timings: Record<string, number> = {};
    const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      try {
        return await work();
      } finally {
        timings[name] = Math.round(performance.now() - start);
      }
    };
    const built = await timed("build", () => buildNpmPackage({ out: `${base}/package` }));
    const packed = await timed("pack", () => packNpmPackage(built.dir, base));
    const installed = await timed("install", () => install(base, "prefix", packed.tarball));
    const noScripts = await timed(
      "install --ignore-scripts",
      () => install(base, "no-scripts", packed.tarball, ["--ignore-scripts"]),
    );
    console.error(
      `npm package: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked; ms: ` +
        JSON.stringify(timings),
    );
    // A project the package is installed in may have a deno.json Deno cannot even parse.
    await Deno.writeTextFile(`${installed.prefix}/deno.json`, "{ not a Deno config");

    await t.step("the tarball is the launcher, the bundle, package.json and README", async () => {
      assert.deepEqual(packed.files, [
        "README.md",
        "bin/codex-swarm.js",
        "dist/codex-swarm.js",
        "package.json",
      ]);
      const manifest = JSON.parse(
        await Deno.readTextFile(`${installed.prefix}/node_modules/codex-swarm/package.json`),
      ) as PackageJson;
      assert.equal(manifest.name, "codex-swarm");
      assert.equal(manifest.version, denoJson.version);
      assert.deepEqual(manifest.bin, { "codex-swarm": "bin/codex-swarm.js" });
      assert.equal(manifest.dependencies.deno, await releaseDenoVersion());
    });

    await t.step("--version and a bad flag pass output and exit code through", async () => {
      const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: base, NO_COLOR: "1" };
      const version = await runBin(installed.bin, ["--version"], env);
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout.trim(), `codex-swarm ${denoJson.version}`);
      const bad = await runBin(installed.bin, ["--no-such-flag"], env);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /--no-such-flag/);
    });

    await t.step("installed with --ignore-scripts (no deno postinstall) it runs too", async () => {
      // The deno package's postinstall copies the binary beside itself; without it the launcher
      // takes the binary from the platform package.
      const copy = `${noScripts.prefix}/node_modules/deno/deno`;
      assert.equal(await Deno.stat(copy).then(() => true, () => false), false, `${copy} exists`);
      const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: base };
      const version = await runBin(noScripts.bin, ["--version"], env);
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout.trim(), `codex-swarm ${denoJson.version}`);
    });

    await using world = await makeWorld();

    await t.step("over MCP a codex call runs Codex to its end", async () => {
      await using server = await startServer(world, { executable: installed.bin, cwd: base });
      const tools = (await server.client.listTools()).tools.map((tool) => tool.name);
      assert.ok(tools.includes("codex") && tools.includes("codex-reply"), tools.join(", "));
      const prompt = "hello from the npm package";
      const result = await server.client.callTool(
        { name: "codex", arguments: { prompt } },
        undefined,
        { timeout: 120_000 },
      );
      assert.equal(result.isError, undefined, `${textOf(result)}\n${server.stderr().slice(-3000)}`);
      assert.equal(textOf(result), `MOCK-DONE ${prompt}`);
      assert.equal(
        (result.structuredContent as { content: string }).content,
        `MOCK-DONE ${prompt}`,
      );
    });

    await t.step("the supervisor is the installed Deno running the installed bundle", () => {
      const supervisors = supervisorsOf(world.taskDir);
      assert.equal(supervisors.length, 1, JSON.stringify(supervisors));
      const cmdline = supervisors[0]!.cmdline;
      assert.ok(cmdline.startsWith(`${installed.prefix}/node_modules/`), cmdline);
      assert.ok(
        cmdline.includes(` --no-config `) &&
          cmdline.includes(
            ` file://${installed.prefix}/node_modules/codex-swarm/dist/codex-swarm.js `,
          ),
        cmdline,
      );
    });

    await t.step(
      "codex-swarm top --once shows the world's task through the installed server",
      async () => {
        const top = await runBin(installed.bin, ["top", "--once"], world.env);
        assert.equal(top.code, 0, top.stderr);
        assert.match(top.stdout, /^codex-swarm top · 1 task\b/, top.stdout);
      },
    );

    await t.step(
      "SIGTERM to the launcher reaches the server, whose exit it passes on",
      async () => {
        const { child, writer } = await startRelaying(installed.bin, world.env);
        const server = descendantsOf([child.pid]);
        assert.equal(server.length, 1, `the launcher's children: ${server}`);
        child.kill("SIGTERM");
        const status = await child.status;
        await writer.close().catch(() => {});
        // The front-end stops on SIGTERM with 0; a launcher that did not forward it would die of it.
        assert.deepEqual({ code: status.code, signal: status.signal }, { code: 0, signal: null });
        assert.ok(
          await eventually(() => descendantsOf([child.pid]).length === 0 && !alive(server[0]!)),
        );
      },
    );

    await t.step(
      "a server killed by a signal takes the launcher with it (same signal)",
      async () => {
        const { child, writer } = await startRelaying(installed.bin, world.env);
        const [server] = descendantsOf([child.pid]);
        Deno.kill(server!, "SIGKILL");
        const status = await child.status;
        await writer.close().catch(() => {});
        assert.deepEqual({ code: status.code, signal: status.signal }, {
          code: 137,
          signal: "SIGKILL",
        });
      },
    );
  },
);
