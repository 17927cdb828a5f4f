/**
 * Finds the functions of lib/ longer than {@link MAX_FUNCTION_LINES} lines, TypeScript-aware: a
 * `deno lint` plugin (this module's default export, rule `size/function-lines`) measures every
 * function declaration, function expression, method and arrow function from its first line to
 * its last, nested functions counting in the function around them too. `deno task layers` runs it
 * through {@link longFunctions} and lists each one as a problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { functionProblemsOf } from "./function_lines.ts";
 *
 * const problems = functionProblemsOf([{
 *   filename: "file:///repo/lib/tasks/big.ts",
 *   range: { start: { line: 12 } },
 *   message: "run has 95 lines",
 *   code: "size/function-lines",
 * }], "file:///repo/");
 * assert.deepEqual(problems, ["lib/tasks/big.ts:12: run has 95 lines (over 80): split it"]);
 * ```
 *
 * ```sh
 * deno lint --config .github/scripts/function_lines.json --json lib/
 * ```
 *
 * @module
 */

/** The longest a function may be, in lines, its signature and closing brace included. */
export const MAX_FUNCTION_LINES = 80;

/** The name of the rule, as `deno lint` reports it. */
export const RULE = "size/function-lines";

/** One diagnostic of `deno lint --json`, as far as it is read here. */
export interface LintDiagnostic {
  filename: string;
  range: { start: { line: number } };
  message: string;
  code: string;
}

/** The line (from 1) of the character at `offset` in `text`. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A function's name for the report: its own, its method's or variable's, else where it is. */
// deno-lint-ignore no-explicit-any
function nameOf(node: any): string {
  if (node.id?.name) return node.id.name;
  const parent = node.parent;
  switch (parent?.type) {
    case "MethodDefinition":
    case "Property":
    case "PropertyDefinition":
      return parent.key?.name ?? parent.key?.value ?? "a method";
    case "VariableDeclarator":
      return parent.id?.name ?? "a function";
    case "CallExpression": {
      const callee = parent.callee;
      return `a function given to ${callee?.property?.name ?? callee?.name ?? "a call"}`;
    }
    default:
      return "a function";
  }
}

/** The lint plugin: reports each function longer than {@link MAX_FUNCTION_LINES} lines. */
const plugin: Deno.lint.Plugin = {
  name: "size",
  rules: {
    "function-lines": {
      create(context) {
        const text = context.sourceCode.text;
        const check = (node: Deno.lint.Node & { range: Deno.lint.Range }) => {
          const lines = lineAt(text, node.range[1]) - lineAt(text, node.range[0]) + 1;
          if (lines > MAX_FUNCTION_LINES) {
            context.report({ node, message: `${nameOf(node)} has ${lines} lines` });
          }
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
  },
};
export default plugin;

/**
 * The problems of `diagnostics` in lib/'s modules (not their tests, not the generated protocol),
 * one line each, paths relative to `rootHref`.
 */
export function functionProblemsOf(diagnostics: LintDiagnostic[], rootHref: string): string[] {
  return diagnostics.flatMap((d) => {
    if (d.code !== RULE || !d.filename.startsWith(rootHref)) return [];
    const path = decodeURIComponent(d.filename.slice(rootHref.length));
    if (!path.startsWith("lib/") || /_test\.tsx?$/.test(path)) return [];
    if (path.startsWith("lib/codex/protocol/generated/")) return [];
    return [
      `${path}:${d.range.start.line}: ${d.message} (over ${MAX_FUNCTION_LINES}): split it`,
    ];
  });
}

/** Runs the plugin over lib/ of the repository at `rootPath`; the problems it finds. */
export async function longFunctions(rootPath: string): Promise<string[]> {
  const config = new URL("./function_lines.json", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["lint", "--config", decodeURIComponent(config.pathname), "--json", "lib/"],
    cwd: rootPath,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  let report: { diagnostics?: LintDiagnostic[] };
  try {
    report = JSON.parse(text);
  } catch {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`Cannot read the function lengths: deno lint said ${stderr || text}`);
  }
  return functionProblemsOf(report.diagnostics ?? [], new URL(`file://${rootPath}`).href);
}
