/**
 * The configured workers: `[[workers]]` tables of the operator's settings file and the flags
 * `--worker NAME=URL`, `--worker-token-file NAME=PATH` of the supervisor.
 *
 * ```toml
 * [[workers]]
 * name = "gpu-1"
 * url = "ssh://me@gpu-1.lan"          # codex-swarm starts `codex exec-server` there over ssh
 * max_parallel = 8
 *
 * [[workers]]
 * name = "pod"
 * url = "ws://127.0.0.1:4501"         # a tunnel you run to an exec-server
 * token_file = "/home/me/.config/codex-swarm/pod.token"
 * ```
 *
 * Only loopback `ws://` URLs are taken (the token would cross the network in clear otherwise), and
 * every `ws://` worker needs its token file; an `ssh://` worker gets a fresh token each start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const url = parseWorkerUrl("ssh://me@box:2222", "--worker a");
 * assert.ok(url.kind === "ssh");
 * assert.equal(url.host, "box");
 * assert.equal(url.port, 2222);
 * ```
 * @module
 */

import { isAbsolute } from "node:path";

/** `max_parallel` of a worker that sets none: a guess; set it to the worker's cores. */
export const DEFAULT_WORKER_MAX_PARALLEL = 4;
/** The name of the supervisor's own machine, which no configured worker may take. */
export const LOCAL_WORKER = "local";

/** Where a worker is reached. */
export type WorkerAddress =
  | { kind: "ws"; url: string; port: number }
  | { kind: "ssh"; url: string; user: string | null; host: string; port: number | null };

/** One configured worker. */
export interface WorkerSpec {
  name: string;
  address: WorkerAddress;
  /** The capability token's file (`ws://` workers), else null. */
  tokenFile: string | null;
  /** How many of its tasks may run at once. */
  cap: number;
  /** The `codex` to run on an `ssh://` worker (a name on its PATH or a path there). */
  codexBin: string;
  /** An ssh client config file for an `ssh://` worker (`ssh -F`): keys, known hosts, a jump host. */
  sshConfig?: string | null;
}

/** The supervisor's worker flags, as `parseCli` read them. */
export interface WorkerFlags {
  /** `--worker NAME=URL`, in order. */
  workers: { name: string; url: string }[];
  /** `--worker-token-file NAME=PATH` (absolute), in order. */
  tokenFiles: { name: string; path: string }[];
  /** `--no-local`: no task runs on the supervisor's machine. */
  noLocal: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
/** A host or user name that cannot be taken for an ssh option (no leading `-`, no spaces). */
const SSH_WORD = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const SSH_HOST = /^([A-Za-z0-9_][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\])$/;

/** Checks a worker's name: `Cannot use <where>: ...`. */
export function checkWorkerName(name: string, where: string): string {
  if (!NAME.test(name)) {
    throw new Error(
      `Cannot use ${where}: the name ${JSON.stringify(name)} is not letters, digits, _ and - ` +
        "(at most 63, starting with a letter or digit)",
    );
  }
  if (name === LOCAL_WORKER) {
    throw new Error(`Cannot use ${where}: the name "local" is the supervisor's own machine`);
  }
  return name;
}

function port(text: string, url: string, where: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new Error(`Cannot use ${where}: the port of ${url} is not 1 to 65535`);
  }
  return n;
}

/**
 * Reads a worker's URL: `ws://127.0.0.1:PORT` (or `localhost`) or `ssh://[user@]host[:port]`.
 * @throws {Error} Naming `where`, for another scheme, a non-loopback `ws://`, a path, a bad port.
 */
export function parseWorkerUrl(url: string, where: string): WorkerAddress {
  const ws = /^ws:\/\/([^/:]+|\[[^\]]*\])(?::(\d*))?\/?$/.exec(url);
  if (ws) {
    if (ws[1] !== "127.0.0.1" && ws[1] !== "localhost") {
      throw new Error(
        `Cannot use ${where}: ${url} is not this machine's loopback (ws://127.0.0.1:PORT); reach ` +
          "a remote exec-server with ssh://, or through a tunnel you run (ssh -L)",
      );
    }
    if (ws[2] === undefined) throw new Error(`Cannot use ${where}: ${url} has no port`);
    const p = port(ws[2], url, where);
    return { kind: "ws", url: `ws://127.0.0.1:${p}`, port: p };
  }
  const ssh = /^ssh:\/\/(?:([^@/]*)@)?([^/@]+?)(?::(\d*))?\/?$/.exec(url);
  if (ssh) {
    const [, user, host, p] = ssh;
    if (user !== undefined && !SSH_WORD.test(user)) {
      throw new Error(`Cannot use ${where}: the user of ${url} is not a plain user name`);
    }
    if (!SSH_HOST.test(host!)) {
      throw new Error(`Cannot use ${where}: the host of ${url} is not a plain host name`);
    }
    return {
      kind: "ssh",
      url,
      user: user ?? null,
      host: host!,
      port: p === undefined ? null : port(p, url, where),
    };
  }
  throw new Error(
    `Cannot use ${where}: ${url} is neither ws://127.0.0.1:PORT nor ssh://[user@]host[:port]`,
  );
}

