import assert from "node:assert/strict";
import { innerIsTerminal, stdinIsTerminal } from "./terminal.ts";

Deno.test("innerIsTerminal: terminal devices, not pipes, sockets or files", () => {
  for (const yes of ["/dev/pts/0", "/dev/pts/12\n", "/dev/tty1", "/dev/ttys003"]) {
    assert.equal(innerIsTerminal(yes), true, yes);
  }
  for (const no of ["pipe:[81234]", "socket:[9]", "/dev/null", "/dev/pts/../sda", "/tmp/x"]) {
    assert.equal(innerIsTerminal(no), false, no);
  }
});

Deno.test("stdinIsTerminal: a child reading /dev/null is not at a terminal", async () => {
  const child = new Deno.Command("sleep", { args: ["5"], stdin: "null" }).spawn();
  try {
    assert.equal(await stdinIsTerminal(child.pid), false);
  } finally {
    child.kill();
    await child.status;
  }
});
