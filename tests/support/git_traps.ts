/**
 * Traps for the supervisor's git: every program that a repository's config, hooks or files can
 * name, each a script that leaves a marker file named after it when run. A test plants them, makes
 * codex-swarm run git in the repository, and asserts that no marker exists.
 *
 * The scripts live outside the repository (in `dir/bin`), the markers in `dir/markers`. Plain git
 * (as a user runs it) does run them: a test shows its traps are live with it.
 *
 * @example Not run: the git that fires a trap is the one codex-swarm runs in a test (`repo`).
 * ```ts ignore
 * const traps = await makeTraps(await Deno.makeTempDir());
 * await plantConfigTraps(repo, traps);
 * // ... run git through codex-swarm ...
 * assert.deepEqual(await traps.fired(), []);
 * ```
 * @module
 */

import { HOOK_EVENTS } from "../../lib/git/git_hardening.ts";
import { git } from "./repo.ts";

/** One run of a trap. */
export interface TrapRun {
  /** The trap's name. */
  trap: string;
  /** The command line of the first ancestor that is neither git nor a shell: who ran git. */
  by: string;
}

/** A set of trap scripts and the directory their markers go to. */
export interface Traps {
  /** Directory of the scripts. */
  bin: string;
  /** Directory the markers go to. */
  markers: string;
  /** The path of trap `name`, made on first use; `tail` runs after it leaves its marker. */
  script(name: string, tail?: string): Promise<string>;
  /** Writes one hook per event into `dir`, each marking `<prefix>-<event>`. */
  hooks(dir: string, prefix: string): Promise<void>;
  /** The names of the traps that ran, sorted. */
  fired(): Promise<string[]>;
  /** Each run of a trap, sorted by trap, with the program that ran git. */
  runs(): Promise<TrapRun[]>;
  /** Removes every marker. */
  reset(): Promise<void>;
}

/** Makes the directories of a set of traps under `dir`. */
export async function makeTraps(dir: string): Promise<Traps> {
  const bin = `${dir}/bin`;
  const markers = `${dir}/markers`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.mkdir(markers, { recursive: true });
  // The marker gets a line naming who ran git: walking up from the trap's parent, the first
  // process that is neither git nor a shell (git runs some programs through `sh`).
  const script = async (name: string, tail = "") => {
    const path = `${bin}/${name}`;
    await Deno.writeTextFile(
      path,
      `#!/bin/sh
p=$PPID
a=
while [ -n "$p" ] && [ "$p" -gt 1 ]; do
  a=$(ps -o args= -p "$p")
  case "$a" in git\\ *|*/git\\ *|sh\\ *|/bin/sh\\ *) p=$(ps -o ppid= -p "$p" | tr -d ' ') ;; *) break ;; esac
done
echo "\${a:-unknown}" >> '${markers}/${name}'
${tail}
`,
    );
    await Deno.chmod(path, 0o755);
    return path;
  };
  const runs = async () => {
    const found: TrapRun[] = [];
    for await (const entry of Deno.readDir(markers)) {
      for (const by of (await Deno.readTextFile(`${markers}/${entry.name}`)).split("\n")) {
        if (by !== "") found.push({ trap: entry.name, by });
      }
    }
    return found.sort((a, b) => a.trap.localeCompare(b.trap));
  };
  return {
    bin,
    markers,
    script,
    async hooks(dir, prefix) {
      await Deno.mkdir(dir, { recursive: true });
      for (const event of HOOK_EVENTS) {
        await Deno.copyFile(await script(`${prefix}-${event}`), `${dir}/${event}`);
        await Deno.chmod(`${dir}/${event}`, 0o755);
      }
    },
    fired: async () => [...new Set((await runs()).map((run) => run.trap))],
    runs,
    async reset() {
      for await (const entry of Deno.readDir(markers)) {
        await Deno.remove(`${markers}/${entry.name}`);
      }
    },
  };
}

/**
 * The `.gitattributes` lines that put every `.txt` and `.md` file through the filter, diff and
 * merge drivers {@link plantConfigTraps} defines (commit it, or let a task write it).
 */
export const TRAP_ATTRIBUTES = "*.txt filter=trap diff=trap merge=trap\n*.md filter=trapproc\n";

/**
 * Sets, in the repository's own config (`git config --local`), every program-naming key: the
 * fsmonitor hook, clean/smudge and process filters, diff and merge drivers, the external diff, an
 * alias, pager, editors, signing and checking signatures with a gpg program, a credential helper,
 * an ssh command, an askpass program and a configured hook (git 2.54 on).
 */
export async function plantConfigTraps(repo: string, traps: Traps): Promise<void> {
  const set: Array<[string, string]> = [
    ["core.fsmonitor", await traps.script("fsmonitor", "exit 1")],
    ["filter.trap.clean", await traps.script("filter-clean", "cat")],
    ["filter.trap.smudge", await traps.script("filter-smudge", "cat")],
    ["filter.trapproc.process", await traps.script("filter-process", "exit 1")],
    ["diff.trap.textconv", await traps.script("diff-textconv", 'cat "$1"')],
    ["diff.trap.command", await traps.script("diff-command")],
    ["diff.external", await traps.script("diff-external")],
    ["merge.trap.driver", await traps.script("merge-driver", "exit 1")],
    ["alias.trap", `!${await traps.script("alias")}`],
    ["core.pager", await traps.script("pager", "cat")],
    ["pager.diff", await traps.script("pager-diff", "cat")],
    ["core.editor", await traps.script("editor")],
    ["sequence.editor", await traps.script("sequence-editor")],
    ["gpg.program", await traps.script("gpg", "exit 1")],
    ["commit.gpgSign", "true"],
    ["merge.verifySignatures", "true"],
    ["credential.helper", `!${await traps.script("credential")}`],
    ["core.sshCommand", await traps.script("ssh")],
    ["core.askPass", await traps.script("askpass")],
    ["hook.trap.command", await traps.script("config-hook")],
  ];
  for (const [key, value] of set) await git(repo, "config", key, value);
  for (const event of HOOK_EVENTS) await git(repo, "config", "--add", "hook.trap.event", event);
}