/** Splits a flag's `NAME=VALUE`. */
export function parseNameValue(text: string, flag: string): { name: string; value: string } {
  const at = text.indexOf("=");
  if (at <= 0 || at === text.length - 1) {
    throw new Error(`Cannot parse ${flag} ${JSON.stringify(text)}: expected NAME=VALUE`);
  }
  const name = checkWorkerName(text.slice(0, at), `${flag} ${text}`);
  return { name, value: text.slice(at + 1) };
}

const KEYS = ["name", "url", "token_file", "max_parallel", "codex_bin", "ssh_config"];

function workerOfTable(table: unknown, index: number, path: string): WorkerSpec {
  const at = `${path}: workers[${index}]`;
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new Error(`Cannot use ${at}: it is not a table`);
  }
  const t = table as Record<string, unknown>;
  const unknown = Object.keys(t).find((key) => !KEYS.includes(key));
  if (unknown !== undefined) {
    throw new Error(`Cannot use ${at}.${unknown}: not a setting (known: ${KEYS.join(", ")})`);
  }
  const text = (key: string) => {
    if (t[key] !== undefined && (typeof t[key] !== "string" || t[key] === "")) {
      throw new Error(`Cannot use ${at}.${key}: it is not non-empty text`);
    }
    return t[key] as string | undefined;
  };
  const name = text("name");
  if (name === undefined) throw new Error(`Cannot use ${at}: name is missing`);
  const where = `worker "${name}" of ${path}`;
  checkWorkerName(name, `${at}.name`);
  const url = text("url");
  if (url === undefined) throw new Error(`Cannot use ${where}: url is missing`);
  const tokenFile = text("token_file") ?? null;
  if (tokenFile !== null && !isAbsolute(tokenFile)) {
    throw new Error(`Cannot use ${where}: token_file is not an absolute path`);
  }
  const sshConfig = text("ssh_config") ?? null;
  if (sshConfig !== null && !isAbsolute(sshConfig)) {
    throw new Error(`Cannot use ${where}: ssh_config is not an absolute path`);
  }
  const cap = t.max_parallel ?? DEFAULT_WORKER_MAX_PARALLEL;
  if (typeof cap !== "number" || !Number.isInteger(cap) || cap < 1) {
    throw new Error(`Cannot use ${where}: max_parallel is not an integer >= 1`);
  }
  return {
    name,
    address: parseWorkerUrl(url, where),
    tokenFile,
    cap,
    codexBin: text("codex_bin") ?? "codex",
    sshConfig,
  };
}

/**
 * The `[[workers]]` of a settings file (none when it has none), from its parsed TOML: the file is
 * parsed by lib/supervisor/settings.ts, so that the front-end, which reads worker flags, loads no
 * TOML parser.
 * @throws {Error} Naming the file, the worker and the key.
 */
export function workersOfSettings(doc: Record<string, unknown>, path: string): WorkerSpec[] {
  if (doc.workers === undefined) return [];
  if (!Array.isArray(doc.workers)) {
    throw new Error(`Cannot use ${path}: workers is not an array of tables ([[workers]])`);
  }
  return doc.workers.map((table, i) => workerOfTable(table, i, path));
}

/**
 * The workers to run: the settings file's, then the flags' (`--worker-token-file` applies to
 * either), each checked as a whole.
 * @throws {Error} For a name given twice, a token file for no worker, a `ws://` worker without a
 * token file, or an `ssh://` worker with one (its token is generated).
 */
export function workerSpecs(fromFile: WorkerSpec[], flags: WorkerFlags): WorkerSpec[] {
  const specs = fromFile.map((spec) => ({ ...spec }));
  for (const { name, url } of flags.workers) {
    const where = `--worker ${name}=${url}`;
    if (specs.some((s) => s.name === name)) {
      throw new Error(`Cannot use ${where}: a worker named "${name}" is already configured`);
    }
    specs.push({
      name,
      address: parseWorkerUrl(url, where),
      tokenFile: null,
      cap: DEFAULT_WORKER_MAX_PARALLEL,
      codexBin: "codex",
    });
  }
  for (const { name, path } of flags.tokenFiles) {
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined) {
      throw new Error(
        `Cannot use --worker-token-file ${name}=${path}: no worker is named "${name}"`,
      );
    }
    spec.tokenFile = path;
  }
  for (const spec of specs) {
    if (spec.address.kind === "ws" && spec.tokenFile === null) {
      throw new Error(
        `Cannot use worker "${spec.name}" (${spec.address.url}): it has no token file ` +
          "(token_file, or --worker-token-file NAME=PATH): an exec-server must require a token",
      );
    }
    if (spec.address.kind === "ssh" && spec.tokenFile !== null) {
      throw new Error(
        `Cannot use worker "${spec.name}" (${spec.address.url}): an ssh:// worker takes no token ` +
          "file, codex-swarm makes a fresh token for each start",
      );
    }
  }
  return specs;
}
