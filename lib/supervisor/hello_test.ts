import assert from "node:assert/strict";
import { parseCli } from "./cli.ts";
import { machineWideDifferences } from "./hello.ts";

function config(args: string[]) {
  const parsed = parseCli(args, { HOME: "/home/u" }, { os: "linux", cwd: "/w" });
  if (parsed.kind !== "run") throw new Error("unreachable");
  return parsed.config;
}

Deno.test("machine-wide flags that differ are named; session flags are not", () => {
  const supervisor = config(["--max-parallel", "3"]);
  assert.deepEqual(
    machineWideDifferences(config(["--max-parallel", "3", "-c", "a=1"]), supervisor),
    [],
  );
  const diff = machineWideDifferences(
    config(["--max-parallel", "5", "--idle-exit", "9"]),
    supervisor,
  );
  assert.equal(diff.length, 2);
  assert.match(diff[0]!, /^--max-parallel is 5 for this client but the running supervisor has 3/);
  assert.match(diff[1]!, /^--idle-exit is 9 .* has 600/);
});

Deno.test("a session's other workers are named, and the supervisor's apply", () => {
  const supervisor = config(["--worker", "box=ssh://box"]);
  assert.deepEqual(machineWideDifferences(config(["--worker", "box=ssh://box"]), supervisor), []);
  const diff = machineWideDifferences(config(["--worker", "pod=ssh://pod"]), supervisor);
  assert.equal(diff.length, 1);
  assert.match(
    diff[0]!,
    /^--worker, --worker-token-file or --no-local differ .* a session cannot add workers/,
  );
  assert.equal(machineWideDifferences(config([]), supervisor).length, 1);
});
