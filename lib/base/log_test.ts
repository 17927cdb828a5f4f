import assert from "node:assert/strict";
import { Logger } from "./log.ts";

Deno.test("Logger: levels filter; lines reach stderr, the file and sinks; the file rotates", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/server.log`;
  const stderr: string[] = [];
  const log = new Logger({ level: "info", file, stderr: (l) => stderr.push(l), rotateBytes: 1000 });
  const sunk: string[] = [];
  const detach = log.attach((level, message) => sunk.push(`${level}:${message}`));
  log.debug("hidden");
  log.info("shown", { taskId: "abc" });
  detach();
  log.error("after detach");
  assert.equal(stderr.length, 2);
  assert.match(stderr[0]!, / INFO shown \{"taskId":"abc"\}\n$/);
  assert.deepEqual(sunk, ["info:shown"]);
  assert.match(await Deno.readTextFile(file), /shown[\s\S]*after detach/);
  for (let i = 0; i < 500; i++) log.info(`line ${i} ${"x".repeat(50)}`);
  assert.ok((await Deno.stat(`${file}.1`)).size > 1000, "rotated file kept");
  assert.ok((await Deno.stat(file)).size < 200 * 80, "current file restarted");
  await Deno.remove(dir, { recursive: true });
});
