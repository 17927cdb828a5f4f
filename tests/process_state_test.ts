/**
 * No test changes what its process shares: `deno test --parallel` runs test files at once in one
 * process, so a test that sets PATH (or HOME, the cwd, the umask) changes it for every other file
 * running meanwhile; a program they spawn by name is then "not found" now and then. A test that
 * needs such a change runs a child with it (tests/support/loopback.ts `jsonWithPath`).
 *
 * @module
 */

import assert from "node:assert/strict";

/** A call that changes the process's environment, cwd or umask (reading them is fine). */
const PROCESS_WIDE =
  /Deno\.env\.(set|delete)\(|Deno\.chdir\(|Deno\.umask\(\s*[^\s)]|process\.chdir\(|process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete process\.env/;

/** The lines (1-based) of `text` that change process-wide state. */
function processWideLines(text: string): number[] {
  return text.split("\n").flatMap((line, i) => PROCESS_WIDE.test(line) ? [i + 1] : []);
}

/** The test files and test support modules under `dir`, as paths. */
async function* testModules(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "fixtures") yield* testModules(path);
    else if (entry.isFile && /(_test|\/tests\/support\/[^/]+)\.tsx?$/.test(path)) {
      yield path;
    }
  }
}

Deno.test("processWideLines finds the calls that change the process's state, not the reads", () => {
  assert.deepEqual(
    processWideLines(
      [
        'Deno.env.set("PATH", bin);',
        'const home = Deno.env.get("HOME");',
        "Deno.chdir(dir);",
        "const mask = Deno.umask();",
        "Deno.umask(0o77);",
        'process.env.HOME = "/x";',
        'if (process.env["PATH"] === "") {}',
        'process.env["PATH"] = "";',
        "Deno.env.delete('HOME');",
      ].join("\n"),
    ),
    [1, 3, 5, 6, 8, 9],
  );
});

Deno.test("no test changes its process's environment, cwd or umask (files run at once in it)", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const found: string[] = [];
  for (const top of ["lib", "tests", "bench"]) {
    for await (const path of testModules(`${root}${top}`)) {
      if (path === new URL(import.meta.url).pathname) continue; // its examples above
      const lines = processWideLines(await Deno.readTextFile(path));
      found.push(...lines.map((line) => `${path.slice(root.length)}:${line}`));
    }
  }
  assert.deepEqual(found, []);
});
