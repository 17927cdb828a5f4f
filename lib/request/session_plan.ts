/**
 * A hello's checks: what a session's front-end asks for (its policy flags, its `-c` settings) is
 * narrowed to the operator's ceiling, field by field; what is beyond it is left out with a
 * warning, and the session serves with the rest (lib/supervisor/session.ts builds the session).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Policy } from "../codex/policy.ts";
 * import { sessionPolicy } from "./session_plan.ts";
 *
 * const warnings: string[] = [];
 * const ceiling = new Policy({ maxSandbox: "workspace-write" });
 * const policy = sessionPolicy(ceiling, { maxSandbox: "danger-full-access" }, warnings);
 * assert.equal(policy.maxSandbox, "workspace-write");
 * assert.equal(warnings.length, 1);
 * ```
 * @module
 */

import type { ServerDefaults } from "../codex/codex_args.ts";
import { parseSandboxMode, Policy, type PolicyLimits } from "../codex/policy.ts";

/**
 * The policy of a session: the operator's ceiling narrowed, field by field, by what the session's
 * front-end was started with. Whatever it asks beyond the ceiling in one field is left out of that
 * field, with a warning (its hello reply, the log and `server-info`); its narrowing of the other
 * fields holds. A session that names no `--pass-env` passes no secret-looking variable.
 */
export function sessionPolicy(
  ceiling: Policy,
  asked: PolicyLimits | undefined,
  warnings: string[],
): Policy {
  if (asked === undefined) return new Policy({ ...ceiling.toJSON(), passEnv: [] }, true);
  const refused: string[] = [];
  /** Whether the ceiling allows `limits` (one field, one value); a refusal is noted. */
  const fits = (limits: PolicyLimits) => {
    try {
      ceiling.narrow(limits);
      return true;
    } catch (error) {
      refused.push((error as Error).message);
      return false;
    }
  };
  const allowConfig = (asked.allowConfig ?? ceiling.allowConfig).filter((key) =>
    fits({ allowConfig: [key] })
  );
  const maxSandbox = asked.maxSandbox && fits({ maxSandbox: asked.maxSandbox })
    ? asked.maxSandbox
    : ceiling.maxSandbox;
  const roots = (asked.allowRoots ?? []).filter((root) => fits({ allowRoots: [root] }));
  const allowRoots = roots.length > 0 ? roots : ceiling.allowRoots;
  const passEnv = (asked.passEnv ?? []).filter((name) => fits({ passEnv: [name] }));
  for (const reason of refused) {
    warnings.push(
      `This session asks for more than the operator's policy allows, so that part is left out: ` +
        reason,
    );
  }
  return new Policy({ allowConfig, maxSandbox, allowRoots, passEnv }, true);
}

/**
 * The session's `-c` settings that its policy allows: the operator's own (the same key and value
 * as the supervisor's) always, `sandbox_mode` within the ceiling, any other only when a call could
 * set that key itself. The rest is
 * left out with a warning: a session's flags must not set what a call may not (`notify`,
 * `mcp_servers`, a wider `sandbox_mode`...).
 */
export function sessionOverrides(
  asked: ServerDefaults["overrides"],
  operator: ServerDefaults["overrides"],
  policy: Policy,
  warnings: string[],
): ServerDefaults["overrides"] {
  return asked.filter((o) => {
    if (operator.some((p) => p.key === o.key && p.value === o.value)) return true;
    try {
      // A sandbox within the ceiling is how a session narrows its tasks' sandbox.
      if (o.key === "sandbox_mode") {
        policy.checkSandbox(parseSandboxMode(o.value, `-c ${o.key}`), `-c ${o.key}`);
      } else policy.checkConfigKeys([o.key]);
      return true;
    } catch (error) {
      warnings.push(`This session's -c ${o.key} is left out: ${(error as Error).message}`);
      return false;
    }
  });
}
