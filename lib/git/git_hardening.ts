/**
 * What git may run when codex-swarm runs it: git's own commands only, never a program that a
 * repository names. The supervisor runs git unsandboxed for every session, in repositories whose
 * files (and, under a writable root, whose `.git/`) a task's commands can write; so every program
 * git could start from a repository's config, hooks or attributes is switched off here:
 *
 * - {@linkcode FIXED_CONFIG}: `-c` settings that win over every config file: no hooks
 *   (`core.hooksPath=/dev/null`, and each event off for configured hooks), no fsmonitor, no
 *   transport (so no ssh command, credential helper or remote helper), no signing, no pager or
 *   editor, no auto gc, no recursion into submodules.
 * - {@linkcode driverOverrides}: from the config git would read (`git config --list --show-scope`),
 *   `-c` settings that empty every filter driver, replace every merge driver with git's own text
 *   merge and disable every configured hook, unless the driver is the user's own (system or global
 *   config); hooks are disabled wherever defined.
 * - {@linkcode COMMAND_FLAGS}: flags added to a command: no external diff or textconv, and no git
 *   run in a submodule or nested repository (which reads that repository's config).
 * - {@linkcode GIT_COMMANDS}: the commands allowed, all built into git: no alias and no
 *   `git-<name>` program on PATH.
 *
 * Pure: `lib/git/git.ts` runs git with what this module computes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const call = splitGitArgs(["commit", "--quiet", "-m", "x"]);
 * if ("refused" in call) throw new Error(call.refused);
 * const listed = "local\0filter.x.clean\nrm -rf ~\0";
 * const overrides = driverOverrides(parseConfigList(listed));
 * if ("refused" in overrides) throw new Error(overrides.refused);
 * const argv = gitArgv(call, overrides.config);
 * assert.deepEqual(argv.slice(0, 3), ["--no-pager", "-c", "core.hooksPath=/dev/null"]);
 * assert.ok(argv.includes("filter.x.clean=")); // the repository's filter is emptied
 * assert.deepEqual(argv.slice(-4), ["commit", "--quiet", "-m", "x"]);
 * ```
 * @module
 */

/**
 * The git commands codex-swarm runs (lib/ and its tests), all built into git. Anything else is
 * refused: a name git does not know is run as an alias or as a `git-<name>` program.
 */
export const GIT_COMMANDS: ReadonlySet<string> = new Set([
  "add",
  "branch",
  "bundle",
  "check-ref-format",
  "checkout",
  "clean",
  "commit",
  "config",
  "diff",
  "for-each-ref",
  "init",
  "log",
  "ls-files",
  "ls-tree",
  "merge",
  "merge-base",
  "mv",
  "reset",
  "rev-list",
  "rev-parse",
  "show",
  "show-ref",
  "status",
  "symbolic-ref",
  "tag",
  "update-ref",
  "worktree",
]);

/**
 * Commands that only read refs, objects or config: they run no filter, merge driver or hook in
 * any form (diffs in `log` and `show` get no textconv or external diff, {@linkcode COMMAND_FLAGS}),
 * so the runner need not list the config before them.
 */
export const DRIVERLESS_COMMANDS: ReadonlySet<string> = new Set([
  "check-ref-format",
  "config",
  "for-each-ref",
  "log",
  "ls-tree",
  "rev-list",
  "rev-parse",
  "show",
  "show-ref",
]);

/**
 * Arguments that would turn a switched-off program back on (an external diff, textconv, signing or
 * checking signatures, git run in submodules, a pack program); refused before a `--`.
 */
const REFUSED_ARGS = [
  "--ext-diff",
  "--textconv",
  "--ignore-submodules",
  "--recurse-submodules",
  "--gpg-sign",
  "--verify-signatures",
  "--show-signature",
  "--upload-pack",
  "--receive-pack",
  "--exec",
];

/** Every hook event of githooks(5), as of git 2.55. */
export const HOOK_EVENTS: readonly string[] = [
  "applypatch-msg",
  "pre-applypatch",
  "post-applypatch",
  "pre-commit",
  "pre-merge-commit",
  "prepare-commit-msg",
  "commit-msg",
  "post-commit",
  "pre-rebase",
  "post-checkout",
  "post-merge",
  "pre-push",
  "pre-receive",
  "update",
  "proc-receive",
  "post-receive",
  "post-update",
  "reference-transaction",
  "push-to-checkout",
  "pre-auto-gc",
  "post-rewrite",
  "sendemail-validate",
  "fsmonitor-watchman",
  "p4-changelist",
  "p4-prepare-changelist",
  "p4-post-changelist",
  "p4-pre-submit",
  "post-index-change",
];

/**
 * Settings given with `-c` on every command; `-c` wins over every config file, and git passes it
 * on to the git processes it starts.
 */
