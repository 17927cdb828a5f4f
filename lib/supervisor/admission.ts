/**
 * Whom the supervisor serves: the answer to a connection's auth line (the proof of the token over
 * the loopback port, the hello protocol) and to its hello (the operator's policy usable, the
 * program not newer than the supervisor, else it retires, now or once no task is unfinished).
 * Each refusal is a {@linkcode HelloReply} naming the reason.
 *
 * @example
 * ```ts ignore
 * // ignore: needs a running engine and supervisor
 * const admission = new Admission(supervisorParts);
 * const admitted = await admission.admit(authLine, true, conn);
 * if (admitted.go) {
 *   const reply = await admission.answer(parseHello(helloLine), await admission.originOf(conn));
 * }
 * ```
 * @module
 */

import type { Engine } from "../tasks/engine_api.ts";
import { type AuthAnswer, proofHolds, proofOf } from "./auth.ts";
import { type AuthLine, type Hello, parseAuthLine } from "./hello_check.ts";
import { HELLO_PROTOCOL, type HelloReply, machineWideDifferences } from "./hello.ts";
import { peerLookupSetting } from "./peer_lookup.ts";
import { type SessionOrigin, sessionOrigin } from "./session_kind.ts";
import type { SupervisorParts } from "./session.ts";
import { isFinal } from "../tasks/task.ts";
import { compareVersions } from "../base/versions.ts";
import { messageOf } from "../base/errors.ts";

/** The answer to an auth line: what to send, and whether to go on to the hello. */
export interface Admitted {
  answer: AuthAnswer | HelloReply;
  go: boolean;
  /** The version the supervisor retires for once the answer is sent. */
  retireFor?: string;
}

/** Answers auth lines and hellos (see the module doc). */
export class Admission {
  /** Answers for the supervisor described by `parts`. */
  constructor(private readonly parts: SupervisorParts) {}

  /** A refusal: `proof` when the connection proved the token, so that the refusal is trusted. */
  refusal(error: string, retiring = false, proof?: string): HelloReply {
    return {
      ok: false,
      protocol: HELLO_PROTOCOL,
      version: this.parts.version,
      pid: Deno.pid,
      retiring,
      error,
      ...(proof === undefined ? {} : { proof }),
    };
  }

  /** Who is at the other end of `conn`: a client, or a process of a task (session_kind.ts). */
  originOf(conn: Deno.Conn): Promise<SessionOrigin> {
    const engine = this.parts.engine;
    return sessionOrigin(conn.localAddr, conn.remoteAddr, {
      appServerPids: engine.codexProcesses().map((p) => p.pid),
      tasks: () => engine.list(),
      peerLookup: peerLookupSetting(this.parts.env),
    });
  }

  /** Answers a hello: the reply, and whether to serve the session. */
  async answer(hello: Hello, origin: SessionOrigin): Promise<HelloReply & { serve: boolean }> {
    const { version, ceiling, config, log, life } = this.parts;
    const refuse = (error: string, retiring = false) => ({
      ...this.refusal(error, retiring),
      serve: false,
    });
    if (life.stopping) {
      return refuse(`The supervisor ${version} is stopping: start a new one`, true);
    }
    const now = ceiling.current();
    if ("error" in now) {
      return refuse(`Cannot serve a session as the operator's policy is unusable: ${now.error}`);
    }
    const warnings = machineWideDifferences(hello.config, config);
    const newer = await this.#newerProgram(hello.version, () => Promise.resolve(origin));
    if (newer !== null && "retire" in newer) return refuse(newer.retire, true);
    if (newer !== null) warnings.push(newer.warning);
    for (const warning of warnings) log.warning(warning, { frontEndPid: hello.pid });
    return {
      ok: true,
      protocol: HELLO_PROTOCOL,
      version,
      pid: Deno.pid,
      session_id: "",
      warnings,
      serve: true,
    };
  }

  /**
   * Checks an auth line: the answer to send and whether to go on to the hello; `retireFor` when
   * the supervisor retires for that version once the answer is sent.
   */
  async admit(line: string, tcp: boolean, conn: Deno.Conn): Promise<Admitted> {
    const { token, port, version } = this.parts;
    const refuse = (error: string, proof?: string): Admitted => ({
      answer: this.refusal(error, false, proof),
      go: false,
    });
    let auth: AuthLine;
    try {
      auth = parseAuthLine(line);
    } catch (error) {
      return refuse(messageOf(error));
    }
    if (tcp) {
      if (auth.proof === undefined) {
        return refuse("Cannot serve this connection: it sent no proof of the token");
      }
      if (!(await proofHolds(auth.proof, token, "client", port, auth.nonce))) {
        return refuse("Cannot serve this connection: its proof of the token is wrong");
      }
    }
    const proof = tcp ? await proofOf(token, "supervisor", port, auth.nonce) : undefined;
    if (auth.codex_swarm_auth === HELLO_PROTOCOL) {
      return {
        answer: { codex_swarm_auth: HELLO_PROTOCOL, ...(proof ? { proof } : {}) },
        go: true,
      };
    }
    // Another protocol, from a front-end that proved the token: a newer one replaces this
    // supervisor as a newer version of the same protocol would (but cannot be served meanwhile).
    const newer = await this.#newerProgram(auth.version, () => this.originOf(conn));
    if (newer !== null && "retire" in newer) {
      return {
        answer: this.refusal(newer.retire, true, proof),
        go: false,
        retireFor: auth.version,
      };
    }
    const error = `Cannot serve hello protocol ${auth.codex_swarm_auth}: this supervisor ` +
      `(codex-swarm ${version}) speaks ${HELLO_PROTOCOL}` +
      (newer === null ? "" : ", and will be replaced once no task is unfinished");
    return refuse(error, proof);
  }

  /**
   * What a front-end of version `other` means here: nothing when it is not newer; else retire
   * now when no task is unfinished (with the refusal that says so), or keep serving and retire
   * once none is (with the warning). A task's own front-end never makes the supervisor retire.
   */
  async #newerProgram(
    other: string,
    origin: () => Promise<SessionOrigin>,
  ): Promise<{ retire: string } | { warning: string } | null> {
    const { version, log, life, engine } = this.parts;
    if (compareVersions(other, version) <= 0) return null;
    if ((await origin()).kind === "task") {
      log.warning(
        `A task's own codex-swarm ${other} is newer than the supervisor ${version}: it does ` +
          "not replace the supervisor",
      );
      return null;
    }
    const busy = unfinishedOf(engine);
    if (busy === 0) {
      log.info(`The supervisor ${version} retires for codex-swarm ${other}`);
      return {
        retire:
          `The supervisor ${version} retires for the newer codex-swarm ${other}: start a new one`,
      };
    }
    life.retireWhenIdle = true;
    const warning = `The running supervisor ${version} is older than this codex-swarm ` +
      `${other} and has ${busy} unfinished task(s): it keeps serving and will be replaced once ` +
      `no task is unfinished`;
    log.warning(warning);
    return { warning };
  }
}

/** How many of the engine's tasks are not final. */
export function unfinishedOf(engine: Pick<Engine, "list">): number {
  return engine.list().filter((t) => !isFinal(t.meta.phase)).length;
}
