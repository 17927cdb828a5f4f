/**
 * The real path of a directory the operator names (an allowed root), so that it matches the real
 * working directories it is compared with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * assert.equal(realPathOr(dir), Deno.realPathSync(dir)); // symlinks resolved
 * assert.equal(realPathOr("/no/such/dir"), "/no/such/dir"); // as given when it does not exist
 * await Deno.remove(dir);
 * ```
 * @module
 */

/** The real path of `path` when it exists, else `path` as given. */
export function realPathOr(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}
