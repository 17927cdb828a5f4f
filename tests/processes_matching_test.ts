import assert from "node:assert/strict";
import { descendantsOf, eventually, processesMatching } from "./support/harness.ts";

Deno.test("processesMatching leaves out a child that still has its parent's command line", async () => {
  const marker = `matching-${crypto.randomUUID()}`;
  const sleep = `sleep 600.${crypto.getRandomValues(new Uint32Array(1))[0]}`; // this test's own
  // A subshell is a fork of bash that runs no program of its own: it keeps bash's command line,
  // as a supervisor's child does between fork and exec. Its own child, sleep, does not match.
  const shell = new Deno.Command("bash", {
    args: ["-c", `(${sleep}; true); true`, marker],
    stdin: "null",
  }).spawn();
  try {
    assert.ok(await eventually(() => processesMatching(sleep).length > 0));
    const found = processesMatching(`true); true ${marker}`);
    assert.deepEqual(found.map((p) => p.pid), [shell.pid]);
  } finally {
    for (const pid of descendantsOf([shell.pid])) Deno.kill(pid, "SIGKILL");
    shell.kill("SIGKILL");
    await shell.status;
  }
});
