/**
 * What a task session may do to tasks (issue 18). A session opened by a task's own process (see
 * `../supervisor/session_kind.ts`) acts only on the tasks it started itself: it cannot approve,
 * steer, cancel, merge or discard another task (its own parent included), nor reply to or fork it
 * in its worktree, and Codex's questions are never put to it. A client session acts on any task, as before.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * checkMayAct({ id: "s-1", kind: "client" }, { id: "t", session: { id: "s-2" } }, "cancel"); // fine
 * assert.throws(() => checkMayAct({ id: "s-1", kind: "task" }, { id: "t", session: { id: "s-2" } }, "cancel"));
 * ```
 * @module
 */

import type { SandboxMode } from "../codex/codex_args.ts";
import type { SandboxPolicy } from "../codex/protocol/generated/v2/SandboxPolicy.ts";
import { Policy, sandboxRank } from "../codex/policy.ts";
import type { TaskRequest } from "./task.ts";
import type { Session } from "./engine_api.ts";
import { RequestError } from "./request_error.ts";

/** The session that acts: its id and kind. */
export type Actor = Pick<Session, "id" | "kind">;

/** The task acted on: its id and the session that started it. */
export interface ActedOn {
  id: string;
  session?: { id: string } | null;
}

/**
 * @throws {Error} When `actor` is a task session and `task` is not one it started, naming both.
 */
export function checkMayAct(actor: Actor, task: ActedOn, verb: string): void {
  if (actor.kind !== "task" || task.session?.id === actor.id) return;
  throw new Error(
    `Cannot ${verb} task "${task.id}" from session ${actor.id}, which a task's own process ` +
      "opened: such a session acts only on the tasks it started",
  );
}

/**
 * {@link checkMayAct} for task `id` as `lookup` finds it (an unknown id passes: the action itself
 * then says the task is unknown).
 */
export function checkMayActOn(
  actor: Actor,
  id: string,
  lookup: (id: string) => { meta: ActedOn } | undefined,
  verb: string,
): void {
  const task = lookup(id);
  if (task !== undefined) checkMayAct(actor, task.meta, verb);
}

/** Whether Codex's questions may be put to `session` (never to a task session). */
export function mayBeAsked(session: Actor): boolean {
  return session.kind !== "task";
}

/** The task a task session runs in, as far as its limits go. */
export interface ParentTask {
  /** Its sandbox as Codex answered for its thread (null: not opened yet). */
  sandbox: SandboxPolicy | null;
  /** The directories it may write: where it runs, and its `add_dirs`. */
  roots: string[];
}

/** Whether `policy` allows `path` (its check, which names `field`, does not throw). */
function allows(policy: Pick<Policy, "checkPath">, path: string, field: string): boolean {
  try {
    policy.checkPath(path, field);
    return true;
  } catch {
    return false;
  }
}

/** The sandbox mode of a sandbox Codex reports (an external one counts as no sandbox). */
function modeOf(sandbox: SandboxPolicy | null): SandboxMode {
  switch (sandbox?.type) {
    case "workspaceWrite":
      return "workspace-write";
    case "dangerFullAccess":
    case "externalSandbox":
      return "danger-full-access";
    default:
      return "read-only";
  }
}

/**
 * The policy of the tasks a task session starts: no wider than the task it runs in. Its sandbox is
 * at most that task's; its roots are that task's directories (within the session's own roots).
 * When the task is not known, its sandbox is read-only and the roots stay the session's.
 */
export function taskSessionPolicy(policy: Policy, parent: ParentTask | null): Policy {
  const own = policy.maxSandbox ?? "danger-full-access";
  const theirs = modeOf(parent?.sandbox ?? null);
  const maxSandbox = sandboxRank(theirs) < sandboxRank(own) ? theirs : own;
  const inside = (parent?.roots ?? []).filter((root) => allows(policy, root, "root"));
  const allowRoots = inside.length > 0 ? inside : policy.allowRoots;
  return new Policy({ ...policy.toJSON(), maxSandbox, allowRoots }, true);
}

/**
 * Tasks a task session starts ask no questions: their approval policy is `never`.
 * @throws {RequestError} Naming the field that asks for another.
 */
export function checkNoApprovals(request: TaskRequest): void {
  const config = request.config as Record<string, unknown> | undefined;
  const asked: Array<[string, unknown]> = [
    ["approval_policy", request.approvalPolicy],
    ["config.approval_policy", config?.approval_policy],
  ];
  for (const [field, value] of asked) {
    if (value !== undefined && value !== "never") {
      throw new RequestError(
        field,
        `Cannot use ${field} ${JSON.stringify(value)} in a session a task's own process opened: ` +
          'its tasks ask no approvals (use "never" or leave it out)',
      );
    }
  }
}

/**
 * The part of a permission request (`item/permissions/requestApproval`'s `permissions`) that
 * `policy` allows to grant: no write access and no network under a read-only ceiling, and no write
 * access outside the allowed roots (a glob or special path with write access counts as outside).
 * What is left out is named in `dropped`.
 */
export function grantWithin(
  permissions: Record<string, unknown>,
  policy: Pick<Policy, "maxSandbox" | "allowRoots" | "checkPath">,
): { permissions: Record<string, unknown>; dropped: string[] } {
  const dropped: string[] = [];
  const readOnly = policy.maxSandbox === "read-only";
  /** Nothing to hold writes to: any path may be granted. */
  const unbounded = !readOnly && policy.allowRoots.length === 0;
  const writable = (path: string) => !readOnly && allows(policy, path, "path");
  const out: Record<string, unknown> = { ...permissions };
  const network = permissions.network as { enabled?: boolean | null } | null | undefined;
  if (readOnly && network?.enabled) {
    out.network = { ...network, enabled: false };
    dropped.push("network");
  }
  const fs = permissions.fileSystem as Record<string, unknown> | null | undefined;
  if (fs && typeof fs === "object") {
    const write = Array.isArray(fs.write) ? fs.write as string[] : null;
    const entries = Array.isArray(fs.entries)
      ? fs.entries as Array<{ path: { type: string; path?: string }; access: string }>
      : undefined;
    const keptWrite = write?.filter((p) => writable(p) || (dropped.push(`write ${p}`), false));
    const keptEntries = entries?.filter((e) => {
      if (e.access !== "write") return true;
      const ok = unbounded ||
        (e.path.type === "path" && typeof e.path.path === "string" && writable(e.path.path));
      if (!ok) dropped.push(`write ${e.path.path ?? e.path.type}`);
      return ok;
    });
    out.fileSystem = {
      ...fs,
      ...(write ? { write: keptWrite } : {}),
      ...(entries ? { entries: keptEntries } : {}),
    };
  }
  return { permissions: out, dropped };
}
