/**
 * The live view of `codex-swarm top`, drawn with ink (React for terminals) in the terminal's
 * alternate screen. It draws the lines of the view model (`view_model.ts`), turns keys into
 * {@link pressKey} calls and runs the effects they ask for (`codex_cancel`, `codex_approve`,
 * quit). Only `top`'s live view loads this module: ink and React stay out of the server.
 *
 * @example Not run: it draws the live view on a terminal, from a running server (`connection`).
 * ```ts ignore
 * const { runLiveView } = await import("./app.tsx");
 * await runLiveView(connection, { intervalMs: 500, colour: true });
 * ```
 * @module
 */

import { Box, render, Text, useApp, useInput, useWindowSize } from "ink";
import { useEffect, useRef, useState } from "react";
import { SERVER_INFO_URI, type TopConnection } from "./connection.ts";
import { readCap } from "./task_info.ts";
import { screen } from "./view_model.ts";
import {
  type Effect,
  initialState,
  pressKey,
  type TopState,
  withCap,
  withDetail,
  withProblem,
  withStatus,
  withTasks,
} from "./view_state.ts";
import type { Line } from "./view_text.ts";
import { watch, type Watcher } from "./watch.ts";

/** How the live view runs. */
export interface LiveViewOptions {
  /** Read the tasks at least this often. */
  intervalMs: number;
  /** Draw colours (off for NO_COLOR). */
  colour: boolean;
}

interface AppProps extends LiveViewOptions {
  connection: TopConnection;
}

/** An empty Text takes no row: a blank line is one space. */
const BLANK = " ";

function ScreenLine({ line, colour }: { line: Line; colour: boolean }) {
  if (line.length === 0) return <Text>{BLANK}</Text>;
  return (
    <Text wrap="truncate">
      {line.map((segment, i) => (
        <Text
          key={i}
          color={colour ? segment.style?.color : undefined}
          bold={segment.style?.bold ?? false}
          inverse={segment.style?.inverse ?? false}
          dimColor={colour && (segment.style?.dim ?? false)}
        >
          {segment.text}
        </Text>
      ))}
    </Text>
  );
}

/**
 * The names the view model knows the keys of one input event by: a named key, else each
 * character typed (keys that arrive together, as when typed fast, come as one string, and an
 * Enter among them is a carriage return).
 */
export function keyNames(
  input: string,
  key: Parameters<Parameters<typeof useInput>[0]>[1],
): string[] {
  if (key.upArrow) return ["up"];
  if (key.downArrow) return ["down"];
  if (key.home) return ["home"];
  if (key.end) return ["end"];
  if (key.return) return ["enter"];
  if (key.escape) return ["escape"];
  if (key.ctrl || key.meta) return [];
  return [...input].map((c) => (c === "\r" || c === "\n" ? "enter" : c));
}

function App({ connection, intervalMs, colour }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useWindowSize();
  const [state, setState] = useState<TopState>(initialState);
  const stateRef = useRef(state);
  stateRef.current = state;
  const watcherRef = useRef<Watcher | null>(null);

  useEffect(() => {
    let gone = false;
    connection.readJson(SERVER_INFO_URI)
      .then((info) => setState((s) => withCap(s, readCap(info))))
      .catch(() => {});
    watch(connection, {
      intervalMs,
      detailId: () => (stateRef.current.showDetail ? stateRef.current.selectedId : null),
      onData: ({ tasks, detail, readAt }) =>
        setState((s) => withDetail(withTasks(s, tasks, readAt), detail)),
      onError: (message) => setState((s) => withProblem(s, `server: ${message}`)),
    }).then((watcher) => {
      if (gone) watcher.stop();
      else watcherRef.current = watcher;
    });
    return () => {
      gone = true;
      watcherRef.current?.stop();
    };
  }, [connection, intervalMs]);

  const run = (effect: Effect) => {
    if (effect.kind === "quit") {
      exit();
      return;
    }
    const call = effect.kind === "cancel"
      ? connection.callTool("codex_cancel", { task_id: effect.taskId })
      : connection.callTool("codex_approve", { task_id: effect.taskId, decision: effect.decision });
    call.then((result) => {
      setState((s) => withStatus(s, result.text, !result.ok));
      watcherRef.current?.refresh();
    });
  };

  useInput((input, key) => {
    for (const name of keyNames(input, key)) {
      const { state: next, effect } = pressKey(stateRef.current, name);
      stateRef.current = next;
      setState(next);
      if (next.showDetail) watcherRef.current?.refresh();
      if (effect !== null) run(effect);
    }
  });

  const lines = screen(state, { columns, rows }, Date.now());
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      {lines.map((line, i) => <ScreenLine key={i} line={line} colour={colour} />)}
    </Box>
  );
}

/** Runs the live view until `q` or Ctrl-C. Returns the exit code. */
export async function runLiveView(
  connection: TopConnection,
  options: LiveViewOptions,
): Promise<number> {
  const instance = render(<App connection={connection} {...options} />, {
    alternateScreen: true,
    interactive: true,
    exitOnCtrlC: true,
  });
  await instance.waitUntilExit();
  return 0;
}
