/**
 * `top`'s side of MCP: a client of a codex-swarm stdio server it spawns, that reads the task
 * resources, follows their updates, and calls `codex_cancel` and `codex_approve`.
 *
 * @example Not run: it starts a codex-swarm server (and its supervisor) to talk to.
 * ```ts ignore
 * import { TASKS_URI, TopConnection } from "./connection.ts";
 * import { selfCommand } from "../supervisor/launch.ts";
 *
 * const connection = await TopConnection.open(selfCommand([]));
 * console.log(await connection.readJson(TASKS_URI));
 * await connection.close();
 * ```
 * @module
 */

import {
  Client,
  ResourceUpdatedNotificationSchema,
  StdioClientTransport,
} from "../mcp/sdk_client.ts";
import { TOP_ROLE_ENV } from "../supervisor/hello.ts";
import { VERSION } from "../supervisor/cli.ts";
import { messageOf } from "../base/errors.ts";

/** The task list's resource; `codex-swarm://tasks/{id}` is one task's full view. */
export const TASKS_URI = "codex-swarm://tasks";
/** The server's settings and limits. */
export const SERVER_INFO_URI = "codex-swarm://server-info";
/** How much of the server's stderr is kept for error messages. */
const STDERR_TAIL_CHARS = 2000;

/** The outcome of a tool call, for the status line. */
export interface ActionResult {
  ok: boolean;
  text: string;
}

/** A connected MCP client of a codex-swarm server. Close it to stop the server it started. */
export class TopConnection {
  readonly #client: Client;
  readonly #listeners = new Set<() => void>();

  private constructor(client: Client) {
    this.#client = client;
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, () => {
      for (const listener of this.#listeners) listener();
    });
  }

  /**
   * Spawns the server and connects to it.
   *
   * @throws {Error} When the server does not start or answer, with the end of its stderr.
   */
  static async open(
    command: { command: string; args: string[] },
    env = Deno.env.toObject(),
  ): Promise<TopConnection> {
    const transport = new StdioClientTransport({
      command: command.command,
      args: command.args,
      // Its session may answer approvals in every mode, once the supervisor sees top at a terminal.
      env: { ...env, [TOP_ROLE_ENV]: "1" },
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Uint8Array | string) => {
      stderr += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      if (stderr.length > STDERR_TAIL_CHARS * 2) stderr = stderr.slice(-STDERR_TAIL_CHARS);
    });
    const client = new Client({ name: "codex-swarm-top", version: VERSION }, { capabilities: {} });
    try {
      await client.connect(transport);
    } catch (error) {
      await client.close().catch(() => {});
      const tail = stderr.trim().slice(-STDERR_TAIL_CHARS);
      throw new Error(
        `Cannot connect to the server (${command.command}): ${messageOf(error)}` +
          (tail === "" ? "" : `\n${tail}`),
      );
    }
    return new TopConnection(client);
  }

  /** The JSON of resource `uri`. */
  async readJson(uri: string): Promise<unknown> {
    const result = await this.#client.readResource({ uri });
    const first = result.contents[0];
    if (first === undefined || !("text" in first) || typeof first.text !== "string") {
      throw new Error(`Cannot read ${uri} as the server sent no text for it`);
    }
    return JSON.parse(first.text);
  }

  /** The JSON of `codex-swarm://tasks/{id}`. */
  readTask(id: string): Promise<unknown> {
    return this.readJson(`${TASKS_URI}/${encodeURIComponent(id)}`);
  }

  /**
   * Subscribes to the task list and calls `listener` on each `notifications/resources/updated`.
   * Returns a function that removes the listener.
   */
  async subscribe(listener: () => void): Promise<() => void> {
    this.#listeners.add(listener);
    await this.#client.subscribeResource({ uri: TASKS_URI });
    return () => this.#listeners.delete(listener);
  }

  /** Calls a tool; a failure (including an unknown tool) comes back as `ok: false` and its text. */
  async callTool(name: string, args: Record<string, unknown>): Promise<ActionResult> {
    try {
      const result = await this.#client.callTool({ name, arguments: args });
      const content = Array.isArray(result.content) ? result.content : [];
      const text = content.map((c) => (c.type === "text" ? c.text : "")).join("\n").trim();
      return { ok: result.isError !== true, text: text === "" ? `${name} done` : text };
    } catch (error) {
      return { ok: false, text: `${name} failed: ${messageOf(error)}` };
    }
  }

  /** Closes the connection, which stops the server process (its tasks keep running). */
  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#client.close().catch(() => {});
  }
}
