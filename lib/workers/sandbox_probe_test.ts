import assert from "node:assert/strict";
import { startExecServer } from "../../tests/support/exec_server.ts";
import { userNamespaces } from "../../tests/support/user_namespaces.ts";
import { ExecServerClient } from "./exec_server_client.ts";
import { judgeProbe, probeSandbox } from "./sandbox_probe.ts";

Deno.test("judgeProbe: started and refused is enforced; not started or written is none", () => {
  assert.deepEqual(judgeProbe("codex-swarm-sandbox-started\n", "", 1), {
    sandbox: "enforced",
    detail: null,
  });
  assert.deepEqual(
    judgeProbe("", "bwrap: Creating new namespace failed: nesting depth (ENOSPC)\n", 1),
    {
      sandbox: "none",
      detail:
        "the sandbox did not start: bwrap: Creating new namespace failed: nesting depth (ENOSPC)",
    },
  );
  assert.equal(judgeProbe("", "", 101).detail, "the sandbox did not start: exit code 101");
  assert.equal(
    judgeProbe("codex-swarm-sandbox-started\ncodex-swarm-sandbox-wrote\n", "", 0).sandbox,
    "none",
  );
});

Deno.test({
  name: "probeSandbox finds the sandbox enforced, and missing without user namespaces",
  async fn() {
    if (!userNamespaces()) {
      console.warn("skipped: `unshare --user` fails here, so Codex's sandbox cannot start either");
      return;
    }
    {
      await using server = await startExecServer();
      await using client = await ExecServerClient.connect(server.url, { token: server.token });
      assert.deepEqual(await probeSandbox(client), { sandbox: "enforced", detail: null });
    }
    // A user namespace that may make no more: as in a container without them.
    await using server = await startExecServer({
      wrap: [
        "unshare",
        "--user",
        "--map-root-user",
        "sh",
        "-c",
        'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"',
        "sh",
      ],
    });
    await using client = await ExecServerClient.connect(server.url, { token: server.token });
    const probe = await probeSandbox(client);
    assert.equal(probe.sandbox, "none");
    assert.match(probe.detail ?? "", /the sandbox did not start: .*namespace/);
  },
});
