/**
 * A real OpenSSH server on 127.0.0.1 for a test: host and user keys made in a temporary
 * directory, its own config on a free port, in its own process group (killed as a group when
 * disposed). {@link sshdProblem} says why none can run here (not root, no sshd): the test then
 * skips, saying so.
 *
 * @example
 * ```ts ignore
 * // ignore: starts sshd
 * await using sshd = await startSshd();
 * // ssh with sshd.sshArgs to `${sshd.user}@127.0.0.1` on sshd.port
 * ```
 * @module
 */

import { spawn } from "node:child_process";
import { sendSignal } from "../../lib/base/process.ts";

/** Where Debian's openssh-server puts the daemon. */
const SSHD = "/usr/sbin/sshd";

/** Why no sshd can run in this test, or null. */
export function sshdProblem(): string | null {
  if (Deno.uid() !== 0) return "not root (sshd needs root to switch users)";
  try {
    Deno.statSync(SSHD);
  } catch {
    return `${SSHD} is missing (apt-get install openssh-server)`;
  }
  return null;
}

/** A running sshd. */
export interface RunningSshd extends AsyncDisposable {
  port: number;
  /** The user to log in as (this process's). */
  user: string;
  /** ssh options for it: the user key, its host key as the only known one, no user config. */
  sshArgs: string[];
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts sshd on a free port of 127.0.0.1 with fresh keys. */
export async function startSshd(): Promise<RunningSshd> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "sshd-" }));
  await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/host_key`]);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/user_key`]);
  await Deno.copyFile(`${dir}/user_key.pub`, `${dir}/authorized_keys`);
  const port = freePort();
  const hostKey = (await Deno.readTextFile(`${dir}/host_key.pub`)).trim();
  await Deno.writeTextFile(`${dir}/known_hosts`, `[127.0.0.1]:${port} ${hostKey}\n`);
  await Deno.writeTextFile(
    `${dir}/sshd_config`,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${dir}/host_key`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PidFile ${dir}/sshd.pid`,
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "StrictModes no",
      "UsePAM no",
      "AllowTcpForwarding yes",
      "",
    ].join("\n"),
  );
  const child = spawn(SSHD, ["-D", "-e", "-f", `${dir}/sshd_config`], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr!.on("data", (data) => stderr += String(data));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.pid !== undefined) sendSignal([-child.pid], "SIGKILL");
    await exited;
    await Deno.remove(dir, { recursive: true });
  };
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return {
        port,
        user: await run("id", ["-un"]),
        sshArgs: [
          "-F",
          "/dev/null",
          "-i",
          `${dir}/user_key`,
          "-o",
          "IdentitiesOnly=yes",
          "-o",
          `UserKnownHostsFile=${dir}/known_hosts`,
          "-o",
          "StrictHostKeyChecking=yes",
        ],
        [Symbol.asyncDispose]: stop,
      };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await stop();
  throw new Error(`sshd did not listen on ${port}: ${stderr}`);
}
