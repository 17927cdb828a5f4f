/**
 * The MCP SDK's client side for tests and the bench: the same module `codex-swarm top` uses.
 *
 * @module
 */

export { Client, StdioClientTransport } from "../../lib/sdk_client.ts";
