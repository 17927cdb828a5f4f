import assert from "node:assert/strict";
import { generate, missingMethods } from "./protocol.ts";
import { codexUnderTest } from "../../tests/support/codex_versions.ts";

const root = new URL("../../", import.meta.url).pathname;
const committed = new URL("../../lib/codex/protocol/generated/", import.meta.url).pathname;
const codex = codexUnderTest();

async function filesOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (sub: string) => {
    for await (const entry of Deno.readDir(`${dir}${sub}`)) {
      const rel = `${sub}${entry.name}`;
      if (entry.isDirectory) await walk(`${rel}/`);
      else out.set(rel, await Deno.readTextFile(`${dir}${rel}`));
    }
  };
  await walk("");
  return out;
}

/** A copy of the project's source files (tracked or not ignored) in a temp dir; returns it. */
async function copyOfSource(): Promise<string> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: root,
    stdin: "null",
  }).output();
  assert.ok(listed.success, "git ls-files failed");
  const copy = await Deno.makeTempDir({ prefix: "protocol-check-" });
  for (const file of new TextDecoder().decode(listed.stdout).split("\0")) {
    if (file === "" || file.startsWith("tests/.type_probe_")) continue;
    const to = `${copy}/${file}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${root}${file}`, to).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // listed, then deleted: skip
    });
  }
  return copy;
}

/** `deno check` of the runtime and the tests in `dir`: whether it passed, and what it printed. */
async function typeCheck(dir: string): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", "main.ts", "lib/", "tests/"],
    cwd: dir,
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { ok: out.success, output: text.decode(out.stdout) + text.decode(out.stderr) };
}

Deno.test({
  name: "the committed protocol types are what `deno task protocol` makes of the pinned Codex",
  ignore: !codex.pinned,
  async fn() {
    const fresh = await Deno.makeTempDir({ prefix: "protocol-" });
    try {
      await generate(codex.bin, `${fresh}/`);
      const [want, have] = [await filesOf(`${fresh}/`), await filesOf(committed)];
      assert.deepEqual([...have.keys()].sort(), [...want.keys()].sort());
      for (const [file, text] of want) assert.equal(have.get(file), text, file);
    } finally {
      await Deno.remove(fresh, { recursive: true });
    }
  },
});

Deno.test({
  name: `every method and field codex-swarm uses is in the protocol of Codex ${codex.version}`,
  ignore: codex.pinned,
  async fn() {
    // The code type-checks against this version's types: a field it reads or sends that is gone,
    // renamed or retyped fails here, as does a method (generate throws naming it).
    const copy = await copyOfSource();
    try {
      await generate(codex.bin, `${copy}/lib/codex/protocol/generated/`);
      const checked = await typeCheck(copy);
      assert.ok(checked.ok, checked.output);
    } finally {
      await Deno.remove(copy, { recursive: true });
    }
  },
});

Deno.test("the check against another version fails when a field or method in use is gone", async () => {
  const copy = await copyOfSource();
  try {
    // TurnStartParams without `outputSchema`, which codex-swarm sends for structured output.
    const file = `${copy}/lib/codex/protocol/generated/v2/TurnStartParams.ts`;
    const text = await Deno.readTextFile(file);
    const edited = text.replace(/outputSchema\?: [^,]+,/, "");
    assert.notEqual(edited, text, "TurnStartParams has no outputSchema to remove");
    await Deno.writeTextFile(file, edited);
    const checked = await typeCheck(copy);
    assert.equal(checked.ok, false, "deno check passed without a field in use");
    assert.match(checked.output, /outputSchema/);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
  const source = await Deno.makeTempDir({ prefix: "protocol-source-" });
  try {
    await Deno.writeTextFile(
      `${source}/ClientRequest.ts`,
      `export type ClientRequest = { "method": "thread/start", id: RequestId };`,
    );
    const missing = await missingMethods(source);
    assert.ok(missing.includes("method turn/start"), missing.join(", "));
    assert.ok(!missing.includes("method thread/start"));
    assert.ok(missing.includes("notification turn/completed"));
    assert.ok(missing.includes("server request item/commandExecution/requestApproval"));
  } finally {
    await Deno.remove(source, { recursive: true });
  }
});
