/**
 * The files a task brings beside its prompt: `images` (local images attached to the prompt) and
 * `add_dirs` (more writable roots of its sandbox). {@link resolveTaskInputs} checks them all
 * before anything is created for the task and makes their paths absolute and real, so the task
 * record says exactly what Codex got.
 *
 * An image is recognised by its first bytes (PNG, JPEG, GIF, WebP), not by its name: a file
 * named `x.png` that holds text is refused, and so is one Codex would send the model as a broken
 * image. Both kinds of path are confined by the operator's policy (`--allow-root`), as `cwd` is:
 * an image is read and sent to the model, an added directory is written by Codex.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * import { Policy } from "../codex/policy.ts";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0];
 * await Deno.writeFile(`${dir}/shot.png`, new Uint8Array(png));
 * const inputs = await resolveTaskInputs({ images: ["shot.png"] }, dir, new Policy());
 * assert.deepEqual(inputs, { images: [`${dir}/shot.png`] });
 * await assert.rejects(resolveTaskInputs({ addDirs: ["gone"] }, dir, new Policy()), /add_dirs\[0\]/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

import { resolve } from "node:path";
import type { Policy } from "../codex/policy.ts";
import { stringProblem } from "./request_check.ts";
import { RequestError } from "../tasks/request_error.ts";
import { messageOf } from "../base/errors.ts";

/** The image formats taken, by their leading bytes (as Codex and the model API read them). */
export const IMAGE_SIGNATURES: ReadonlyArray<{ format: string; test: (b: Uint8Array) => boolean }> =
  [
    { format: "PNG", test: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
    { format: "JPEG", test: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
    { format: "GIF", test: (b) => ascii(b, 0, 4) === "GIF8" },
    { format: "WebP", test: (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP" },
  ];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

/** The image format of a file's first bytes (at least 12), or null. */
export function imageFormat(head: Uint8Array): string | null {
  return IMAGE_SIGNATURES.find((s) => s.test(head))?.format ?? null;
}

/** The first `n` bytes of a file (fewer when it is shorter). */
async function readHead(path: string, n: number): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const got = await file.read(buffer.subarray(filled));
    if (got === null) break;
    filled += got;
  }
  return buffer.subarray(0, filled);
}

/** Refuses a path of `field` that cannot reach Codex intact (a NUL byte, a lone surrogate). */
function checkPaths(field: string, paths: string[]): string[] {
  paths.forEach((path, i) => {
    const problem = stringProblem(path);
    if (problem !== null) {
      throw new RequestError(`${field}[${i}]`, `Cannot use ${field}[${i}] as ${problem}`);
    }
  });
  return paths;
}

/** Checks one image and returns its real path. */
async function resolveImage(given: string, field: string, cwd: string, policy: Policy) {
  const path = resolve(cwd, given);
  const what = `Cannot attach ${field} ${JSON.stringify(given)}`;
  const info = await Deno.stat(path).catch(() => null);
  if (info === null) throw new RequestError(field, `${what} as it does not exist: path is ${path}`);
  if (!info.isFile) throw new RequestError(field, `${what} as it is not a file: path is ${path}`);
  const real = await Deno.realPath(path);
  policy.checkPath(real, field);
  let head: Uint8Array;
  try {
    head = await readHead(real, 12);
  } catch (error) {
    throw new RequestError(
      field,
      `${what} as it cannot be read: ${messageOf(error)}`,
    );
  }
  if (imageFormat(head) === null) {
    const formats = IMAGE_SIGNATURES.map((s) => s.format).join(", ");
    throw new RequestError(
      field,
      `${what} as it is not an image: its first bytes are none of ${formats} (path is ${path})`,
    );
  }
  return real;
}

/** Checks one added directory and returns its real path. */
async function resolveDir(given: string, field: string, cwd: string, policy: Policy) {
  const path = resolve(cwd, given);
  const what = `Cannot add ${field} ${JSON.stringify(given)} as a writable root`;
  const info = await Deno.stat(path).catch(() => null);
  if (info === null) throw new RequestError(field, `${what} as it does not exist: path is ${path}`);
  if (!info.isDirectory) {
    throw new RequestError(field, `${what} as it is a file, not a directory: path is ${path}`);
  }
  const real = await Deno.realPath(path);
  policy.checkPath(real, field);
  return real;
}

/**
 * Checks a request's `images` and `addDirs` and returns them as real absolute paths (absent
 * fields stay absent).
 *
 * @param request The request's paths, as the caller gave them.
 * @param cwd The task's working directory (absolute): relative paths resolve against it.
 * @param policy The session's policy: every path must lie inside its allowed roots.
 * @throws {RequestError} Naming `images[i]` or `add_dirs[i]`: a path that does not exist, an image
 * that is not a file, cannot be read or is not a PNG, JPEG, GIF or WebP, a directory that is a
 * file. {@link PolicyError} for a path outside the allowed roots.
 */
export async function resolveTaskInputs(
  request: { images?: string[]; addDirs?: string[] },
  cwd: string,
  policy: Policy,
): Promise<{ images?: string[]; addDirs?: string[] }> {
  const out: { images?: string[]; addDirs?: string[] } = {};
  if (request.images !== undefined) {
    const images = checkPaths("images", request.images);
    out.images = [];
    for (const [i, path] of images.entries()) {
      out.images.push(await resolveImage(path, `images[${i}]`, cwd, policy));
    }
  }
  if (request.addDirs !== undefined) {
    const dirs = checkPaths("add_dirs", request.addDirs);
    out.addDirs = [];
    for (const [i, path] of dirs.entries()) {
      out.addDirs.push(await resolveDir(path, `add_dirs[${i}]`, cwd, policy));
    }
  }
  return out;
}