export const FIXED_CONFIG: ReadonlyArray<readonly [string, string]> = [
  // Hooks: a directory with none (`.git/hooks`, a committed `.husky`, a global hooks directory).
  ["core.hooksPath", "/dev/null"],
  // Configured hooks (git 2.55 on; 2.54's are disabled by name, see driverOverrides).
  ...HOOK_EVENTS.map((event) => [`hook.${event}.enabled`, "false"] as const),
  // Empty is "off" in every git version (before 2.36 the value was a hook's path).
  ["core.fsmonitor", ""],
  // No transport at all: no fetch (a partial clone's lazy fetch included), so no ssh command,
  // remote helper, credential helper or askpass program.
  ["protocol.allow", "never"],
  ["credential.helper", ""],
  ["core.askPass", ""],
  // No signing or signature check, and a program that cannot run (not executable) if one is
  // asked for anyway (`%G?` in a log format): no gpg, ssh or x509 program.
  ["commit.gpgSign", "false"],
  ["tag.gpgSign", "false"],
  ["merge.verifySignatures", "false"],
  ["log.showSignature", "false"],
  ["gpg.program", "/dev/null"],
  ["gpg.openpgp.program", "/dev/null"],
  ["gpg.x509.program", "/dev/null"],
  ["gpg.ssh.program", "/dev/null"],
  // No pager or editor (git's stdout is a pipe and messages are given, but a setting is cheap).
  ["core.pager", "cat"],
  ["core.editor", ":"],
  ["sequence.editor", ":"],
  // No background gc or maintenance after a commit or merge.
  ["gc.auto", "0"],
  ["maintenance.auto", "false"],
  // Checkout, merge and reset stay out of submodules (each has a config of its own).
  ["submodule.recurse", "false"],
];

/**
 * Flags added after these commands: no external diff program or textconv filter (`diff`, `log`
 * and `show` would run them), and no `git status` run inside a submodule or nested repository to
 * see whether its files changed (that git reads the nested repository's config, whose filters and
 * fsmonitor a task can write).
 */
export const COMMAND_FLAGS: Readonly<Record<string, readonly string[]>> = {
  diff: ["--no-ext-diff", "--no-textconv", "--ignore-submodules=dirty"],
  log: ["--no-ext-diff", "--no-textconv"],
  show: ["--no-ext-diff", "--no-textconv"],
  status: ["--ignore-submodules=dirty"],
};

/** Config scopes written by the user, not by a repository: their drivers may run. */
const TRUSTED_SCOPES: ReadonlySet<string> = new Set(["system", "global"]);

/** The keys of a driver that name a program, by section. */
const DRIVER_PROGRAMS: Readonly<Record<string, readonly string[]>> = {
  filter: ["clean", "smudge", "process"],
  merge: ["driver"],
};

/**
 * What a repository's merge driver is replaced with: git's own three-way text merge of the
 * files git names (`%A` ours, written in place; `%O` base; `%B` theirs), as git does for a file
 * with no driver; its exit code is the number of conflicts. (Emptied, the driver would fail the
 * whole merge with "cannot run".)
 */
export const TEXT_MERGE_DRIVER = "git merge-file --marker-size=%L %A %O %B";

/** A git command line taken apart: the caller's `-c` settings, the command and its arguments. */
export interface GitCall {
  /** `-c` pairs given before the command, as given. */
  config: string[];
  /** The git command, e.g. `commit`. */
  command: string;
  /** What follows the command. */
  rest: string[];
}

/** One entry of `git config --list --show-scope -z`. */
export interface ConfigEntry {
  /** `system`, `global`, `local`, `worktree`, `command`. */
  scope: string;
  /** The key as git prints it: section and name lower case, subsection as written. */
  key: string;
  /** The value; null for a key without `=`. */
  value: string | null;
}

/**
 * Takes `args` apart into leading `-c` pairs, the command and the rest; refuses another leading
 * option (`-C`, `--git-dir`, `--exec-path`...), a command not in {@linkcode GIT_COMMANDS}, and an
 * argument that turns a program back on (`--ext-diff`, `--gpg-sign`, `-S` of `commit`...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitGitArgs(["-c", "user.name=x", "commit"]), {
 *   config: ["-c", "user.name=x"],
 *   command: "commit",
 *   rest: [],
 * });
 * assert.ok("refused" in splitGitArgs(["st"])); // an alias: not one of the commands codex-swarm runs
 * ```
 */
