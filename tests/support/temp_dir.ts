/**
 * A temporary directory for a test, removed afterwards whatever happens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * let made = "";
 * await withTempDir("my-test-", async (dir) => {
 *   made = dir;
 *   await Deno.writeTextFile(`${dir}/a.txt`, "a");
 * });
 * await assert.rejects(Deno.stat(made), Deno.errors.NotFound); // removed afterwards
 * ```
 * @module
 */

/** Runs `fn` with a new temporary directory (its real path), then removes it with all it holds. */
export async function withTempDir(
  prefix: string,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
