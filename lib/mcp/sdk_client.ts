/**
 * The MCP SDK's client side, for `codex-swarm top` (and, through `tests/support/sdk_client.ts`,
 * the tests and the bench), with the same `@ts-types` hints as `lib/mcp/sdk.ts`, whose doc comment
 * says why they are needed. The server never imports this module: the client's process spawning
 * would need permissions the server does not otherwise use.
 *
 * @example Not run: it starts a codex-swarm server and talks to it over stdio.
 * ```ts ignore
 * import { Client, StdioClientTransport } from "./sdk_client.ts";
 *
 * const client = new Client({ name: "me", version: "1" });
 * await client.connect(new StdioClientTransport({ command: "codex-swarm" }));
 * ```
 * @module
 */

// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client/index"
export { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client/stdio"
export { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
export { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
