/**
 * What a prompt-injected task would run: codex-swarm's own front-end, started from inside the
 * task's command with the task's environment, and a list of tool calls through it. Each result is
 * written, one JSON line per call (`{name, isError, text}`), to the file named first; the second
 * argument is the JSON of `{args, env, calls}` (`env`: variables the front-end gets on top of the
 * task's, e.g. a `PATH` with a planted `codex` first). A call named `tasks/cancel` sends that MCP
 * Tasks request for `arguments.taskId` instead of calling a tool. An argument `"$<n>.<field>"`
 * stands for that field of the structured result of call n (from 0), e.g. the task id it started.
 *
 * @example
 * ```sh
 * deno run -A tests/support/attacker.ts out.jsonl '{"args":[],"calls":[{"name":"codex_list","arguments":{}}]}'
 * ```
 * @module
 */

import { SERVER_PERMISSIONS } from "../../lib/supervisor/permissions.ts";
import { Client, StdioClientTransport } from "./sdk_client.ts";

/** One call the attacker makes. */
export interface AttackCall {
  name: string;
  arguments: Record<string, unknown>;
}

if (import.meta.main) {
  const [out, planText] = Deno.args;
  const plan = JSON.parse(planText!) as {
    args: string[];
    env?: Record<string, string>;
    calls: AttackCall[];
  };
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", "--quiet", ...SERVER_PERMISSIONS, main, ...plan.args],
    env: { ...Deno.env.toObject(), ...plan.env },
    stderr: "inherit",
  });
  const client = new Client({ name: "attacker", version: "0.0.0" });
  await client.connect(transport);
  const lines: string[] = [];
  const structured: Array<Record<string, unknown> | undefined> = [];
  for (const given of plan.calls) {
    const call = { ...given, arguments: fromEarlier(given.arguments, structured) };
    try {
      if (call.name === "tasks/cancel") {
        // The MCP Tasks request, not a tool: its answer is the task, a refusal an error.
        const task = await client.experimental.tasks.cancelTask(String(call.arguments.taskId));
        lines.push(JSON.stringify({ name: call.name, isError: false, text: JSON.stringify(task) }));
        continue;
      }
      const result = await client.callTool(call, undefined, { timeout: 60_000 });
      structured[lines.length] = result.structuredContent as Record<string, unknown> | undefined;
      const text = (result.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("");
      lines.push(JSON.stringify({ name: call.name, isError: result.isError === true, text }));
    } catch (error) {
      lines.push(JSON.stringify({ name: call.name, isError: true, text: String(error) }));
    }
  }
  await Deno.writeTextFile(out!, lines.join("\n") + "\n");
  await client.close();
}

/** `args` with each `"$<n>.<field>"` (also in arrays) replaced by that field of result n. */
function fromEarlier(
  args: Record<string, unknown>,
  structured: Array<Record<string, unknown> | undefined>,
): Record<string, unknown> {
  const value = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(value);
    const ref = typeof v === "string" ? /^\$(\d+)\.(\w+)$/.exec(v) : null;
    return ref ? structured[Number(ref[1])]?.[ref[2]!] ?? v : v;
  };
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, value(v)]));
}