export function splitGitArgs(args: readonly string[]): GitCall | { refused: string } {
  let i = 0;
  while (args[i] === "-c" && i + 1 < args.length) i += 2;
  const command = args[i];
  if (command === undefined) return { refused: "no git command is given" };
  if (command.startsWith("-")) {
    return { refused: `option ${JSON.stringify(command)} comes before the command (only -c may)` };
  }
  if (!GIT_COMMANDS.has(command)) {
    return {
      refused: `${
        JSON.stringify(command)
      } is not one of the git commands codex-swarm runs (git's own: ${
        [...GIT_COMMANDS].join(", ")
      }), so it could be an alias or a program`,
    };
  }
  const rest = args.slice(i + 1);
  const end = rest.indexOf("--");
  const options = end < 0 ? rest : rest.slice(0, end);
  const signs = command === "commit" || command === "merge";
  const bad = options.find((arg) =>
    REFUSED_ARGS.some((refused) => arg === refused || arg.startsWith(`${refused}=`)) ||
    (signs && arg.startsWith("-S"))
  );
  if (bad !== undefined) {
    return { refused: `${JSON.stringify(bad)} would let git run a program` };
  }
  return { config: args.slice(0, i), command, rest };
}

/**
 * Parses the output of `git config --list --show-scope -z`: per entry the scope, NUL, the key, and
 * a newline and the value when there is one, then NUL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseConfigList("global\0user.name\nAda\0local\0core.bare\nfalse\0"), [
 *   { scope: "global", key: "user.name", value: "Ada" },
 *   { scope: "local", key: "core.bare", value: "false" },
 * ]);
 * ```
 */
export function parseConfigList(out: string): ConfigEntry[] {
  const fields = out.split("\0");
  const entries: ConfigEntry[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [key = "", ...value] = fields[i + 1]!.split("\n");
    entries.push({ scope: fields[i]!, key, value: value.length > 0 ? value.join("\n") : null });
  }
  return entries;
}

/**
 * The `-c` settings that switch off the programs a repository defines in the config git reads:
 * every filter driver (`filter.<x>.clean`, `.smudge`, `.process` emptied, `.required` false) and
 * merge driver (`merge.<x>.driver` replaced by git's own text merge, {@linkcode TEXT_MERGE_DRIVER})
 * with a key set outside the system and global config, and every configured hook, wherever
 * defined (`hook.<x>.enabled=false`). Refuses a name that `-c` cannot express (it holds `=`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(driverOverrides([{ scope: "local", key: "filter.x.clean", value: "sh evil" }]), {
 *   config: [
 *     ["filter.x.clean", ""],
 *     ["filter.x.smudge", ""],
 *     ["filter.x.process", ""],
 *     ["filter.x.required", "false"],
 *   ],
 * });
 * ```
 */
export function driverOverrides(
  entries: readonly ConfigEntry[],
): { config: Array<[string, string]> } | { refused: string } {
  const untrusted = new Map<string, string>();
  const hooks = new Set<string>();
  for (const { scope, key } of entries) {
    // `section.name.variable`: the name is all between the first and the last dot.
    const [, section = "", name = "", variable = ""] = /^([^.]+)\.(.*)\.([^.]+)$/s.exec(key) ?? [];
    if (section === "hook" && (variable === "command" || variable === "event")) {
      hooks.add(name);
    } else if (DRIVER_PROGRAMS[section]?.includes(variable) && !TRUSTED_SCOPES.has(scope)) {
      untrusted.set(`${section}.${name}`, section);
    }
  }
  const named = [...untrusted.keys(), ...[...hooks].map((name) => `hook.${name}`)];
  const odd = named.find((driver) => driver.includes("="));
  if (odd !== undefined) {
    return {
      refused: `the repository's config defines ${
        JSON.stringify(odd)
      }, a name with "=" that git -c cannot switch off`,
    };
  }
  const config: Array<[string, string]> = [];
  for (const [driver, section] of untrusted) {
    if (section === "merge") {
      config.push([`${driver}.driver`, TEXT_MERGE_DRIVER]);
    } else {
      for (const variable of DRIVER_PROGRAMS.filter!) config.push([`${driver}.${variable}`, ""]);
      config.push([`${driver}.required`, "false"]);
    }
  }
  for (const name of hooks) config.push([`hook.${name}.enabled`, "false"]);
  return { config };
}

/**
 * The `-c` arguments and the command line git runs with: `--no-pager`, the caller's `-c`, the
 * fixed and the given settings (later `-c` wins), the command, its flags and the rest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const argv = gitArgv({ config: [], command: "status", rest: ["--porcelain"] }, []);
 * assert.deepEqual(argv.slice(0, 3), ["--no-pager", "-c", "core.hooksPath=/dev/null"]);
 * assert.deepEqual(argv.slice(-3), ["status", "--ignore-submodules=dirty", "--porcelain"]);
 * ```
 */
export function gitArgv(
  call: GitCall,
  overrides: ReadonlyArray<readonly [string, string]>,
): string[] {
  const settings = [...FIXED_CONFIG, ...overrides].flatMap(([key, value]) => [
    "-c",
    `${key}=${value}`,
  ]);
  return [
    "--no-pager",
    ...call.config,
    ...settings,
    call.command,
    ...(COMMAND_FLAGS[call.command] ?? []),
    ...call.rest,
  ];
}
