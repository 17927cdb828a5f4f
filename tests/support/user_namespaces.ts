/**
 * Whether this machine gives user namespaces, which Codex's Linux sandbox needs: tests of the
 * sandbox skip, saying so, where it cannot start (many containers refuse them).
 *
 * @example
 * ```ts ignore
 * // ignore: runs `unshare`
 * if (!userNamespaces()) console.warn("skipped: `unshare --user` fails here");
 * ```
 * @module
 */

/** True when `unshare --user --map-root-user true` succeeds. */
export function userNamespaces(): boolean {
  try {
    return new Deno.Command("unshare", {
      args: ["--user", "--map-root-user", "true"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}
