/**
 * The error of a request that can never run: bad input, or a task the engine refuses (a thread
 * busy with another turn, a worktree another task works in). Its message names the field and the
 * problem; tools show it as it is.
 *
 * @example
 * ```ts
 * const error = new RequestError("prompt", "Cannot start a task as prompt is empty");
 * if (error.field !== "prompt") throw new Error("the field is lost");
 * ```
 * @module
 */

/** A request that can never run. The message names the field and the problem. */
export class RequestError extends Error {
  /** @param field The request field at fault, e.g. `prompt` or `config.model_providers`. */
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = "RequestError";
  }
}
