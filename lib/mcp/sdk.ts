/**
 * The one place the server imports the MCP SDK from. The client side (for `codex-swarm top`, the
 * tests and the bench) is `lib/mcp/sdk_client.ts`, which the server never loads: the client's process
 * spawning would need permissions the server does not otherwise use.
 *
 * The SDK's `*.js` subpaths resolve, under Deno, to type declarations named `*.js.d.ts` that do not
 * exist, so without a hint every import would be typed `any`. Each import below carries a
 * `@ts-types` hint at the subpath without `.js`, which the SDK's export map does resolve.
 * `tests/types_test.ts` proves the types are real: a deliberate type error must fail `deno check`.
 *
 * @module
 */

// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/mcp"
export { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/stdio"
export { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/experimental/tasks/interfaces"
export type { TaskStore as McpTaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/interfaces.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
export * as types from "@modelcontextprotocol/sdk/types.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/shared/stdio"
export { deserializeMessage, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/shared/transport"
export type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
