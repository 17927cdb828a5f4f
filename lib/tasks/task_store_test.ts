import assert from "node:assert/strict";
import { taskMeta } from "../../tests/support/task_meta.ts";
import { TaskStore } from "./task_store.ts";

const meta = (id: string) => taskMeta(id);

Deno.test("TaskStore: private directories, atomic saves, unreadable tasks reported not fatal", async () => {
  const root = `${await Deno.makeTempDir()}/tasks`;
  const store = new TaskStore(root);
  await store.init();
  await store.create(meta("aaa"));
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(root)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(store.dir("aaa"))).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${store.dir("aaa")}/meta.json`)).mode! & 0o777, 0o600);
  }
  await assert.rejects(
    store.create(meta("aaa")),
    /Cannot create task "aaa" as its directory exists/,
  );
  await store.save({ ...meta("aaa"), phase: "running" });
  assert.deepEqual([...Deno.readDirSync(store.dir("aaa"))].map((e) => e.name), ["meta.json"]);
  await Deno.mkdir(store.dir("broken"));
  await Deno.writeTextFile(`${store.dir("broken")}/meta.json`, "{not json");
  const errors: string[] = [];
  const all = await store.loadAll((id) => errors.push(id));
  assert.deepEqual(all.map((m) => [m.id, m.phase]), [["aaa", "running"]]);
  assert.deepEqual(errors, ["broken"]);
  await store.remove("aaa");
  assert.deepEqual(await store.loadAll(), []);
});

Deno.test("removeStrayTemps removes what failed writes left, and nothing else", async () => {
  const root = await Deno.makeTempDir({ prefix: "store-temps-" });
  try {
    await Deno.mkdir(`${root}/abc123def456`);
    for (const name of ["meta.json", "meta.json.1a2b3c4d.tmp", "run.json.deadbeef.tmp", "x.tmp"]) {
      await Deno.writeTextFile(`${root}/abc123def456/${name}`, "{}");
    }
    const store = new TaskStore(root);
    assert.equal(await store.removeStrayTemps(), 2);
    assert.deepEqual([...Deno.readDirSync(`${root}/abc123def456`)].map((e) => e.name).sort(), [
      "meta.json",
      "x.tmp",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
