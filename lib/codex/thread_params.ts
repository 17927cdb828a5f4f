/**
 * How a task request becomes the parameters of `thread/start` (or `thread/resume`) and
 * `turn/start` of `codex app-server`.
 *
 * The same rules as `codex exec` arguments (lib/codex/codex_args.ts): the session's `-c` defaults first,
 * then the profile, then the call's `config` (flattened to dotted keys), then the call's typed
 * fields; a setting is dropped when a later one sets the same key or a key above it.
 * `thread/start` has no `profile`: the profile's file `$CODEX_HOME/<name>.config.toml` is read and
 * layered in as config, as `codex exec --profile` layers it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const defaults = { overrides: [], skipGitRepoCheck: false, ephemeral: false };
 * const where = { cwd: "/repo", codexHome: "/home/me/.codex" };
 * const params = placeThread(threadSettings({ prompt: "hi", model: "o3" }, defaults, where.codexHome), where.cwd);
 * assert.equal(params.thread.model, "o3");
 * assert.deepEqual(params.input, [{ type: "text", text: "hi", text_elements: [] }]);
 * ```
 *
 * Every thread marks its cwd and the directories above it untrusted (./project_trust.ts), so
 * Codex loads no project `.codex/` config, hooks or rules for it, nor its `AGENTS.md`: a new
 * thread gets those instructions from codex-swarm instead, appended to its developer instructions
 * ({@link withDeveloperSection}, ./project_context.ts).
 *
 * `images` follow the prompt as `localImage` inputs (Codex reads each file and sends it to the
 * model as an `input_image` data URL). `addDirs` join `sandbox_workspace_write.writable_roots`
 * (after any the config lists), which is how `codex exec --add-dir` passes them; a thread whose
 * sandbox is set to read-only cannot take them.
 * @module
 */

import { parse } from "smol-toml";
import { type RunOptions, type ServerDefaults, settingReplaces } from "./codex_args.ts";
import { flattenConfig, type Json, tomlTextToJson, tomlToJson } from "./config_overrides.ts";
import { distrustProjects } from "./project_trust.ts";
import type { AskForApproval } from "./protocol/generated/v2/AskForApproval.ts";
import type { SandboxMode } from "./protocol/generated/v2/SandboxMode.ts";
import type { SandboxPolicy } from "./protocol/generated/v2/SandboxPolicy.ts";
import type { UserInput } from "./protocol/generated/v2/UserInput.ts";

export type { Json };

/** What {@link placeThread} returns. */
export interface ThreadParams {
  /** For `thread/start` (and, with `threadId`, `thread/resume`). */
  thread: {
    cwd: string;
    model?: string;
    sandbox?: SandboxMode;
    approvalPolicy?: AskForApproval;
    baseInstructions?: string;
    developerInstructions?: string;
    config: Record<string, Json>;
    ephemeral?: boolean;
    /** On a worker: the thread's environment there (`environment/add`, docs/workers.md). */
    environments?: Array<{ environmentId: string; cwd: string }>;
  };
  /** The user input of `turn/start`: the prompt, then the images. */
  input: UserInput[];
}

/** The config key of the sandbox's extra writable roots. */
const WRITABLE_ROOTS = "sandbox_workspace_write.writable_roots";

/** Adds `dirs` to the writable roots `config` lists (dotted or as a `sandbox_workspace_write` table). */
function addWritableRoots(config: Record<string, Json>, dirs: string[]): void {
  const table = config.sandbox_workspace_write;
  if (table !== null && typeof table === "object" && !Array.isArray(table)) {
    const listed = Array.isArray(table.writable_roots) ? table.writable_roots : [];
    config.sandbox_workspace_write = { ...table, writable_roots: [...listed, ...dirs] };
    return;
  }
  const listed = config[WRITABLE_ROOTS];
  config[WRITABLE_ROOTS] = [...(Array.isArray(listed) ? listed : []), ...dirs];
}

/** Reads a profile's config file as dotted settings; a clear error when it is missing or bad. */
export function readProfile(codexHome: string, name: string): Array<[string, Json]> {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new Error(
      `Cannot use profile ${JSON.stringify(name)}: a profile name has only letters, digits, ` +
        "_ and -",
    );
  }
  const path = `${codexHome}/${name}.config.toml`;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    throw new Error(`Cannot use profile "${name}" as its file does not exist: path is ${path}`);
  }
  let table: Record<string, unknown>;
  try {
    table = parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`Cannot use profile "${name}" as ${path} is not valid TOML: ${error}`);
  }
  return flattenConfig(tomlToJson(table) as Record<string, unknown>);
}

/** Thread parameters not yet placed in a directory ({@link placeThread} places them). */
export type ThreadSettings = {
  thread: Omit<ThreadParams["thread"], "cwd">;
  input: UserInput[];
};

