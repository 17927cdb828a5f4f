import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { withTempDir } from "../../tests/support/temp_dir.ts";
import {
  candidateNames,
  GONE,
  projectDocsChange,
  readProjectDocs,
  renderProjectDocs,
  REPLACES,
  searchDirs,
} from "./project_docs.ts";

/** A project `<tmp>/repo` with `sub/deep` below it (real paths), removed after `fn`. */
function inProject(fn: (dir: string, repo: string) => Promise<void>): Promise<void> {
  return withTempDir("project-docs-test-", async (dir) => {
    await Deno.mkdir(`${dir}/repo/sub/deep`, { recursive: true });
    await fn(dir, `${dir}/repo`);
  });
}

const MAX = 32 * 1024;

Deno.test("searchDirs: from the project root down to the cwd, or the cwd alone", () => {
  assert.deepEqual(searchDirs("/r/a/b", "/r"), ["/r", "/r/a", "/r/a/b"]);
  assert.deepEqual(searchDirs("/r", "/r"), ["/r"]);
  assert.deepEqual(searchDirs("/r/a", null), ["/r/a"]);
  // A root that is not above the cwd is none.
  assert.deepEqual(searchDirs("/r/a", "/q"), ["/r/a"]);
});

Deno.test("candidateNames: the override, AGENTS.md, then fallbacks that are plain new names", () => {
  assert.deepEqual(candidateNames(), ["AGENTS.override.md", "AGENTS.md"]);
  assert.deepEqual(
    candidateNames(["CLAUDE.md", "", "AGENTS.md", "../x.md", "a/b.md", "..", "CLAUDE.md"]),
    ["AGENTS.override.md", "AGENTS.md", "CLAUDE.md"],
  );
});

Deno.test("readProjectDocs: root first, an override in place of its directory's AGENTS.md, joined by a blank line", async () => {
  await inProject(async (_dir, repo) => {
    await Deno.writeTextFile(`${repo}/AGENTS.md`, "root rules\n");
    await Deno.writeTextFile(`${repo}/sub/AGENTS.md`, "sub rules\n");
    await Deno.writeTextFile(`${repo}/sub/AGENTS.override.md`, "sub override\n");
    await Deno.writeTextFile(`${repo}/sub/deep/CLAUDE.md`, "deep fallback\n");
    const read = (cwd: string, fallbackFilenames: string[] = []) =>
      readProjectDocs({ cwd, root: repo, maxBytes: MAX, fallbackFilenames });
    assert.equal(await read(`${repo}/sub`), "root rules\n\n\nsub override\n");
    assert.equal(await read(repo), "root rules\n");
    assert.equal(
      await read(`${repo}/sub/deep`, ["CLAUDE.md"]),
      "root rules\n\n\nsub override\n\n\ndeep fallback\n",
    );
    // Without a root, the cwd's own file only.
    assert.equal(
      await readProjectDocs({ cwd: `${repo}/sub`, root: null, maxBytes: MAX }),
      "sub override\n",
    );
    assert.equal(
      await readProjectDocs({ cwd: `${repo}/sub/deep`, root: null, maxBytes: MAX }),
      null,
    );
  });
});

Deno.test("readProjectDocs: at most maxBytes in all, a file over what is left cut; whitespace-only files skipped; 0 reads none", async () => {
  await inProject(async (_dir, repo) => {
    await Deno.writeTextFile(`${repo}/AGENTS.md`, "0123456789");
    await Deno.writeTextFile(`${repo}/sub/AGENTS.md`, " \n\t\n");
    await Deno.writeTextFile(`${repo}/sub/deep/AGENTS.md`, "abcdefghij");
    const read = (maxBytes: number) =>
      readProjectDocs({ cwd: `${repo}/sub/deep`, root: repo, maxBytes });
    assert.equal(await read(MAX), "0123456789\n\nabcdefghij");
    assert.equal(await read(14), "0123456789\n\nabcd");
    assert.equal(await read(10), "0123456789");
    assert.equal(await read(4), "0123");
    assert.equal(await read(0), null);
    // A multi-byte character cut in two becomes U+FFFD, as Codex decodes lossily.
    await Deno.writeTextFile(`${repo}/AGENTS.md`, "é");
    assert.equal(await read(1), "\uFFFD");
  });
});

Deno.test("readProjectDocs: symlinks are followed inside the project root only; FIFOs and directories are no files", async () => {
  await inProject(async (dir, repo) => {
    await Deno.writeTextFile(`${dir}/secret.txt`, "host secret\n");
    await Deno.writeTextFile(`${repo}/shared.md`, "shared rules\n");
    await Deno.symlink(`${dir}/secret.txt`, `${repo}/AGENTS.md`);
    await Deno.symlink("../shared.md", `${repo}/sub/AGENTS.md`);
    const read = () => readProjectDocs({ cwd: `${repo}/sub`, root: repo, maxBytes: MAX });
    assert.equal(await read(), "shared rules\n");
    // An override that leads out is passed over for the directory's AGENTS.md.
    await Deno.symlink(`${dir}/secret.txt`, `${repo}/sub/AGENTS.override.md`);
    assert.equal(await read(), "shared rules\n");
    // A FIFO would block a reader; a directory is no file.
    await Deno.remove(`${repo}/sub/AGENTS.override.md`);
    await Deno.remove(`${repo}/sub/AGENTS.md`);
    const made = await new Deno.Command("mkfifo", { args: [`${repo}/sub/AGENTS.override.md`] })
      .output();
    assert.ok(made.success);
    await Deno.mkdir(`${repo}/sub/AGENTS.md`);
    assert.equal(await read(), null);
  });
});

Deno.test("renderProjectDocs: as Codex 0.169 shows a project's instructions", () => {
  assert.equal(
    renderProjectDocs("/r/sub", "root rules\n\n\nsub override\n"),
    "# AGENTS.md instructions for /r/sub\n\n<INSTRUCTIONS>\nroot rules\n\n\nsub override\n\n" +
      "</INSTRUCTIONS>",
  );
});

Deno.test("projectDocsChange: a reply or fork is told of instructions that changed, appeared or went", () => {
  const now = { cwd: "/r", text: "rules\n" };
  const digest = createHash("sha256").update(renderProjectDocs("/r", "rules\n")).digest("hex");
  // Unchanged since they were sent, or none then and now.
  assert.deepEqual(projectDocsChange(digest, now), { digest, update: null });
  assert.deepEqual(projectDocsChange(null, null), { digest: null, update: null });
  assert.deepEqual(projectDocsChange(undefined, null), { digest: null, update: null });
  // Changed, new (or not known to have been sent), another cwd: the replacement.
  const replacement = renderProjectDocs("/r", `${REPLACES}\n\nrules\n`);
  assert.deepEqual(projectDocsChange("0".repeat(64), now), { digest, update: replacement });
  assert.deepEqual(projectDocsChange(null, now), { digest, update: replacement });
  assert.deepEqual(projectDocsChange(undefined, now), { digest, update: replacement });
  assert.equal(
    projectDocsChange(digest, { cwd: "/r/sub", text: "rules\n" }).update?.split("\n")[0],
    "# AGENTS.md instructions for /r/sub",
  );
  // Gone.
  assert.deepEqual(projectDocsChange(digest, null), { digest: null, update: GONE });
});
