/**
 * Asking a client's user to answer Codex's questions through MCP elicitation
 * (`elicitation/create`, form mode): a message quoting the command and its cwd, or naming the
 * files with the diff, and a form with one required field, `decision`.
 *
 * The elicitation is sent related to the session's in-flight blocking call (a `codex`,
 * `codex-reply` or `codex_wait` still running) when there is one, so clients show it with that
 * call; otherwise unrelated.
 *
 * @example Not run: it asks a connected MCP client (`server`).
 * ```ts ignore
 * const { ask, enterCall } = elicitation(server.server);
 * const endCall = enterCall(requestId); // while a blocking call runs
 * const decision = await ask({ taskId: "t1", id: "q1", kind: "command", message: "…", since });
 * ```
 * @module
 */

import type { Session } from "../tasks/engine_api.ts";
import type { McpServer } from "./sdk.ts";
import { type Decision, DECISIONS } from "../tasks/questions.ts";

/**
 * The `ask` of a session whose client may support elicitation, and its `enterCall`, which records
 * a blocking call while it runs (the returned function ends it) so that questions are asked
 * related to the newest one. `ask` resolves null when the client has no form elicitation,
 * dismissed the form (`cancel`), or the request failed: the question then stays pending for
 * `codex_approve` or `top`. A `decline` of the form itself is the answer `decline`.
 */
export function elicitation(
  server: McpServer["server"],
): Required<Pick<Session, "ask" | "enterCall">> {
  // The request ids of the session's blocking calls that are still running, newest last.
  const calls: Array<string | number> = [];
  const enterCall = (id: string | number) => {
    calls.push(id);
    return () => {
      const at = calls.lastIndexOf(id);
      if (at >= 0) calls.splice(at, 1);
    };
  };
  const ask: NonNullable<Session["ask"]> = async (question) => {
    const capability = server.getClientCapabilities()?.elicitation as
      | { form?: object; url?: object }
      | undefined;
    // An empty elicitation capability means form mode (the spec before modes existed).
    if (!capability || (capability.url && !capability.form)) return null;
    const related = calls.at(-1);
    try {
      const result = await server.elicitInput({
        mode: "form",
        // The question, and the diff of a file change below it.
        message: `codex-swarm task ${question.taskId}: ${question.message}` +
          (question.diff ? `\n\n${question.diff}` : ""),
        requestedSchema: {
          type: "object",
          properties: {
            decision: {
              type: "string",
              title: "Decision",
              description: "accept: allow once; accept_for_session: allow similar ones for " +
                "this task; decline: refuse, the task goes on; cancel: refuse and end the turn",
              enum: [...DECISIONS],
            },
          },
          required: ["decision"],
        },
      }, related === undefined ? {} : { relatedRequestId: related });
      if (result.action === "decline") return "decline";
      if (result.action !== "accept") return null;
      const decision = result.content?.decision;
      return (DECISIONS as readonly unknown[]).includes(decision) ? decision as Decision : null;
    } catch {
      return null;
    }
  };
  return { ask, enterCall };
}
