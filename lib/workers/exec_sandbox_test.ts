import assert from "node:assert/strict";
import { startExecServer } from "../../tests/support/exec_server.ts";
import { userNamespaces } from "../../tests/support/user_namespaces.ts";
import type { SandboxPolicy } from "../codex/protocol/generated/v2/SandboxPolicy.ts";
import { ExecServerClient } from "./exec_server_client.ts";
import { execSandbox } from "./exec_sandbox.ts";

const writable = (over: Partial<SandboxPolicy & { type: "workspaceWrite" }> = {}) =>
  ({
    type: "workspaceWrite",
    writableRoots: [],
    networkAccess: false,
    excludeTmpdirEnvVar: true,
    excludeSlashTmp: true,
    ...over,
  }) as SandboxPolicy;

/** The entries of a context as `access kind-or-path`, e.g. `write project_roots`. */
function entriesOf(policy: SandboxPolicy): string[] {
  return execSandbox(policy, "/w/repo")!.permissions.file_system.entries.map((e) => {
    const what = e.path.type === "path"
      ? e.path.path
      : [e.path.value.kind, e.path.value.subpath].filter(Boolean).join("/");
    return `${e.access} ${what}`;
  });
}

Deno.test("execSandbox: each sandbox mode as the exec-server takes it", () => {
  assert.equal(execSandbox({ type: "dangerFullAccess" }, "/w"), null);
  assert.equal(execSandbox({ type: "externalSandbox", networkAccess: "enabled" }, "/w"), null);

  const readOnly = execSandbox({ type: "readOnly", networkAccess: false }, "/w/a b")!;
  assert.deepEqual(entriesOf({ type: "readOnly", networkAccess: false }), ["read root"]);
  assert.equal(readOnly.cwd, "file:///w/a%20b");
  assert.equal(readOnly.workspaceRoots, undefined);
  assert.equal(readOnly.permissions.network, "restricted");
  assert.equal(
    execSandbox({ type: "readOnly", networkAccess: true }, "/w")!.permissions.network,
    "enabled",
  );

  // cwd is the project root, its metadata read-only; /tmp and $TMPDIR as the policy says.
  assert.deepEqual(entriesOf(writable()), [
    "read root",
    "write project_roots",
    "read project_roots/.git",
    "read project_roots/.agents",
    "read project_roots/.codex",
  ]);
  assert.deepEqual(execSandbox(writable(), "/w/repo")!.workspaceRoots, ["file:///w/repo"]);
  assert.deepEqual(
    entriesOf(
      writable({ excludeSlashTmp: false, excludeTmpdirEnvVar: false, writableRoots: ["/x"] }),
    )
      .slice(2, 5),
    ["write slash_tmp", "write tmpdir", "write file:///x"],
  );
  assert.equal(
    execSandbox(writable({ networkAccess: true }), "/w")!.permissions.network,
    "enabled",
  );
});

/** How many network interfaces this machine has (loopback included). */
function hostInterfaces(): number {
  return Deno.readTextFileSync("/proc/net/dev").trim().split("\n").length - 2;
}

Deno.test("execSandbox on the real exec-server: roots, git metadata, network", async () => {
  if (!userNamespaces()) {
    console.warn("skipped: `unshare --user` fails here, so Codex's sandbox cannot start either");
    return;
  }
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "exec-sandbox-" }));
  try {
    for (const dir of ["repo/sub", "gitdir", "extra"]) {
      await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    }
    // A worktree's .git is a file naming its git directory elsewhere: both stay read-only.
    await Deno.writeTextFile(`${root}/repo/.git`, `gitdir: ${root}/gitdir\n`);
    await using server = await startExecServer({ cwd: root });
    await using client = await ExecServerClient.connect(server.url, { token: server.token });
    const targets = ["sub/in.txt", ".git", `${root}/gitdir/x`, `${root}/extra/x`, `${root}/out`];
    const script = `for f in ${targets.join(" ")}; do (echo 1 > "$f") 2>/dev/null && echo "$f"; ` +
      "done; echo net $(tail -n +3 /proc/net/dev | wc -l)";
    const wrote = async (policy: SandboxPolicy) => {
      const cwd = `${root}/repo`;
      const result = await client.run(["/bin/sh", "-c", script], {
        cwd,
        env: { PATH: "/usr/bin:/bin" },
        sandbox: execSandbox(policy, cwd)!,
      });
      await client.run(["rm", "-f", `${cwd}/sub/in.txt`, `${root}/extra/x`], { cwd: root });
      return new TextDecoder().decode(result.stdout).trim().split("\n");
    };
    // Without network the sandbox has only its loopback; with it, the host's interfaces.
    assert.deepEqual(await wrote(writable({ writableRoots: [`${root}/extra`] })), [
      "sub/in.txt",
      `${root}/extra/x`,
      "net 1",
    ]);
    const net = await wrote(writable({ networkAccess: true }));
    assert.equal(net[0], "sub/in.txt");
    assert.equal(net[1], `net ${hostInterfaces()}`, "the network was cut");
    assert.deepEqual(await wrote({ type: "readOnly", networkAccess: false }), ["net 1"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
