/**
 * One of the server's own `-c key=value` entries, checked with Codex's syntax. Apart from
 * `./config_overrides.ts` (which parses TOML), so that the front-end, which checks its flags,
 * loads no TOML parser.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseOverride('model="o3"'), { key: "model", value: '"o3"' });
 * assert.equal(isBareKey("network_access"), true);
 * ```
 * @module
 */

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** Whether `key` can be written without quotes in TOML (`A-Za-z0-9_-`, at least one). */
export function isBareKey(key: string): boolean {
  return BARE_KEY.test(key);
}

/** One `-c key=value` override: a dotted key of bare segments and the value text as written. */
export interface Override {
  /** Dotted path, for example `sandbox_workspace_write.network_access`. */
  key: string;
  /** The value as TOML text, or any text that Codex will take as a literal string. */
  value: string;
}

/**
 * Checks one of the server's own `-c key=value` entries, with Codex's syntax: split at the first
 * `=`, both halves trimmed, the key a dotted path of bare keys. The value is kept as written
 * (trimmed): Codex parses it as TOML and falls back to the raw text as a string, so any value is
 * accepted, even an empty one.
 *
 * @param entry The text after `-c`.
 * @returns The key and the value text.
 * @throws {Error} Naming the entry, when there is no `=`, the key is empty, a key segment is empty
 * (`a..b`) or has characters other than letters, digits, `_` and `-`.
 */
export function parseOverride(entry: string): Override {
  const what = `Cannot parse -c entry ${JSON.stringify(entry)}`;
  const eq = entry.indexOf("=");
  if (eq < 0) throw new Error(`${what}: expected key=value`);
  const key = entry.slice(0, eq).trim();
  if (key === "") throw new Error(`${what}: the key before "=" is empty`);
  for (const segment of key.split(".")) {
    if (segment === "") throw new Error(`${what}: key ${JSON.stringify(key)} has an empty segment`);
    if (!isBareKey(segment)) {
      throw new Error(
        `${what}: key segment ${JSON.stringify(segment)} may only contain letters, digits, "_" ` +
          `and "-"`,
      );
    }
  }
  return { key, value: entry.slice(eq + 1).trim() };
}
