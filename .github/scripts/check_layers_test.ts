import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { codeLinesOf, layerOf, problemsOf } from "./check_layers.ts";

Deno.test("layerOf: the folder under lib/, main.ts, or null", () => {
  assertEquals(layerOf("lib/tasks/task.ts"), "tasks");
  assertEquals(layerOf("main.ts"), "main.ts");
  assertEquals(layerOf("tests/x_test.ts"), null);
});

Deno.test("problemsOf: downward and same-layer imports pass; upward, .github/ and cycles do not", () => {
  const facts = (imports: string[], lines = 10, text = "") => ({ imports, lines, text });
  assertEquals(
    problemsOf({
      "main.ts": facts(["lib/mcp/server.ts"]),
      "lib/mcp/server.ts": facts(["lib/tasks/task.ts", "lib/mcp/sdk.ts"]),
      "lib/mcp/sdk.ts": facts([]),
      "lib/tasks/task.ts": facts(["lib/git/git.ts", "lib/codex/app_server.ts"]),
      "lib/git/git.ts": facts(["lib/base/log.ts"]),
      "lib/codex/app_server.ts": facts(["lib/git/git.ts"]),
      "lib/base/log.ts": facts([]),
    }),
    [],
  );
  assertEquals(
    problemsOf({
      "lib/git/git.ts": facts(["lib/tasks/task.ts", ".github/scripts/permissions.ts"]),
      "lib/tasks/task.ts": facts(["lib/git/git.ts"], 600),
      "lib/tasks/big.ts": facts([], 600, "/** Why this is one cohesive thing: ... */"),
    }),
    [
      "lib/git/git.ts imports upward: lib/tasks/task.ts (git may import only codex, git, workers, base)",
      "lib/git/git.ts imports from .github/: .github/scripts/permissions.ts",
      "lib/tasks/task.ts has 600 lines (over 500): split it, or say in its doc comment why it is one cohesive thing",
      "import cycle: lib/git/git.ts -> lib/tasks/task.ts -> lib/git/git.ts",
    ],
  );
});

Deno.test("codeLinesOf: comments and blank lines do not count", () => {
  assertEquals(
    codeLinesOf("/**\n * doc\n */\nconst a = 1;\n\n// note\nconst b = 2; // tail\n/* x */\n"),
    2,
  );
});
