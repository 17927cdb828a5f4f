/**
 * Whether a worker can enforce Codex's sandbox, found at connect time through the second channel:
 * a shell started in the exec-server's own read-only sandbox tries to write a file in the
 * worker's temporary directory.
 *
 * - `enforced`: the sandboxed shell ran and its write failed.
 * - `none`: the sandbox could not start (e.g. no user namespaces in a container: bubblewrap says
 *   "Creating new namespace failed"), or the write went through.
 * - `unknown`: the exec-server refused the request (another protocol) or the probe failed.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a connected exec-server
 * const probe = await probeSandbox(client);
 * if (probe.sandbox === "none") console.log(`no sandbox: ${probe.detail}`);
 * ```
 * @module
 */

import type { ExecServerClient } from "./exec_server_client.ts";
import { execSandbox } from "./exec_sandbox.ts";

/** What a worker does with a task's sandbox. */
export type SandboxSupport = "enforced" | "none" | "unknown";

/** The probe's finding, with what showed it. */
export interface SandboxProbe {
  sandbox: SandboxSupport;
  /** Why it is not `enforced` (the sandbox's own message when it failed to start), else null. */
  detail: string | null;
}

/** How long the probe may take: starting the sandbox is quick, a hung worker is not. */
const PROBE_TIMEOUT_MS = 15_000;
/** What the sandboxed shell prints first: proof that it started. */
const STARTED = "codex-swarm-sandbox-started";
/** What it prints when its write went through. */
const WROTE = "codex-swarm-sandbox-wrote";

/**
 * Reads the probe's output: whether the shell started, whether it wrote.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(judgeProbe("codex-swarm-sandbox-started\n", "", 0).sandbox, "enforced");
 * assert.equal(judgeProbe("", "bwrap: Creating new namespace failed", 1).sandbox, "none");
 * ```
 */
export function judgeProbe(stdout: string, stderr: string, exitCode: number | null): SandboxProbe {
  if (!stdout.includes(STARTED)) {
    const why = stderr.trim().split("\n").filter(Boolean).at(-1) ?? `exit code ${exitCode}`;
    return { sandbox: "none", detail: `the sandbox did not start: ${why}` };
  }
  if (stdout.includes(WROTE)) {
    return { sandbox: "none", detail: "a write outside the sandbox's roots went through" };
  }
  return { sandbox: "enforced", detail: null };
}

/** Runs the probe on a connected worker. */
export async function probeSandbox(client: ExecServerClient): Promise<SandboxProbe> {
  const dir = client.info.tempDir ?? "/tmp";
  const target = `${dir}/codex-swarm-sandbox-probe-${crypto.randomUUID()}`;
  try {
    const result = await client.run(
      ["/bin/sh", "-c", `echo ${STARTED}; (echo x > "$0") 2>/dev/null && echo ${WROTE}`, target],
      {
        cwd: dir,
        env: { PATH: "/usr/bin:/bin" },
        // The exec-server's read-only sandbox: read everything, write nothing, no network.
        sandbox: execSandbox({ type: "readOnly", networkAccess: false }, dir)!,
        timeoutMs: PROBE_TIMEOUT_MS,
      },
    );
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return judgeProbe(decode(result.stdout), decode(result.stderr), result.exitCode);
  } catch (error) {
    return { sandbox: "unknown", detail: `the probe failed: ${(error as Error).message}` };
  } finally {
    await client.remove(target).catch(() => {});
  }
}
