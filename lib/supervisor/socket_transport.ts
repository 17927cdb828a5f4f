/**
 * An MCP transport over one supervisor connection: newline-delimited JSON-RPC, as the SDK's stdio
 * transport (its `serializeMessage` / `deserializeMessage`). The connection's reader, which also
 * reads the hello line first, hands each further line to {@link SocketTransport.receive}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // The supervisor gives it the connection's writer; `await server.connect(transport)` then
 * // makes the MCP server speak through it.
 * const sent: Uint8Array[] = [];
 * const writer = new WritableStream<Uint8Array>({ write: (chunk) => void sent.push(chunk) }).getWriter();
 * const transport = new SocketTransport(writer, () => {});
 * const received: unknown[] = [];
 * transport.onmessage = (message) => received.push(message);
 * for (const line of ['{"jsonrpc":"2.0","id":1,"method":"ping"}']) transport.receive(line);
 * assert.deepEqual(received, [{ jsonrpc: "2.0", id: 1, method: "ping" }]);
 * await transport.send({ jsonrpc: "2.0", id: 1, result: {} });
 * assert.equal(new TextDecoder().decode(sent[0]), '{"jsonrpc":"2.0","id":1,"result":{}}\n');
 * transport.ended();
 * ```
 * @module
 */

import { quietly } from "../base/errors.ts";
import { deserializeMessage, serializeMessage, type Transport, type types } from "../mcp/sdk.ts";

/** The SDK transport of one session. */
export class SocketTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: types.JSONRPCMessage) => void;
  #encoder = new TextEncoder();
  #closed = false;

  /** @param writer Writes to the connection. @param closeConnection Closes the connection. */
  constructor(
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    private readonly closeConnection: () => void,
  ) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** One line from the front-end. */
  receive(line: string): void {
    if (line.trim() === "") return;
    let message: types.JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.onmessage?.(message);
  }

  async send(message: types.JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error("Cannot send on a closed supervisor connection");
    await this.writer.write(this.#encoder.encode(serializeMessage(message)));
  }

  /** The front-end went away. */
  ended(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }

  close(): Promise<void> {
    if (!this.#closed) quietly(this.closeConnection);
    this.ended();
    return Promise.resolve();
  }
}
