/**
 * TOML values for Codex's `-c key=value` overrides: encoding JSON-like values as TOML inline values,
 * flattening nested objects into dotted keys, and checking the server's own `-c` entries.
 *
 * Codex (checked with codex-cli 0.169.0) splits an override at the first `=`, trims both halves,
 * splits the key at every `.` with no regard for TOML quoting (`a."b"` names a key spelled `"b"`,
 * quotes included), parses the value as TOML and, when that fails, uses the raw text as a string.
 * An inline-table value is deep-merged into the loaded config, like the dotted keys it stands for.
 * So keys here are always dotted paths of bare keys, and a nested key that is not bare is written
 * inside an inline table, where TOML quoting does apply.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeTomlValue({ a: 1, "b c": "x" }), '{ a = 1, "b c" = "x" }');
 * assert.deepEqual(flattenOverrides({ sandbox_workspace_write: { network_access: true } }), [
 *   ["sandbox_workspace_write.network_access", "true"],
 * ]);
 * assert.deepEqual(parseOverride('model="o3"'), { key: "model", value: '"o3"' });
 * ```
 * @module
 */

const BARE_KEY = /^[A-Za-z0-9_-]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Short escapes that TOML 1.0 basic strings define, besides `\"` and `\\`. */
const SHORT_ESCAPES: Record<string, string> = {
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
  '"': '\\"',
  "\\": "\\\\",
};

/** Whether `key` can be written without quotes in TOML (`A-Za-z0-9_-`, at least one). */
export function isBareKey(key: string): boolean {
  return BARE_KEY.test(key);
}

function fail(path: string | undefined, problem: string): never {
  throw new Error(
    path === undefined || path === ""
      ? `Cannot encode TOML value: ${problem}`
      : `Cannot encode TOML value at ${JSON.stringify(path)}: ${problem}`,
  );
}

function encodeString(s: string, path: string | undefined): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) {
      out += short;
    } else if (code < 0x20 || code === 0x7f) {
      out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      fail(path, `string has a lone UTF-16 surrogate (\\u${code.toString(16).toUpperCase()})`);
    } else {
      out += ch;
    }
  }
  return out + '"';
}

/** A key for an inline table: bare when possible, else a quoted basic string. */
function encodeKey(key: string, path: string | undefined): string {
  return isBareKey(key) ? key : encodeString(key, path);
}

function encodeNumber(n: number, path: string | undefined): string {
  if (!Number.isFinite(n)) fail(path, `${n} is not a finite number`);
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) {
    // BigInt gives the exact digits, without an exponent, for integers beyond 2^53 as well.
    return BigInt(n).toString();
  }
  const s = String(n);
  // Integers beyond int64 print as digits up to 1e21: mark them as floats.
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function childPath(path: string | undefined, key: string): string {
  const segment = isBareKey(key) ? key : encodeString(key, path);
  return path === undefined || path === "" ? segment : `${path}.${segment}`;
}

function encode(v: unknown, path: string | undefined, stack: Set<object>): string {
  switch (typeof v) {
    case "string":
      return encodeString(v, path);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      return encodeNumber(v, path);
    case "bigint":
      if (v < INT64_MIN || v > INT64_MAX) fail(path, `${v} does not fit a 64-bit TOML integer`);
      return v.toString();
    case "undefined":
      return fail(path, "undefined has no TOML equivalent");
  }
  if (v === null) fail(path, "null has no TOML equivalent");
  if (Array.isArray(v) || isPlainObject(v)) {
    if (stack.has(v)) fail(path, "the value contains itself");
    stack.add(v);
    try {
      if (Array.isArray(v)) {
        const items: string[] = [];
        // A classic loop, so that holes in sparse arrays are seen (as undefined).
        for (let i = 0; i < v.length; i++) {
          items.push(encode(v[i], `${path ?? ""}[${i}]`, stack));
        }
        return `[${items.join(", ")}]`;
      }
      const entries = Object.entries(v).map(([key, value]) =>
        `${encodeKey(key, path)} = ${encode(value, childPath(path, key), stack)}`
      );
      return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
    } finally {
      stack.delete(v);
    }
  }
  const kind = typeof v === "object" ? Object.prototype.toString.call(v).slice(8, -1) : typeof v;
  return fail(path, `a ${kind} has no TOML equivalent`);
}

/**
 * Encodes a JSON-like value as a TOML inline value, as the right-hand side of `key = value`.
 *
 * Strings become basic strings (`"`, `\` and control characters escaped, so the result is one
 * line); integral numbers become integers and other numbers floats (which always keep a `.` or an
 * exponent); booleans stay booleans; arrays become arrays and plain objects inline tables, keys
 * quoted where they are not bare. A bigint is an integer if it fits 64 bits.
 *
 * @param v The value.
 * @param path Where the value sits, for error messages (for example `sandbox.writable_roots`).
 * @returns The TOML text.
 * @throws {Error} For `null`, `undefined`, non-finite numbers, lone surrogates, cycles and any other
 * type (functions, symbols, class instances such as `Date`), naming the path.
 */
export function encodeTomlValue(v: unknown, path?: string): string {
  return encode(v, path, new Set());
}

function checkKeyPath(what: string, path: string): string[] {
  const segments = path.split(".");
  for (const segment of segments) {
    if (segment === "") {
      throw new Error(`${what}: key ${JSON.stringify(path)} has an empty segment`);
    }
    if (!isBareKey(segment)) {
      throw new Error(
        `${what}: key segment ${
          JSON.stringify(segment)
        } may only contain letters, digits, "_" and "-"`,
      );
    }
  }
  return segments;
}

function flattenInto(
  obj: Record<string, unknown>,
  path: string,
  out: Array<[string, string]>,
): void {
  const keys = Object.keys(obj);
  if (path !== "" && (keys.length === 0 || keys.some((k) => !isBareKey(k)))) {
    // Codex cannot address a key that is not bare with a dotted path, but it can take the whole
    // table inline (merged into the config like dotted keys). An empty table also stays a table.
    out.push([path, encodeTomlValue(obj, path)]);
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
    else out.push([keyPath, encodeTomlValue(value, keyPath)]);
  }
}

/**
 * Turns a nested config object into Codex `-c` overrides: nested plain objects become dotted keys
 * (`{a: {b: true}}` gives `["a.b", "true"]`), other values are encoded with
 * {@link encodeTomlValue} (arrays stay values). An object with a key that is not bare (or an empty
 * object) is kept whole as an inline table at its own path, because Codex reads `-c` keys as plain
 * `.`-separated names and would take TOML quotes literally.
 *
 * @param obj The config object, for example a tool call's `config`.
 * @param prefix A dotted path of bare keys to put in front of every key.
 * @returns `[key, tomlValue]` pairs in the object's order; join each as `key=tomlValue`.
 * @throws {Error} For a top-level key that is not bare, a malformed prefix, or a value that
 * {@link encodeTomlValue} rejects.
 */
export function flattenOverrides(
  obj: Record<string, unknown>,
  prefix?: string,
): Array<[key: string, tomlValue: string]> {
  const out: Array<[string, string]> = [];
  if (prefix !== undefined && prefix !== "") {
    checkKeyPath(`Cannot use config prefix ${JSON.stringify(prefix)}`, prefix);
  }
  flattenInto(obj, prefix ?? "", out);
  return out;
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
  checkKeyPath(what, key);
  return { key, value: entry.slice(eq + 1).trim() };
}
