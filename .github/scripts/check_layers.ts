/**
 * Checks the layers of lib/ over `deno info --json` (`deno task check` runs it):
 *
 * - each folder of lib/ is a layer, and a module imports only from its own layer or those below
 *   (the table {@link LAYERS});
 * - nothing in lib/ or `main.ts` imports from `.github/`;
 * - lib/ has no import cycle (type-only imports count: they tie the modules' meanings together);
 * - a module of more than {@link MAX_LINES} lines says in its doc comment why it is one cohesive
 *   thing (the words "one cohesive");
 * - no function of lib/ is longer than 80 lines (`function_lines.ts`, a `deno lint` plugin).
 *
 * Each problem is one line on stderr; the exit code is 1 if there is any. `--count` also prints
 * the code lines of lib/ (not tests, not comments, not blank lines, not the generated protocol);
 * `--count-at REV` prints only that count, of lib/ as git has it at REV (issue 20's measure).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const problems = problemsOf({
 *   "lib/base/log.ts": { imports: ["lib/tasks/task.ts"], lines: 10, text: "" },
 *   "lib/tasks/task.ts": { imports: ["lib/base/log.ts"], lines: 10, text: "" },
 * });
 * assert.deepEqual(problems, [
 *   "lib/base/log.ts imports upward: lib/tasks/task.ts (base may import only base)",
 *   "import cycle: lib/base/log.ts -> lib/tasks/task.ts -> lib/base/log.ts",
 * ]);
 * ```
 *
 * ```sh
 * deno run --allow-read --allow-run .github/scripts/check_layers.ts [--count | --count-at REV]
 * ```
 *
 * @module
 */

import { longFunctions } from "./function_lines.ts";

/**
 * The layers, top first: a module may import from its own layer and every layer after it. Layers
 * in one entry are peers (Codex and git know nothing of each other's callers).
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["main.ts"],
  ["top"],
  ["supervisor"],
  ["mcp"],
  ["request"],
  ["tasks"],
  ["codex", "git", "workers"],
  ["base"],
];

/** Above this many lines a module must say why it is one cohesive thing. */
export const MAX_LINES = 500;

/** One module of the graph: its local imports (repository paths), its line count and text. */
export interface ModuleFacts {
  imports: string[];
  lines: number;
  text: string;
}

/** The layer of a repository path (`lib/<layer>/...` or `main.ts`), or null outside them. */
export function layerOf(path: string): string | null {
  if (path === "main.ts") return "main.ts";
  const match = /^lib\/([^/]+)\//.exec(path);
  return match ? match[1]! : null;
}

function rankOf(layer: string): number {
  return LAYERS.findIndex((names) => names.includes(layer));
}

