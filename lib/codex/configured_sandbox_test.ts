import assert from "node:assert/strict";
import type { AppServer } from "./app_server.ts";
import { configuredSandbox } from "./configured_sandbox.ts";

/** A server whose `config/read` answers `answer` (or throws it, when an Error). */
function serverAnswering(answer: unknown): Pick<AppServer, "request"> {
  return {
    request: ((method: string, params: unknown) => {
      assert.equal(method, "config/read");
      assert.deepEqual(params, { includeLayers: false });
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    }) as AppServer["request"],
  };
}

Deno.test("configuredSandbox: Codex's config sandbox_mode, else read-only", async () => {
  const mode = (sandbox_mode: unknown) => ({ config: { sandbox_mode }, origins: {} });
  assert.equal(
    await configuredSandbox(serverAnswering(mode("workspace-write"))),
    "workspace-write",
  );
  assert.equal(
    await configuredSandbox(serverAnswering(mode("danger-full-access"))),
    "danger-full-access",
  );
  assert.equal(await configuredSandbox(serverAnswering(mode(null))), "read-only");
  assert.equal(await configuredSandbox(serverAnswering({ config: {} })), "read-only");
});

Deno.test("configuredSandbox: a failed config/read or an unknown mode is an error naming it", async () => {
  await assert.rejects(
    configuredSandbox(serverAnswering(new Error("boom"))),
    /Codex cannot read its config \(config\/read\): boom/,
  );
  await assert.rejects(
    configuredSandbox(serverAnswering({ config: { sandbox_mode: "open" } })),
    /sandbox_mode "open": expected one of read-only, workspace-write, danger-full-access/,
  );
});
