/**
 * Tasks on disk: one directory per task (mode 0700) holding `meta.json` and, once the task ended,
 * `run.json` (its final state), each written atomically. Records of codex-swarm 0.1 are read as
 * this version keeps them (`./record_v01.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir(); // the server's: ~/.local/state/codex-swarm/tasks
 * const store = new TaskStore(dir);
 * await store.init();
 * assert.deepEqual(await store.loadAll(), []); // each task's meta.json, read back
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

import { fromV01 } from "./record_v01.ts";
import type { TaskMeta } from "./task.ts";

/** Reads and writes task directories under one root. */
export class TaskStore {
  /** @param root The root directory. */
  constructor(readonly root: string) {}

  /** Creates the root (mode 0700) if needed. */
  async init(): Promise<void> {
    await Deno.mkdir(this.root, { recursive: true, mode: 0o700 });
    // A root made earlier with a looser mode is tightened (task records hold prompts and output).
    if (Deno.build.os !== "windows") await Deno.chmod(this.root, 0o700).catch(() => {});
  }

  /** The directory of a task. */
  dir(id: string): string {
    return `${this.root}/${id}`;
  }
  /** Creates a new task's directory and first metadata; fails if the task exists. */
  async create(meta: TaskMeta): Promise<void> {
    try {
      await Deno.mkdir(this.dir(meta.id), { mode: 0o700 });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new Error(
          `Cannot create task "${meta.id}" as its directory exists: path is ${this.dir(meta.id)}`,
        );
      }
      throw error;
    }
    await this.save(meta);
  }

  /** Writes `meta.json` atomically (a temporary file renamed over it). */
  async save(meta: TaskMeta): Promise<void> {
    await writeAtomically(`${this.dir(meta.id)}/meta.json`, JSON.stringify(meta, null, 2) + "\n");
  }

  /**
   * Removes the temporary files a write left when it failed (a full disk) or the supervisor
   * stopped in it: `meta.json.<x>.tmp`, `run.json.<x>.tmp`. Returns how many went.
   */
  async removeStrayTemps(): Promise<number> {
    let removed = 0;
    for await (const entry of Deno.readDir(this.root)) {
      if (!entry.isDirectory || entry.name.startsWith(".")) continue;
      try {
        for await (const file of Deno.readDir(this.dir(entry.name))) {
          if (!file.isFile || !/^(meta|run)\.json\.[0-9a-f]+\.tmp$/.test(file.name)) continue;
          await Deno.remove(`${this.dir(entry.name)}/${file.name}`);
          removed++;
        }
      } catch {
        // A task directory that went meanwhile, or cannot be read: nothing to clean there.
      }
    }
    return removed;
  }

  /** Loads every task whose metadata can be read; unreadable ones are reported, not fatal. */
  async loadAll(onError?: (id: string, error: unknown) => void): Promise<TaskMeta[]> {
    const metas: TaskMeta[] = [];
    for await (const entry of Deno.readDir(this.root)) {
      // Dot-directories are not tasks (`.supervisor` holds the supervisor's socket and files).
      if (!entry.isDirectory || entry.name.startsWith(".")) continue;
      try {
        const meta = JSON.parse(
          await Deno.readTextFile(`${this.dir(entry.name)}/meta.json`),
        ) as TaskMeta;
        if (meta.version === 1 && meta.id === entry.name) metas.push(fromV01(meta));
        else onError?.(entry.name, new Error("unknown metadata version or id"));
      } catch (error) {
        onError?.(entry.name, error);
      }
    }
    return metas;
  }

  /** Saves the final state of a task's run (`run.json`), so a restart shows what it did. */
  async saveRun(id: string, run: unknown): Promise<void> {
    await writeAtomically(`${this.dir(id)}/run.json`, JSON.stringify(run) + "\n");
  }

  /** Reads the state saved by {@link saveRun}, or null. */
  async readRun(id: string): Promise<Record<string, unknown> | null> {
    try {
      return JSON.parse(await Deno.readTextFile(`${this.dir(id)}/run.json`));
    } catch {
      return null;
    }
  }

  /** Removes a task's directory. */
  async remove(id: string): Promise<void> {
    await Deno.remove(this.dir(id), { recursive: true }).catch(() => {});
  }
}

/**
 * Writes `text` to `path` through a temporary file renamed over it; a write that fails (no space,
 * an I/O error) removes its temporary file before the error goes on.
 */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text, { mode: 0o600 });
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