/** Every problem of a module graph keyed by repository path, one line each. */
export function problemsOf(graph: Record<string, ModuleFacts>): string[] {
  const problems: string[] = [];
  const paths = Object.keys(graph).filter((p) => layerOf(p) !== null).sort();
  for (const path of paths) {
    const facts = graph[path]!;
    const layer = layerOf(path)!;
    const rank = rankOf(layer);
    for (const target of facts.imports) {
      if (target.startsWith(".github/")) {
        problems.push(`${path} imports from .github/: ${target}`);
        continue;
      }
      const targetLayer = layerOf(target);
      if (targetLayer === null) continue;
      if (rank < 0 || rankOf(targetLayer) < rank) {
        const allowed = LAYERS.slice(Math.max(rank, 0)).flat().join(", ");
        problems.push(`${path} imports upward: ${target} (${layer} may import only ${allowed})`);
      }
    }
    if (facts.lines > MAX_LINES && !/one cohesive/i.test(facts.text)) {
      problems.push(
        `${path} has ${facts.lines} lines (over ${MAX_LINES}): split it, or say in its doc comment why it is one cohesive thing`,
      );
    }
  }
  for (const cycle of cyclesOf(graph, paths)) {
    problems.push(`import cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
  }
  return problems;
}

/** The strongly connected components of more than one module (or a self-import), as paths. */
function cyclesOf(graph: Record<string, ModuleFacts>, paths: string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (path: string) => {
    index.set(path, index.size);
    low.set(path, index.get(path)!);
    stack.push(path);
    onStack.add(path);
    for (const next of graph[path]?.imports ?? []) {
      if (!(next in graph) || layerOf(next) === null) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(path, Math.min(low.get(path)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(path, Math.min(low.get(path)!, index.get(next)!));
      }
    }
    if (low.get(path) === index.get(path)) {
      const component: string[] = [];
      let top: string;
      do {
        top = stack.pop()!;
        onStack.delete(top);
        component.unshift(top);
      } while (top !== path);
      const selfImport = graph[path]!.imports.includes(path);
      if (component.length > 1 || selfImport) cycles.push(component);
    }
  };
  for (const path of paths) if (!index.has(path)) visit(path);
  return cycles;
}

/** Code lines of a TypeScript text: not blank, not comments (doc comments included). */
export function codeLinesOf(text: string): number {
  let count = 0;
  let inComment = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (inComment) {
      if (line.includes("*/")) inComment = false;
      continue;
    }
    if (line === "" || line.startsWith("//")) continue;
    if (line.startsWith("/*")) {
      if (!line.includes("*/")) inComment = true;
      continue;
    }
    count++;
  }
  return count;
}

interface DenoInfoModule {
  specifier: string;
  local?: string;
  dependencies?: Array<{ code?: { specifier: string }; type?: { specifier: string } }>;
}

/** Whether a repository path is a non-test module of lib/ outside the generated protocol. */
function countsAsCode(path: string): boolean {
  return path.startsWith("lib/") && /\.tsx?$/.test(path) && !/_test\.tsx?$/.test(path) &&
    !path.startsWith("lib/codex/protocol/generated/");
}

/** The code lines of lib/ as git has it at `rev`. */
async function codeLinesAt(rootPath: string, rev: string): Promise<number> {
  const git = async (...args: string[]): Promise<string> => {
    const output = await new Deno.Command("git", { args, cwd: rootPath }).output();
    if (!output.success) throw new Error(`Cannot run git ${args.join(" ")}: exit ${output.code}`);
    return new TextDecoder().decode(output.stdout);
  };
  const paths = (await git("ls-tree", "-r", "--name-only", rev, "lib")).split("\n");
  let code = 0;
  for (const path of paths.filter(countsAsCode)) {
    code += codeLinesOf(await git("show", `${rev}:${path}`));
  }
  return code;
}

async function main(): Promise<void> {
  const root = new URL("../../", import.meta.url);
  const rootPath = decodeURIComponent(root.pathname);
  const at = Deno.args.indexOf("--count-at");
  if (at >= 0) {
    const rev = Deno.args[at + 1] ?? "HEAD";
    console.log(
      `lib/ at ${rev}: ${await codeLinesAt(rootPath, rev)} code lines in non-test modules`,
    );
    return;
  }
  const sources: string[] = [];
  for await (const path of walk(`${rootPath}lib`)) {
    if (/\.tsx?$/.test(path) && !/_test\.tsx?$/.test(path)) sources.push(path);
  }
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const lines = [`${rootPath}main.ts`, ...sources].map((p) =>
      `import ${JSON.stringify(new URL(`file://${p}`).href)};`
    );
    await Deno.writeTextFile(entry, lines.join("\n") + "\n");
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: rootPath,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!output.success) Deno.exit(2);
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      modules: DenoInfoModule[];
    };
    const repoPath = (specifier: string): string | null =>
      specifier.startsWith(root.href)
        ? decodeURIComponent(specifier.slice(root.href.length))
        : null;
    const graph: Record<string, ModuleFacts> = {};
    for (const module of info.modules) {
      const path = repoPath(module.specifier);
      if (path === null || !/\.tsx?$/.test(path)) continue;
      const text = await Deno.readTextFile(`${rootPath}${path}`);
      const imports = (module.dependencies ?? []).flatMap((d) =>
        [d.code?.specifier, d.type?.specifier].flatMap((s) => {
          const target = s ? repoPath(s) : null;
          return target ? [target] : [];
        })
      );
      graph[path] = { imports: [...new Set(imports)], lines: text.split("\n").length, text };
    }
    const problems = [...problemsOf(graph), ...await longFunctions(rootPath)];
    for (const problem of problems) console.error(problem);
    if (Deno.args.includes("--count")) {
      let code = 0;
      for (const [path, facts] of Object.entries(graph)) {
        if (countsAsCode(path)) code += codeLinesOf(facts.text);
      }
      console.log(`lib/: ${code} code lines in non-test modules (generated protocol excluded)`);
    }
    console.log(`check_layers: ${Object.keys(graph).length} modules, ${problems.length} problems`);
    if (problems.length > 0) Deno.exit(1);
  } finally {
    await Deno.remove(entry);
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}

if (import.meta.main) await main();
