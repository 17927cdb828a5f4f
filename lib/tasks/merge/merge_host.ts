/**
 * A merge queue as a task of the engine: its record (`meta.request.merge` is what was asked,
 * `meta.merge` its state so far) and the {@link MergeHost} that lets ./merge_run.ts act through
 * the engine: the check runs on the app-server of the merge's session, in the merge's sandbox
 * (capped by the session's ceiling) and time limit; a resolving task is an ordinary task of the
 * engine started for the same session, so its approvals go to the caller and a cancel stops it.
 *
 * @example
 * ```ts ignore
 * // Inside the engine.
 * const snapshot = await startMerge(request, session, from, { state, engine, finalize });
 * ```
 * @module
 */

import type { SandboxMode } from "../../codex/codex_args.ts";
import { runSandboxed } from "../../codex/sandboxed_command.ts";
import type { SandboxPolicy } from "../../codex/protocol/generated/v2/SandboxPolicy.ts";
import { Policy, sandboxRank } from "../../codex/policy.ts";
import { capSandbox } from "../../codex/configured_sandbox.ts";
import type { Engine, Session } from "../engine_api.ts";
import { isFinal, type TaskMeta, type TaskRequest, type TaskSnapshot } from "../task.ts";
import { newTaskId, type TaskRecord } from "../task_record.ts";
import { newMeta } from "../task_creation.ts";
import type { EngineState } from "../engine_state.ts";
import { type MergeRequest, type MergeState, newMergeState, resumedState } from "./merge_plan.ts";
import { mergeReport, reportText } from "./merge_report.ts";
import { type MergeHost, runMerge } from "./merge_run.ts";

/**
 * The sandbox of a merge's checks and resolving tasks when the call names none: a resolving task
 * edits files in the integration worktree (codex-swarm's own checkout, never the user's).
 */
export const MERGE_SANDBOX: SandboxMode = "workspace-write";

/** The longest report kept as a merge's final message, in characters. */
const REPORT_CHARS = 12_000;

/**
 * The sandbox a merge's commands run in: `asked` (default {@link MERGE_SANDBOX}), never above
 * `ceiling`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(mergeSandbox(undefined, "read-only"), "read-only");
 * assert.equal(mergeSandbox("danger-full-access", null), "danger-full-access");
 * ```
 */
export function mergeSandbox(
  asked: SandboxMode | undefined,
  ceiling: SandboxMode | null,
): SandboxMode {
  const mode = asked ?? MERGE_SANDBOX;
  return ceiling !== null && sandboxRank(mode) > sandboxRank(ceiling) ? ceiling : mode;
}

/**
 * The session a resolving task starts with: the merge's, with the integration worktree `path`
 * among its allowed roots when it has any (`--allow-root`): codex-swarm's own checkout of a
 * repository the session may use, as a worktree task's is. Nothing else is widened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Policy } from "../../codex/policy.ts";
 *
 * const session = { policy: new Policy({ allowRoots: ["/src"] }) };
 * assert.deepEqual(resolverSession(session, "/wt/merge-1").policy?.allowRoots, ["/src", "/wt/merge-1"]);
 * ```
 */
export function resolverSession<S extends Pick<Session, "policy">>(session: S, path: string): S {
  const policy = session.policy;
  if (!policy || policy.allowRoots.length === 0) return session;
  const limits = { ...policy.toJSON(), allowRoots: [...policy.allowRoots, path] };
  return { ...session, policy: new Policy(limits, true) };
}

/**
 * The app-server's sandbox policy for a mode (the command's cwd becomes writable with it): full
 * access capped to the mode.
 */
function policyOf(mode: SandboxMode): SandboxPolicy {
  const full: SandboxPolicy = { type: "dangerFullAccess" };
  return capSandbox(full, mode, []) ?? full;
}

/** What of the engine a merge uses besides its state. */
interface MergeParts {
  state: EngineState;
  /** Starts a resolving task from its plan (its request checked as a call's is: planTask). */
  engine: Pick<Engine, "start" | "facts" | "finished" | "cancel">;
  /** Ends the task from `record.run` (the engine's end of every task). */
  finalize(record: TaskRecord): Promise<void>;
}

/** The {@link MergeHost} of merge task `record`, acting through the engine. */
function mergeHost(record: TaskRecord, session: Session, parts: MergeParts): MergeHost {
  const { state, engine } = parts;
  const worktrees = state.options.worktrees;
  const meta = record.meta;
  const request = meta.request.merge!;
  const ceiling = session.policy?.maxSandbox ?? meta.session?.maxSandbox ?? null;
  const mode = mergeSandbox(request.sandbox, ceiling);
  const timeoutS = request.timeoutS ?? session.taskTimeoutS;
  return {
    integrationPath: (repoRoot, id) => worktrees.worktreePath(repoRoot, `merge-${id}`),
    repoLock: (fn) => worktrees.withRepoLock(request.repoRoot, fn),
    save: () => state.save(record),
    step: (text) => state.emit(record, text),
    cancelled: () => meta.cancelRequested,
    interrupted: () => isFinal(meta.phase),
    signal: record.stopping.signal,
    runCheck: async (command, cwd, processId) =>
      runSandboxed(await state.serverFor(session), {
        command,
        cwd,
        processId,
        sandbox: policyOf(mode),
        env: state.commandEnv(session),
        timeoutMs: timeoutS > 0 ? timeoutS * 1000 : null,
        signal: record.stopping.signal,
      }),
    startResolver: async (prompt, cwd) => {
      const asked: TaskRequest = {
        prompt,
        cwd,
        sandbox: mode,
        ...(request.model ? { model: request.model } : {}),
        ...(request.timeoutS !== undefined ? { timeoutS: request.timeoutS } : {}),
        ...(request.approvalPolicy ? { approvalPolicy: request.approvalPolicy } : {}),
      };
      const plan = await state.options.planTask(asked, resolverSession(session, cwd), engine.facts);
      return (await engine.start(plan)).meta.id;
    },
    ended: async (taskId) => (await engine.finished(taskId)).meta,
    cancelTask: (taskId) => engine.cancel(taskId),
    discard: async (info) => {
      using _held = await worktrees.holdWorktrees([info.path]);
      await worktrees.discard(info);
    },
    finish: async (failure) => {
      const report = reportText(mergeReport(meta.id, request, meta.merge!, REPORT_CHARS));
      record.run = {
        ...record.run,
        turnStatus: failure === null ? "completed" : "failed",
        failure,
        finalMessage: report,
      };
      await parts.finalize(record);
    },
  };
}

/**
 * Makes the record of a merge and starts it (it runs in the background); `from` is the state of
 * the interrupted merge it resumes. Called by the engine with its parts.
 */
export async function startMerge(
  request: MergeRequest,
  session: Session,
  from: MergeState | undefined,
  parts: MergeParts,
): Promise<TaskSnapshot> {
  const { state } = parts;
  const branches = request.items.map((i) => i.worktree.branch).join(", ");
  const prompt = `Merge ${request.items.length} branch(es) into "${request.target}": ${branches}`;
  const where = { cwd: request.repoRoot, runCwd: request.repoRoot, worktree: null };
  const made = newMeta(newTaskId(), { prompt, merge: request }, session, where);
  // Running from the start: a merge is never queued.
  const merge = from ? resumedState(from) : newMergeState();
  const meta: TaskMeta = { ...made, phase: "running", startedAt: made.createdAt, merge };
  await state.options.store.create(meta);
  const record = state.addRecord(meta, session);
  runMerge(meta.id, request, meta.merge!, mergeHost(record, session, parts));
  state.emit(record, "Merge started");
  return state.snapshot(record);
}
