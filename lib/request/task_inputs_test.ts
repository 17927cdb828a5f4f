import assert from "node:assert/strict";
import { Policy, PolicyError } from "../codex/policy.ts";
import { withTempDir } from "../../tests/support/temp_dir.ts";
import { imageFormat, resolveTaskInputs } from "./task_inputs.ts";
import { RequestError } from "../tasks/request_error.ts";

const bytes = (...values: Array<number | string>) =>
  new Uint8Array(
    values.flatMap((v) => typeof v === "string" ? [...v].map((c) => c.charCodeAt(0)) : [v]),
  );

Deno.test("imageFormat: PNG, JPEG, GIF and WebP by their first bytes, else null", () => {
  assert.equal(imageFormat(bytes(0x89, "PNG\r\n", 0x1a, "\n", 0, 0, 0, 13)), "PNG");
  assert.equal(imageFormat(bytes(0xff, 0xd8, 0xff, 0xe0)), "JPEG");
  assert.equal(imageFormat(bytes("GIF89a")), "GIF");
  assert.equal(imageFormat(bytes("RIFF", 0, 0, 0, 0, "WEBP")), "WebP");
  assert.equal(imageFormat(bytes("RIFF", 0, 0, 0, 0, "WAVE")), null);
  assert.equal(imageFormat(bytes("hello world")), null);
  assert.equal(imageFormat(new Uint8Array()), null);
});

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir("task-inputs-", fn);

async function refusal(promise: Promise<unknown>): Promise<RequestError | PolicyError> {
  const error = await promise.then(() => null, (e) => e);
  assert.ok(error instanceof RequestError || error instanceof PolicyError, String(error));
  return error;
}

Deno.test("resolveTaskInputs: real absolute paths; each bad path named", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/cwd/pics`, { recursive: true });
    await Deno.mkdir(`${dir}/shared`);
    await Deno.writeFile(`${dir}/cwd/pics/a.png`, bytes(0x89, "PNG\r\n", 0x1a, "\n"));
    await Deno.writeFile(`${dir}/cwd/b.jpg`, bytes(0xff, 0xd8, 0xff, 0xdb));
    await Deno.writeTextFile(`${dir}/cwd/notes.png`, "text");
    await Deno.symlink(`${dir}/shared`, `${dir}/cwd/link`);
    const cwd = `${dir}/cwd`;
    const policy = new Policy();

    assert.deepEqual(await resolveTaskInputs({}, cwd, policy), {});
    assert.deepEqual(
      await resolveTaskInputs(
        { images: ["pics/a.png", `${cwd}/b.jpg`], addDirs: ["../shared", "link"] },
        cwd,
        policy,
      ),
      {
        images: [`${cwd}/pics/a.png`, `${cwd}/b.jpg`],
        addDirs: [`${dir}/shared`, `${dir}/shared`],
      },
    );

    const cases: Array<[{ images?: string[]; addDirs?: string[] }, string, RegExp]> = [
      [{ images: ["pics/a.png", "gone.png"] }, "images[1]", /does not exist: path is .*gone\.png/],
      [{ images: ["pics"] }, "images[0]", /not a file/],
      [{ images: ["notes.png"] }, "images[0]", /not an image: .*PNG, JPEG, GIF, WebP/],
      [{ images: ["a\0.png"] }, "images[0]", /NUL/],
      [{ addDirs: ["nope"] }, "add_dirs[0]", /does not exist/],
      [{ addDirs: ["b.jpg"] }, "add_dirs[0]", /is a file, not a directory/],
    ];
    for (const [request, field, message] of cases) {
      const error = await refusal(resolveTaskInputs(request, cwd, policy));
      assert.equal(error.field, field, error.message);
      assert.match(error.message, message);
      assert.ok(error.message.includes(field), error.message);
    }

    // The allowed roots confine both, after symlinks are resolved.
    const confined = new Policy({ allowRoots: [cwd] });
    const outside = await refusal(resolveTaskInputs({ addDirs: ["link"] }, cwd, confined));
    assert.equal(outside.field, "add_dirs[0]");
    assert.match(outside.message, /outside the directories the server allows/);
    await Deno.writeFile(`${dir}/shared/c.png`, bytes(0x89, "PNG\r\n", 0x1a, "\n"));
    const image = await refusal(resolveTaskInputs({ images: ["link/c.png"] }, cwd, confined));
    assert.equal(image.field, "images[0]");
    assert.deepEqual(
      await resolveTaskInputs({ images: ["pics/a.png"], addDirs: ["pics"] }, cwd, confined),
      { images: [`${cwd}/pics/a.png`], addDirs: [`${cwd}/pics`] },
    );
  });
});
