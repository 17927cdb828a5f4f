/**
 * Server flags that take `/tmp` and `$TMPDIR` out of the workspace-write sandbox. Test
 * directories live there, so without them every one would be writable from any task, and a test
 * could not see the sandbox deny a write beside a task's cwd.
 *
 * @example Not run: it starts codex-swarm and the real Codex (the end-to-end tests run it).
 * ```ts ignore
 * await using h = await startHarness({ args: [...TMP_OUT_OF_SANDBOX] });
 * ```
 * @module
 */

/** The `-c` flags (see the module doc). */
export const TMP_OUT_OF_SANDBOX: readonly string[] = [
  "-c",
  "sandbox_workspace_write.exclude_slash_tmp=true",
  "-c",
  "sandbox_workspace_write.exclude_tmpdir_env_var=true",
];
