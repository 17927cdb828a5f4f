/**
 * The MCP SDK's client side for tests and the bench: the client of `lib/mcp/sdk_client.ts` (which
 * `top` uses too), and the request schemas a test client answers, with the same `@ts-types`
 * hints as `lib/mcp/sdk.ts` (whose doc comment says why they are needed).
 *
 * @module
 */

export { Client, StdioClientTransport } from "../../lib/mcp/sdk_client.ts";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
export { ElicitRequestSchema, ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
