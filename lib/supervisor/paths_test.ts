import assert from "node:assert/strict";
import { FORCE_TCP_ENV, supervisorPaths, unixSocketProblem } from "./paths.ts";

Deno.test("the supervisor's files are in .supervisor inside the task directory", () => {
  const paths = supervisorPaths("/s/tasks/");
  assert.equal(paths.socket, "/s/tasks/.supervisor/sock");
  assert.equal(paths.info, "/s/tasks/.supervisor/info.json");
});

Deno.test("a Unix socket path too long, or the TCP switch, means the loopback fallback", () => {
  if (Deno.build.os === "windows") return;
  assert.match(unixSocketProblem(`/${"x".repeat(120)}/sock`, {}) ?? "", /more than the 103/);
  assert.match(unixSocketProblem("/s/sock", { [FORCE_TCP_ENV]: "1" }) ?? "", /SUPERVISOR_TCP=1/);
});
