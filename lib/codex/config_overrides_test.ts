import assert from "node:assert/strict";
import { flattenConfig, tomlTextToJson } from "./config_overrides.ts";
import { isBareKey, parseOverride } from "./override_entry.ts";
import { throwsWith } from "../../tests/support/assert.ts";

Deno.test("isBareKey follows TOML", () => {
  for (const k of ["a", "A_b-9", "-", "1"]) assert.deepEqual(isBareKey(k), true, k);
  for (const k of ["", "a b", "a.b", "é", '"a"', "a=b"]) assert.deepEqual(isBareKey(k), false, k);
});

Deno.test("flattenConfig makes dotted keys of nested objects", () => {
  assert.deepEqual(flattenConfig({ sandbox_workspace_write: { network_access: true } }), [
    ["sandbox_workspace_write.network_access", true],
  ]);
  assert.deepEqual(
    flattenConfig({
      model: "o3",
      shell_environment_policy: { inherit: "all", set: { PATH: "/bin", LANG: "C" } },
      sandbox_permissions: ["disk-full-read-access"],
      n: 2,
      f: 0.5,
    }),
    [
      ["model", "o3"],
      ["shell_environment_policy.inherit", "all"],
      ["shell_environment_policy.set.PATH", "/bin"],
      ["shell_environment_policy.set.LANG", "C"],
      ["sandbox_permissions", ["disk-full-read-access"]],
      ["n", 2],
      ["f", 0.5],
    ],
  );
  assert.deepEqual(flattenConfig({}), []);
});

Deno.test("flattenConfig keeps arrays of tables as values", () => {
  assert.deepEqual(flattenConfig({ a: [{ b: 1 }, { c: [2] }] }), [["a", [{ b: 1 }, { c: [2] }]]]);
});

Deno.test("flattenConfig keeps a table with a non-bare key whole at its own path", () => {
  const result = flattenConfig({
    model_providers: { "my.provider": { name: "X" }, other: { name: "Y" } },
    mcp_servers: { ok: { command: "x" } },
    empty: {},
  });
  assert.deepEqual(result, [
    ["model_providers", { "my.provider": { name: "X" }, other: { name: "Y" } }],
    ["mcp_servers.ok.command", "x"],
    ["empty", {}],
  ]);
});

Deno.test("flattenConfig rejects a top-level key Codex cannot address", () => {
  for (const key of ["a b", "a.b", "", "é"]) {
    throwsWith(() => flattenConfig({ [key]: 1 }), `Cannot use config key ${JSON.stringify(key)}`);
  }
});

Deno.test("flattenConfig names the path of a value TOML cannot hold", () => {
  throwsWith(
    () => flattenConfig({ sandbox_workspace_write: { writable_roots: ["/a", null] } }),
    'at "sandbox_workspace_write.writable_roots[1]": null has no TOML equivalent',
  );
  throwsWith(() => flattenConfig({ model: undefined }), 'at "model": undefined');
  throwsWith(() => flattenConfig({ a: { b: Infinity } }), 'at "a.b": Infinity is not a finite');
  throwsWith(() => flattenConfig({ a: "bad \ud800 surrogate" }), "lone UTF-16 surrogate");
  throwsWith(() => flattenConfig({ t: { "x y": { z: null } } }), 'at "t.\\"x y\\".z": null');
  // deno-lint-ignore no-sparse-arrays
  throwsWith(() => flattenConfig({ a: [1, , 3] }), 'at "a[1]": undefined');
  throwsWith(() => flattenConfig({ when: new Date(0) }), 'at "when": a Date has no TOML');
});

Deno.test("tomlTextToJson reads TOML values and keeps other text as a string", () => {
  assert.equal(tomlTextToJson("42"), 42);
  assert.deepEqual(tomlTextToJson('["a", 1]'), ["a", 1]);
  assert.equal(tomlTextToJson("not toml at all"), "not toml at all");
  assert.deepEqual(tomlTextToJson("{ a = { b = true } }"), { a: { b: true } });
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
