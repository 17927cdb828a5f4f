/**
 * The front-end must start fast: what main.ts loads before it knows it is the supervisor is the
 * front-end alone, never the MCP SDK, zod or the engine (those come by dynamic `import()`).
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

type Info = {
  roots: string[];
  modules: Array<{
    specifier: string;
    dependencies?: Array<{ specifier: string; isDynamic?: boolean; code?: { specifier?: string } }>;
  }>;
};

Deno.test("main.ts loads no SDK, zod or engine statically; the supervisor comes by import()", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("main.ts", ROOT).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as Info;
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const staticGraph = new Set<string>();
  const dynamic: string[] = [];
  const stack = [info.roots[0]!];
  while (stack.length > 0) {
    const specifier = stack.pop()!;
    if (staticGraph.has(specifier)) continue;
    staticGraph.add(specifier);
    for (const dep of modules.get(specifier)?.dependencies ?? []) {
      if (dep.isDynamic) dynamic.push(dep.specifier);
      else if (dep.code?.specifier) stack.push(dep.code.specifier);
    }
  }
  const heavy = [...staticGraph].filter((s) =>
    s.startsWith("npm:") || s.includes("/node_modules/") ||
    /\/lib\/(mcp\/(server|sdk|resources)\.ts|mcp\/tools\/|tasks\/app_engine\.ts|codex\/app_server\.ts)/
      .test(s)
  );
  assert.deepEqual(heavy, [], "the front-end loads only light modules");
  assert.deepEqual(dynamic.sort(), ["./lib/supervisor/supervisor.ts", "./lib/top/main.ts"]);
});
