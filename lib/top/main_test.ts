import assert from "node:assert/strict";
import { throwsWith } from "../../tests/support/assert.ts";
import { SERVER_PERMISSIONS } from "../supervisor/permissions.ts";
import { cannotRun, colourWanted, DEFAULT_INTERVAL_MS, parseTopArgs, topHelpText } from "./main.ts";

const ENV = { HOME: "/home/u" };

Deno.test("parseTopArgs: top's flags, the rest for the server", () => {
  assert.deepEqual(parseTopArgs([], ENV), {
    mode: "live",
    intervalMs: DEFAULT_INTERVAL_MS,
    serverArgs: [],
  });
  assert.deepEqual(parseTopArgs(["--once", "--task-dir", "/t", "--interval", "250"], ENV), {
    mode: "once",
    intervalMs: 250,
    serverArgs: ["--task-dir", "/t"],
  });
  assert.equal(parseTopArgs(["--json", "--interval=1000"], ENV).mode, "json");
  assert.equal(parseTopArgs(["--nonsense", "-h"], ENV).mode, "help", "help wins");
});

Deno.test("parseTopArgs: bad input is named", () => {
  throwsWith(() => parseTopArgs(["--once", "--json"], ENV), "--once with --json");
  throwsWith(() => parseTopArgs(["--interval", "5"], ENV), "--interval", '"5"', "100 to 10000");
  throwsWith(() => parseTopArgs(["--interval"], ENV), "--interval", "100 to 10000");
  throwsWith(() => parseTopArgs(["--max-parallel", "0"], ENV), "--max-parallel");
  throwsWith(() => parseTopArgs(["--bogus"], ENV), "Cannot parse arguments", "--bogus");
  throwsWith(() => parseTopArgs(["--version"], ENV), "--version");
});

Deno.test("colourWanted: off for NO_COLOR (non-empty) or a pipe", () => {
  assert.equal(colourWanted({}, true), true);
  assert.equal(colourWanted({ NO_COLOR: "" }, true), true);
  assert.equal(colourWanted({ NO_COLOR: "1" }, true), false);
  assert.equal(colourWanted({}, false), false);
  assert.match(topHelpText(), /--once/);
});

Deno.test("SERVER_PERMISSIONS: top may run its own program (it starts its server so)", () => {
  // Unscoped --allow-run allows Deno.execPath(), whose path is not known in advance.
  assert.ok(SERVER_PERMISSIONS.includes("--allow-run"), SERVER_PERMISSIONS.join(" "));
});

Deno.test("cannotRun: says which program and how to allow it", async () => {
  // The tests run with --allow-all; a program is refused only where run permission is limited.
  assert.equal(await cannotRun(Deno.execPath()), null);
});