/**
 * The thread and turn parameters of a run, but where it runs: everything a call's settings can
 * get wrong is found here, before a worktree is made for it.
 * @throws {Error} When a name is empty, a profile is missing, or a config value cannot be
 * encoded, or for `addDirs` with a read-only sandbox (naming `add_dirs[0]`).
 */
export function threadSettings(
  run: RunOptions,
  defaults: ServerDefaults,
  codexHome: string,
): ThreadSettings {
  for (const [name, value] of [["model", run.model], ["profile", run.profile]] as const) {
    if (value === "") throw new Error(`Cannot start Codex: ${name} is empty`);
  }
  const profile = run.profile === undefined ? [] : readProfile(codexHome, run.profile);
  const perCall = flattenConfig(run.config ?? {});
  if (run.compactPrompt !== undefined) perCall.push(["compact_prompt", run.compactPrompt]);
  const session = defaults.overrides.map((o): [string, Json] => [o.key, tomlTextToJson(o.value)]);
  const all = [...session, ...profile, ...perCall];
  const kept = all.filter(([key], i) =>
    !all.slice(i + 1).some(([later]) => settingReplaces(later, key))
  );
  const config: Record<string, Json> = Object.fromEntries(kept);
  /** Takes a string setting out of config, so it goes as its own parameter. */
  const take = (key: string): string | undefined => {
    const value = config[key];
    delete config[key];
    return typeof value === "string" ? value : undefined;
  };
  // Typed fields win over config, as they do for codex exec.
  const model = take("model");
  const sandbox = take("sandbox_mode") as SandboxMode | undefined;
  const approval = take("approval_policy") as RunOptions["approvalPolicy"];
  const base = take("instructions");
  const developer = take("developer_instructions");
  const thread: ThreadSettings["thread"] = { config };
  const set = <K extends keyof ThreadSettings["thread"]>(k: K, v: ThreadSettings["thread"][K]) => {
    if (v !== undefined) thread[k] = v;
  };
  set("model", run.model ?? model);
  set("sandbox", run.sandbox ?? sandbox);
  // Without a policy a task asks nothing, as `codex exec` (and codex-swarm 0.1) never asked.
  // Codex 0.169 dropped "on-failure"; "on-request" is the closest: the model asks to run a
  // command outside the sandbox when it needs to, which is when an on-failure retry would ask.
  const approvalPolicy = run.approvalPolicy ?? approval ?? "never";
  set("approvalPolicy", approvalPolicy === "on-failure" ? "on-request" : approvalPolicy);
  set("baseInstructions", run.baseInstructions ?? base);
  set("developerInstructions", run.developerInstructions ?? developer);
  if (defaults.ephemeral) thread.ephemeral = true;
  if (run.addDirs !== undefined && run.addDirs.length > 0) {
    if (thread.sandbox === "read-only") {
      throw new Error(
        `Cannot add add_dirs[0] ${
          JSON.stringify(run.addDirs[0])
        } as a writable root as the task's sandbox ` +
          'is read-only: pass sandbox "workspace-write" (or leave add_dirs out)',
      );
    }
    addWritableRoots(config, run.addDirs);
  }
  const input: UserInput[] = [{ type: "text", text: run.prompt, text_elements: [] }];
  for (const path of run.images ?? []) input.push({ type: "localImage", path });
  return { thread, input };
}

/** The parameters of a run in directory `cwd`, whose project (and those above it) Codex distrusts. */
export function placeThread(settings: ThreadSettings, cwd: string): ThreadParams {
  const config = { ...settings.thread.config };
  // Last, so nothing before it can trust the project: its own .codex/ stays unloaded.
  distrustProjects(config, cwd);
  return { thread: { ...settings.thread, cwd, config }, input: settings.input };
}

/**
 * The thread parameters with `section` (a project's rendered `AGENTS.md` instructions, see
 * ./project_docs.ts) appended to the developer instructions, after any the call or session gives,
 * a blank line between; unchanged when `section` is null.
 */
export function withDeveloperSection(
  thread: ThreadParams["thread"],
  section: string | null,
): ThreadParams["thread"] {
  if (section === null) return thread;
  const given = thread.developerInstructions;
  return {
    ...thread,
    developerInstructions: given === undefined || given === "" ? section : `${given}\n\n${section}`,
  };
}

/**
 * Checks that the sandbox Codex chose for a thread (as `thread/start` answered it) can take the
 * request's `addDirs`: when no sandbox was asked for, Codex's config decides, and a read-only one
 * would silently ignore them.
 * @throws {Error} Naming `add_dirs[0]` when the sandbox is read-only.
 */
export function checkAddDirsSandbox(addDirs: string[] | undefined, sandbox: SandboxPolicy): void {
  if (addDirs === undefined || addDirs.length === 0 || sandbox.type !== "readOnly") return;
  throw new Error(
    `Cannot add add_dirs[0] ${JSON.stringify(addDirs[0])} as a writable root as the task's ` +
      'sandbox is read-only (Codex\'s config chose it): pass sandbox "workspace-write"',
  );
}
