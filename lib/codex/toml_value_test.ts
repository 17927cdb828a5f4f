import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { encodeTomlValue, flattenOverrides, isBareKey, parseOverride } from "./toml_value.ts";
import { throwsWith } from "../../tests/support/assert.ts";

/** Asserts that `fn` throws an Error whose message contains `part`. */

/** Parses `x = <text>` with an independent TOML parser; integers come back as bigint. */
function decode(text: string): unknown {
  return parse(`x = ${text}`, { integersAsBigInt: true }).x;
}

/** Turns a parsed TOML value into plain JSON-like data (smol-toml makes null-prototype tables). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

Deno.test("encodeTomlValue escapes strings so they parse back unchanged", () => {
  const samples = [
    "",
    "plain",
    'say "hi"',
    "back\\slash \\n not a newline",
    "tab\tnew\nline\r\nform\ffeed\bback",
    "nul\u0000 unit\u001f del\u007f esc\u001b",
    "unicode é 漢字 😀 \u0080 \u2028",
    "'single' and '''triple'''",
    '"""',
    "#not a comment",
    "= [ { } ] ,",
  ];
  for (const s of samples) {
    const encoded = encodeTomlValue(s);
    assert.deepEqual(decode(encoded), s, `round trip of ${JSON.stringify(s)} via ${encoded}`);
    assert.deepEqual(encoded.includes("\n"), false, "one line");
    assert.deepEqual(encoded.includes("\r"), false, "one line");
  }
});

Deno.test("encodeTomlValue writes exact escapes", () => {
  assert.deepEqual(encodeTomlValue('a"b\\c'), '"a\\"b\\\\c"');
  assert.deepEqual(encodeTomlValue("\u0000\u0001\u007f"), '"\\u0000\\u0001\\u007F"');
  assert.deepEqual(encodeTomlValue("\t\n\r\b\f"), '"\\t\\n\\r\\b\\f"');
  assert.deepEqual(encodeTomlValue("😀"), '"😀"');
});

Deno.test("encodeTomlValue keeps integers integers and floats floats", () => {
  const cases: Array<[unknown, string, unknown]> = [
    [0, "0", 0n],
    [-0, "0", 0n],
    [42, "42", 42n],
    [-7, "-7", -7n],
    [2 ** 53 + 2, "9007199254740994", 9007199254740994n],
    [1.5, "1.5", 1.5],
    [-0.25, "-0.25", -0.25],
    [1e-7, "1e-7", 1e-7],
    [1e300, "1e+300", 1e300],
    [2 ** 63, "9223372036854776000.0", 2 ** 63],
    [1e21, "1e+21", 1e21],
    [12345678901234567890n, "", undefined],
    [9007199254740993n, "9007199254740993", 9007199254740993n],
    [-(2n ** 63n), "-9223372036854775808", -(2n ** 63n)],
  ];
  for (const [value, text, back] of cases) {
    if (back === undefined) {
      throwsWith(() => encodeTomlValue(value), "64-bit");
      continue;
    }
    const encoded = encodeTomlValue(value);
    assert.deepEqual(encoded, text);
    assert.deepEqual(decode(encoded), back, `round trip of ${encoded}`);
  }
});

Deno.test("encodeTomlValue rejects non-finite numbers", () => {
  for (const n of [NaN, Infinity, -Infinity]) {
    throwsWith(() => encodeTomlValue(n, "limit"), `at "limit": ${n} is not a finite`);
  }
});

Deno.test("encodeTomlValue writes booleans, arrays and inline tables", () => {
  assert.deepEqual(encodeTomlValue(true), "true");
  assert.deepEqual(encodeTomlValue(false), "false");
  assert.deepEqual(encodeTomlValue([]), "[]");
  assert.deepEqual(encodeTomlValue({}), "{}");
  assert.deepEqual(encodeTomlValue([1, "a", [true, 2.5]]), '[1, "a", [true, 2.5]]');
  assert.deepEqual(encodeTomlValue({ a: 1, "b c": "x" }), '{ a = 1, "b c" = "x" }');
  const nested = {
    "a.b": { "": [1, { q: 'x"y' }], "é": -3, "bare-key_9": false },
    list: [[], {}],
    'quote"key': "\\",
  };
  const encoded = encodeTomlValue(nested);
  assert.deepEqual(
    encoded,
    '{ "a.b" = { "" = [1, { q = "x\\"y" }], "é" = -3, bare-key_9 = false }, list = [[], {}], ' +
      '"quote\\"key" = "\\\\" }',
  );
  assert.deepEqual(plain(parse(`x = ${encoded}`).x), nested);
});

Deno.test("encodeTomlValue names the path of values it cannot encode", () => {
  throwsWith(() => encodeTomlValue(null), "Cannot encode TOML value: null");
  throwsWith(
    () => encodeTomlValue({ a: { b: [1, null] } }, "cfg"),
    'at "cfg.a.b[1]": null has no TOML equivalent',
  );
  throwsWith(
    () => encodeTomlValue({ "x y": { z: undefined } }),
    'at "\\"x y\\".z": undefined',
  );
  // deno-lint-ignore no-sparse-arrays
  throwsWith(() => encodeTomlValue([1, , 3]), 'at "[1]": undefined');
  throwsWith(() => encodeTomlValue(new Date(0), "when"), 'at "when": a Date');
  throwsWith(() => encodeTomlValue(new Map()), "a Map has no TOML equivalent");
  throwsWith(() => encodeTomlValue(() => 1), "a function");
  throwsWith(() => encodeTomlValue(Symbol("s")), "a symbol");
  throwsWith(() => encodeTomlValue("bad \ud800 surrogate"), "lone UTF-16 surrogate");
  const loop: Record<string, unknown> = {};
  loop.self = loop;
  throwsWith(() => encodeTomlValue(loop), 'at "self": the value contains itself');
});

Deno.test("encodeTomlValue allows the same object twice when it is not a cycle", () => {
  const shared = { a: 1 };
  assert.deepEqual(encodeTomlValue([shared, shared]), "[{ a = 1 }, { a = 1 }]");
});

Deno.test("isBareKey follows TOML", () => {
  for (const k of ["a", "A_b-9", "-", "1"]) assert.deepEqual(isBareKey(k), true, k);
  for (const k of ["", "a b", "a.b", "é", '"a"', "a=b"]) assert.deepEqual(isBareKey(k), false, k);
});

Deno.test("flattenOverrides makes dotted keys of nested objects", () => {
  assert.deepEqual(flattenOverrides({ sandbox_workspace_write: { network_access: true } }), [
    ["sandbox_workspace_write.network_access", "true"],
  ]);
  assert.deepEqual(
    flattenOverrides({
      model: "o3",
      shell_environment_policy: { inherit: "all", set: { PATH: "/bin", LANG: "C" } },
      sandbox_permissions: ["disk-full-read-access"],
      n: 2,
      f: 0.5,
    }),
    [
      ["model", '"o3"'],
      ["shell_environment_policy.inherit", '"all"'],
      ["shell_environment_policy.set.PATH", '"/bin"'],
      ["shell_environment_policy.set.LANG", '"C"'],
      ["sandbox_permissions", '["disk-full-read-access"]'],
      ["n", "2"],
      ["f", "0.5"],
    ],
  );
  assert.deepEqual(flattenOverrides({}), []);
});

Deno.test("flattenOverrides keeps arrays of tables as values", () => {
  assert.deepEqual(flattenOverrides({ a: [{ b: 1 }, { c: [2] }] }), [[
    "a",
    "[{ b = 1 }, { c = [2] }]",
  ]]);
});

Deno.test("flattenOverrides puts a table with a non-bare key inline at its own path", () => {
  const result = flattenOverrides({
    model_providers: { "my.provider": { name: "X" }, other: { name: "Y" } },
    mcp_servers: { ok: { command: "x" } },
    empty: {},
  });
  assert.deepEqual(result, [
    ["model_providers", '{ "my.provider" = { name = "X" }, other = { name = "Y" } }'],
    ["mcp_servers.ok.command", '"x"'],
    ["empty", "{}"],
  ]);
  assert.deepEqual(plain(decode(result[0]![1])), {
    "my.provider": { name: "X" },
    other: { name: "Y" },
  });
});

Deno.test("flattenOverrides rejects a top-level key Codex cannot address", () => {
  for (const key of ["a b", "a.b", "", "é"]) {
    throwsWith(
      () => flattenOverrides({ [key]: 1 }),
      `Cannot use config key ${JSON.stringify(key)}`,
    );
  }
});

Deno.test("flattenOverrides puts the prefix in front and checks it", () => {
  assert.deepEqual(flattenOverrides({ a: { b: 1 }, c: "x" }, "tools.x"), [
    ["tools.x.a.b", "1"],
    ["tools.x.c", '"x"'],
  ]);
  assert.deepEqual(flattenOverrides({ "a b": 1 }, "p"), [["p", '{ "a b" = 1 }']]);
  throwsWith(() => flattenOverrides({ a: 1 }, "a..b"), 'prefix "a..b"');
  throwsWith(() => flattenOverrides({ a: 1 }, "a b"), 'segment "a b"');
});

Deno.test("flattenOverrides names the key of a value it cannot encode", () => {
  throwsWith(
    () => flattenOverrides({ sandbox_workspace_write: { writable_roots: ["/a", null] } }),
    'at "sandbox_workspace_write.writable_roots[1]": null',
  );
  throwsWith(() => flattenOverrides({ model: undefined }), 'at "model": undefined');
});

Deno.test("parseOverride splits at the first = and trims like Codex", () => {
  assert.deepEqual(parseOverride('model="o3"'), { key: "model", value: '"o3"' });
  assert.deepEqual(parseOverride("  a.b-c.d_e =  x=y==z  "), { key: "a.b-c.d_e", value: "x=y==z" });
  assert.deepEqual(parseOverride("shell_environment_policy.inherit=all"), {
    key: "shell_environment_policy.inherit",
    value: "all",
  });
  // Not TOML: Codex takes it as a literal string; kept as written.
  assert.deepEqual(parseOverride('model="unterminated'), { key: "model", value: '"unterminated' });
  assert.deepEqual(parseOverride("model="), { key: "model", value: "" });
  assert.deepEqual(parseOverride('notify=["a", "b"]'), { key: "notify", value: '["a", "b"]' });
});

Deno.test("parseOverride rejects malformed entries, naming the entry and the problem", () => {
  const cases: Array<[string, string]> = [
    ["foo", 'Cannot parse -c entry "foo": expected key=value'],
    ["", 'Cannot parse -c entry "": expected key=value'],
    ["=1", 'Cannot parse -c entry "=1": the key before "=" is empty'],
    ["  =1", 'Cannot parse -c entry "  =1": the key before "=" is empty'],
    ["a..b=1", 'Cannot parse -c entry "a..b=1": key "a..b" has an empty segment'],
    [".a=1", 'Cannot parse -c entry ".a=1": key ".a" has an empty segment'],
    ["a.=1", 'Cannot parse -c entry "a.=1": key "a." has an empty segment'],
    ["a b=1", 'Cannot parse -c entry "a b=1": key segment "a b" may only contain'],
    ['a."b"=1', `Cannot parse -c entry "a.\\"b\\"=1": key segment "\\"b\\"" may only contain`],
    ["a\nb=1", 'Cannot parse -c entry "a\\nb=1": key segment'],
  ];
  for (const [entry, message] of cases) {
    throwsWith(() => parseOverride(entry), message);
  }
});
