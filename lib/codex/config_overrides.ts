/**
 * Config settings for Codex: the server's own `-c key=value` entries (TOML text, as Codex reads
 * them) and a call's or a profile's `config` object, flattened to dotted keys with JSON values, the
 * form `thread/start` takes.
 *
 * Codex (checked with codex-cli 0.169.0) splits an override at the first `=`, trims both halves,
 * splits the key at every `.` with no regard for TOML quoting (`a."b"` names a key spelled `"b"`,
 * quotes included), parses the value as TOML and, when that fails, uses the raw text as a string.
 * A table value is deep-merged into the loaded config, like the dotted keys it stands for.
 * So keys here are always dotted paths of bare keys, and a nested key that is not bare stays
 * inside its table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(flattenConfig({ sandbox_workspace_write: { network_access: true } }), [
 *   ["sandbox_workspace_write.network_access", true],
 * ]);
 * assert.equal(tomlTextToJson('"o3"'), "o3");
 * ```
 * @module
 */

import { parse } from "smol-toml";
import { isBareKey } from "./override_entry.ts";

/** JSON data. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Checks that `v` is a value Codex's TOML config can hold: no null, no lone surrogate, finite. */
function checkValue(v: unknown, path: string): Json {
  const fail = (problem: string): never => {
    throw new Error(`Cannot use config value at ${JSON.stringify(path)}: ${problem}`);
  };
  if (typeof v === "string") {
    if (!v.isWellFormed()) fail("string has a lone UTF-16 surrogate");
    return v;
  }
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : fail(`${v} is not a finite number`);
  if (v === null || v === undefined) return fail(`${v} has no TOML equivalent`);
  if (Array.isArray(v)) return Array.from(v, (item, i) => checkValue(item, `${path}[${i}]`));
  if (!isPlainObject(v)) {
    return fail(`a ${Object.prototype.toString.call(v).slice(8, -1)} has no TOML equivalent`);
  }
  return Object.fromEntries(
    Object.entries(v).map(([key, item]) => {
      if (!key.isWellFormed()) fail("a key has a lone UTF-16 surrogate");
      return [key, checkValue(item, `${path}.${isBareKey(key) ? key : JSON.stringify(key)}`)];
    }),
  );
}

function flattenInto(obj: Record<string, unknown>, path: string, out: Array<[string, Json]>) {
  const keys = Object.keys(obj);
  if (path !== "" && (keys.length === 0 || keys.some((k) => !isBareKey(k)))) {
    // Codex cannot address a key that is not bare with a dotted path, but it takes the whole
    // table (merged into the config like dotted keys). An empty table also stays a table.
    out.push([path, checkValue(obj, path)]);
    return;
  }
  for (const key of keys) {
    if (!isBareKey(key)) {
      throw new Error(
        `Cannot use config key ${JSON.stringify(key)}: top-level keys may only contain ` +
          `letters, digits, "_" and "-"`,
      );
    }
    const value = obj[key];
    const keyPath = path === "" ? key : `${path}.${key}`;
    if (isPlainObject(value)) flattenInto(value, keyPath, out);
    else out.push([keyPath, checkValue(value, keyPath)]);
  }
}

/**
 * Turns a nested config object into dotted settings: nested plain objects become dotted keys
 * (`{a: {b: true}}` gives `["a.b", true]`), arrays stay values. An object with a key that is not
 * bare (or an empty object) is kept whole at its own path, because Codex reads keys as plain
 * `.`-separated names.
 *
 * @param obj The config object, for example a tool call's `config`.
 * @returns `[key, value]` pairs in the object's order.
 * @throws {Error} For a top-level key that is not bare, or a value TOML cannot hold (`null`,
 * a non-finite number, a lone surrogate, anything but JSON data), naming its path.
 */
export function flattenConfig(obj: Record<string, unknown>): Array<[key: string, value: Json]> {
  const out: Array<[string, Json]> = [];
  flattenInto(obj, "", out);
  return out;
}

/** A TOML value text as JSON, as Codex reads `-c` values: TOML when it parses, else the text. */
export function tomlTextToJson(text: string): Json {
  try {
    return tomlToJson((parse(`v = ${text}`) as Record<string, unknown>).v);
  } catch {
    return text;
  }
}

/** Parsed TOML as JSON: integers as numbers, dates as ISO text. */
export function tomlToJson(value: unknown): Json {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(tomlToJson);
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tomlToJson(v)]));
  }
  return String(value);
}
