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
 * const calls = new InFlightCalls();
 * const ask = elicitationAsker(server.server, calls);
 * const decision = await ask({ taskId: "t1", id: "q1", kind: "command", message: "…", since });
 * ```
 * @module
 */

import type { Session } from "../tasks/engine_api.ts";
import type { McpServer } from "./sdk.ts";
import { type Decision, DECISIONS } from "../tasks/questions.ts";

/** The request ids of a session's blocking calls that are still running, newest last. */
export class InFlightCalls {
  #ids: Array<string | number> = [];

  /** Records a running call; the returned function removes it. */
  enter(id: string | number): () => void {
    this.#ids.push(id);
    return () => {
      const at = this.#ids.lastIndexOf(id);
      if (at >= 0) this.#ids.splice(at, 1);
    };
  }

  /** The newest running call, if any. */
  latest(): string | number | undefined {
    return this.#ids.at(-1);
  }
}

/**
 * The `ask` of a session whose client may support elicitation. Resolves null when the client has
 * no form elicitation, dismissed the form (`cancel`), or the request failed: the question then
 * stays pending for `codex_approve` or `top`. A `decline` of the form itself is the answer
 * `decline`.
 */
export function elicitationAsker(
  server: McpServer["server"],
  calls: InFlightCalls,
): NonNullable<Session["ask"]> {
  return async (question) => {
    const capability = server.getClientCapabilities()?.elicitation as
      | { form?: object; url?: object }
      | undefined;
    // An empty elicitation capability means form mode (the spec before modes existed).
    if (!capability || (capability.url && !capability.form)) return null;
    const related = calls.latest();
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
}
