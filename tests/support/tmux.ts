/**
 * A program running in a detached tmux session of its own (private tmux server), for terminal UI
 * tests: send keys, capture the pane as text.
 *
 * @example Not run: it needs tmux, and a program to drive in its terminal.
 * ```ts ignore
 * await using term = await startTmux({ argv: ["htop"], env: { PATH: "/usr/bin" } });
 * await term.sendKeys("q");
 * console.log(await term.capture());
 * ```
 * @module
 */

/** What to run, where. */
export interface TmuxOptions {
  argv: string[];
  /** The whole environment of the program (tmux adds TERM). */
  env: Record<string, string>;
  columns?: number;
  rows?: number;
  cwd?: string;
}

/** A running tmux session. Disposing it kills the session and its tmux server. */
export interface Tmux extends AsyncDisposable {
  /** The pane's text (with `escapes`, its colour and style escape sequences too). */
  capture(options?: { escapes?: boolean }): Promise<string>;
  /** Sends keys as tmux names them (`Down`, `Enter`, `Escape`, `q`). */
  sendKeys(...keys: string[]): Promise<void>;
  /** Whether the program still runs (the session ends with it). */
  alive(): Promise<boolean>;
}

/** Quotes `word` for sh. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

async function tmux(socket: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env, clearEnv: true } : {}),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { ok: out.success, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Starts `argv` in a new detached tmux session of `columns` x `rows` (default 80 x 24). */
export async function startTmux(options: TmuxOptions): Promise<Tmux> {
  const socket = `codex-swarm-test-${crypto.randomUUID().slice(0, 8)}`;
  const command = [
    ...(options.cwd ? [`cd ${shellQuote(options.cwd)} &&`] : []),
    "exec",
    ...options.argv.map(shellQuote),
  ].join(" ");
  const started = await tmux(socket, [
    "-f",
    "/dev/null",
    "new-session",
    "-d",
    "-s",
    "t",
    "-x",
    String(options.columns ?? 80),
    "-y",
    String(options.rows ?? 24),
    command,
  ], options.env);
  if (!started.ok) throw new Error(`Cannot start tmux: ${started.stderr}`);
  // The size given to new-session holds only while no client is attached; say it explicitly.
  await tmux(socket, ["set-option", "-t", "t", "window-size", "manual"]);
  const socketPath = (await tmux(socket, ["display-message", "-p", "#{socket_path}"])).stdout
    .trim();
  return {
    async capture({ escapes = false } = {}) {
      const result = await tmux(socket, [
        "capture-pane",
        "-p",
        ...(escapes ? ["-e"] : []),
        "-t",
        "t",
      ]);
      return result.ok ? result.stdout : "";
    },
    async sendKeys(...keys: string[]) {
      const result = await tmux(socket, ["send-keys", "-t", "t", ...keys]);
      if (!result.ok) throw new Error(`Cannot send keys ${keys.join(" ")}: ${result.stderr}`);
    },
    async alive() {
      return (await tmux(socket, ["has-session", "-t", "t"])).ok;
    },
    async [Symbol.asyncDispose]() {
      await tmux(socket, ["kill-server"]);
      // tmux leaves its socket file behind.
      if (socketPath !== "") await Deno.remove(socketPath).catch(() => {});
    },
  };
}
