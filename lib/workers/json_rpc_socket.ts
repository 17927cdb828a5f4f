/**
 * JSON-RPC 2.0 over one WebSocket (Deno's built-in client): requests with ids, notifications to
 * listeners, and a {@link JsonRpcSocket.closed} promise that says how the connection ended.
 *
 * The peer is named in every error (`exec-server "gpu-1" (ws://127.0.0.1:4500)`), with the method
 * that failed. Headers (a bearer token) go only into the upgrade request: they are never part of
 * the URL, a message or an error.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a running JSON-RPC WebSocket server
 * const socket = await JsonRpcSocket.connect("ws://127.0.0.1:4500", "exec-server \"a\"", {});
 * socket.onNotification((method, params) => console.log(method, params));
 * console.log(await socket.request("initialize", { clientName: "codex-swarm" }));
 * await socket.close();
 * ```
 * @module
 */

/** How long {@link JsonRpcSocket.connect} waits for the WebSocket to open. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Receives the peer's notifications. */
export type NotificationListener = (method: string, params: unknown) => void;

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Explains a failed WebSocket upgrade: Deno reports the HTTP status only in the error text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   upgradeFailure("failed to connect to WebSocket: Invalid status code: 401"),
 *   "the server refused the token (HTTP 401 Unauthorized)",
 * );
 * ```
 */
export function upgradeFailure(detail: string): string {
  const status = /status code:? (\d{3})/i.exec(detail)?.[1];
  if (status === "401") return "the server refused the token (HTTP 401 Unauthorized)";
  if (status === "403") return "the server refused the token (HTTP 403 Forbidden)";
  if (status) return `the server answered the upgrade with HTTP ${status}`;
  return detail || "the connection failed";
}

/** One JSON-RPC connection over a WebSocket. */
export class JsonRpcSocket {
  /** Resolves when the connection ends: null when {@link close} ended it, else the cause. */
  readonly closed: Promise<Error | null>;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Set<NotificationListener>();
  #ended = false;
  #resolveClosed!: (error: Error | null) => void;

  private constructor(private readonly ws: WebSocket, readonly peer: string) {
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    ws.onmessage = (event) => this.#receive(event.data);
    ws.onclose = (event) => {
      const why = event.reason ? `: ${event.reason}` : "";
      this.#end(new Error(`${peer} closed the connection (code ${event.code}${why})`));
    };
    ws.onerror = (event) => {
      const message = (event as ErrorEvent).message ?? "error";
      this.#end(new Error(`${peer} connection failed: ${message}`));
    };
  }

  /**
   * Opens the WebSocket, with `headers` (a bearer token) on the upgrade request only; rejects
   * naming `peer` (how errors name the other side) and why (e.g. a refused token).
   */
  static connect(
    url: string,
    peer: string,
    headers: Record<string, string>,
  ): Promise<JsonRpcSocket> {
    const ws = new WebSocket(url, { headers });
    return new Promise<JsonRpcSocket>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        ws.onopen = ws.onerror = ws.onclose = null;
        try {
          ws.close();
        } catch { /* not open */ }
        reject(new Error(`Cannot connect to ${peer}: ${why}`));
      };
      const timer = setTimeout(
        () => fail(`no answer within ${CONNECT_TIMEOUT_MS} ms`),
        CONNECT_TIMEOUT_MS,
      );
      ws.onopen = () => {
        clearTimeout(timer);
        ws.onopen = ws.onerror = ws.onclose = null;
        resolve(new JsonRpcSocket(ws, peer));
      };
      ws.onerror = (event) => fail(upgradeFailure((event as ErrorEvent).message ?? ""));
      ws.onclose = (event) => fail(`closed during the upgrade (code ${event.code})`);
    });
  }

  /** Hears every notification; returns a function that stops it. */
  onNotification(listener: NotificationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `method`; rejects with the peer's error or, when the connection ends, naming the method. */
  request(method: string, params: unknown): Promise<unknown> {
    if (this.#ended) {
      return Promise.reject(
        new Error(`Cannot call ${method} on ${this.peer}: the connection is closed`),
      );
    }
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    this.#pending.set(id, { method, resolve, reject });
    this.#send({ jsonrpc: "2.0", id, method, params });
    return promise;
  }

  /** Sends a notification (no answer). */
  notify(method: string, params: unknown): void {
    if (!this.#ended) this.#send({ jsonrpc: "2.0", method, params });
  }

  /** Closes the connection; {@link closed} then resolves with null. */
  async close(): Promise<void> {
    if (!this.#ended) {
      this.ws.close(1000);
      this.#end(null);
    }
    await this.closed;
  }

  #send(message: unknown): void {
    try {
      this.ws.send(JSON.stringify(message));
    } catch (error) {
      this.#end(new Error(`${this.peer} connection failed: ${error}`));
    }
  }

  #receive(data: unknown): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(String(data));
    } catch {
      return; // not JSON: nothing to answer
    }
    if (typeof message.id === "number" && !("method" in message)) {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      const error = message.error as { code?: number; message?: string } | undefined;
      if (error) {
        pending.reject(
          new Error(
            `${this.peer} answered ${pending.method} with error ${error.code ?? 0}: ${
              error.message ?? ""
            }`,
          ),
        );
      } else pending.resolve(message.result);
      return;
    }
    if (typeof message.method === "string" && !("id" in message)) {
      for (const listener of [...this.#listeners]) listener(message.method, message.params);
    }
  }

  /** Ends the connection once: every call in flight fails naming its method, {@link closed} resolves. */
  #end(cause: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const pending of this.#pending.values()) {
      pending.reject(
        new Error(
          `Cannot finish ${pending.method} on ${this.peer}: ${
            cause?.message ?? "the connection was closed"
          }`,
        ),
      );
    }
    this.#pending.clear();
    this.#resolveClosed(cause);
  }
}
