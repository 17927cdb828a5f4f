/**
 * One question Codex waits on an answer to (an approval, more permissions, input for the model,
 * an MCP server's elicitation), from its arrival to its answer: who was told of it (each session
 * once), who is being asked by elicitation, who dismissed it, and the reply Codex gets.
 *
 * @example Not run: it asks through a connected MCP client (`session`).
 * ```ts ignore
 * const pending = new PendingQuestion("q1", question, (decision, by) => record(decision, by));
 * pending.askWith(session, "t1", log, () => emit());
 * const reply = await pending.reply; // what goes back to Codex
 * ```
 * @module
 */

import type { Session } from "./engine_api.ts";
import type { Logger } from "../base/log.ts";
import type { PendingQuestionView } from "./task.ts";
import { type Decision, type Question, replyFor } from "./questions.ts";

/** A question waiting for its answer. */
export class PendingQuestion {
  /** What clients see. */
  readonly view: PendingQuestionView;
  #reply = Promise.withResolvers<unknown>();
  /** Settles with Codex's reply once answered (rejects when the answer cannot be a reply). */
  readonly reply: Promise<unknown> = this.#reply.promise;
  /** The sessions already told of it (each is told once). */
  readonly reportedTo = new Set<string>();
  /** Sessions whose client could not or would not answer: they are not asked again. */
  readonly dismissedBy = new Set<string>();
  /** The session being asked through elicitation now, if any. */
  askedBy: string | null = null;
  #answered = false;

  /**
   * @param id Unique among the task's questions.
   * @param onAnswer Told once, when the question is answered (before Codex gets the reply).
   */
  constructor(
    id: string,
    readonly question: Question,
    private readonly onAnswer: (decision: Decision, by: string) => void,
  ) {
    const { method: _method, params: _params, ...shown } = question;
    this.view = { id, ...shown, since: new Date().toISOString() };
  }

  /** Answers it (once; later answers are ignored). `by` says who answered. */
  answer(decision: Decision, by: string): void {
    if (this.#answered) return;
    this.#answered = true;
    this.onAnswer(decision, by);
    try {
      this.#reply.resolve(replyFor(this.question, decision));
    } catch (error) {
      this.#reply.reject(error);
    }
  }

  /**
   * Asks `session`'s client (MCP elicitation), unless it dismissed this question before. While
   * asked, the session counts as told; when its client cannot or will not answer, it does not,
   * and `onChange` is called so its `codex_wait` reports the question instead.
   */
  askWith(session: Session, taskId: string, log: Logger, onChange: () => void): void {
    if (this.#answered || !session.ask || this.dismissedBy.has(session.id)) return;
    this.askedBy = session.id;
    this.reportedTo.add(session.id);
    const dismissed = () => {
      this.dismissedBy.add(session.id);
      if (this.askedBy === session.id) this.askedBy = null;
      this.reportedTo.delete(session.id);
      if (!this.#answered) onChange();
    };
    session.ask({ taskId, ...this.view }).then((decision) => {
      if (decision !== null) this.answer(decision, "elicitation");
      else dismissed();
    }).catch((error) => {
      log.warning(`Cannot ask session ${session.id}: ${error}`);
      dismissed();
    });
  }
}
