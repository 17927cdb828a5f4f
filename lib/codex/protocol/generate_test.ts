import assert from "node:assert/strict";
import { generate } from "./generate.ts";

const root = new URL("../../../", import.meta.url).pathname;
const committed = new URL("./generated/", import.meta.url).pathname;

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

Deno.test("the committed protocol types are what `deno task protocol` makes of the pinned Codex", async () => {
  const bin = `${root}.tools/node_modules/.bin/codex`;
  const fresh = await Deno.makeTempDir({ prefix: "protocol-" });
  try {
    await generate(bin, `${fresh}/`);
    const [want, have] = [await filesOf(`${fresh}/`), await filesOf(committed)];
    assert.deepEqual([...have.keys()].sort(), [...want.keys()].sort());
    for (const [file, text] of want) assert.equal(have.get(file), text, file);
  } finally {
    await Deno.remove(fresh, { recursive: true });
  }
});
