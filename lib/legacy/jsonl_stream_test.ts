import assert from "node:assert/strict";
import type { ParsedLine } from "./codex_events.ts";
import { CodexEventStream, LineSplitStream, parseJsonlStream } from "./jsonl_stream.ts";
import { applyEvent, initialRunState, type RunState } from "./run_state.ts";
// Text imports (resolved relative to this file) need no --allow-read.
import command from "../../tests/fixtures/jsonl-command.jsonl" with { type: "text" };
import message from "../../tests/fixtures/jsonl-message.jsonl" with { type: "text" };
import turnFailed from "../../tests/fixtures/jsonl-turn-failed.jsonl" with { type: "text" };

const encoder = new TextEncoder();

function splitLines(chunks: string[]): Promise<string[]> {
  return Array.fromAsync(ReadableStream.from(chunks).pipeThrough(new LineSplitStream()));
}

function parseChunks(chunks: Uint8Array[]): Promise<ParsedLine[]> {
  return Array.fromAsync(parseJsonlStream(ReadableStream.from(chunks)));
}

/** `bytes` cut at the given offsets. */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, bytes.length]) {
    chunks.push(bytes.slice(start, offset));
    start = offset;
  }
  return chunks;
}

function reduce(parsed: ParsedLine[]): RunState {
  return parsed.reduce(applyEvent, initialRunState());
}

/** A small deterministic PRNG (mulberry32), so random chunkings are reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("LineSplitStream: lines, partial lines across chunks, the last unterminated line", async () => {
  assert.deepEqual(await splitLines(["a\nb\n"]), ["a", "b"]);
  assert.deepEqual(await splitLines(["a", "b", "\nc"]), ["ab", "c"]);
  assert.deepEqual(await splitLines(["ab", "", "c\nd", "e"]), ["abc", "de"]);
  assert.deepEqual(await splitLines(["one\ntwo\nthree"]), ["one", "two", "three"]);
  assert.deepEqual(await splitLines([]), []);
  assert.deepEqual(await splitLines([""]), []);
  assert.deepEqual(await splitLines(["\n"]), [""]);
  assert.deepEqual(await splitLines(["a\n\n\nb\n"]), ["a", "", "", "b"]);
});

Deno.test("LineSplitStream: \\r\\n, also split across chunks; a lone \\r is kept", async () => {
  assert.deepEqual(await splitLines(["a\r\nb\r\n"]), ["a", "b"]);
  assert.deepEqual(await splitLines(["a\r", "\nb\r", "\n"]), ["a", "b"]);
  assert.deepEqual(await splitLines(["a\r", "\r\n"]), ["a\r"]);
  assert.deepEqual(await splitLines(["x\ry\n"]), ["x\ry"]);
  assert.deepEqual(await splitLines(["last\r\n"]), ["last"]);
  assert.deepEqual(await splitLines(["unterminated\r"]), ["unterminated"]);
});

Deno.test("LineSplitStream: any cut of a text gives the same lines", async () => {
  const text = "first\r\n\nsecond line\nthird 😀 é\r\n\r\nfourth";
  const expected = ["first", "", "second line", "third 😀 é", "", "fourth"];
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j++) {
      const lines = await splitLines([text.slice(0, i), text.slice(i, j), text.slice(j)]);
      assert.deepEqual(lines, expected, `cut at ${i}, ${j}`);
    }
  }
});

Deno.test("LineSplitStream: a long line in many small chunks", async () => {
  const line = "x".repeat(1_000_000);
  const chunks: string[] = [];
  for (let i = 0; i < line.length; i += 1_000) chunks.push(line.slice(i, i + 1_000));
  chunks.push("\nnext");
  const lines = await splitLines(chunks);
  assert.equal(lines.length, 2);
  assert.equal(lines[0], line);
  assert.equal(lines[1], "next");
});

Deno.test("CodexEventStream: parses lines and skips blank ones", async () => {
  const parsed = await Array.fromAsync(
    ReadableStream.from(['{"type":"turn.started"}', "", "  ", "oops", '{"type":"x"}'])
      .pipeThrough(new CodexEventStream()),
  );
  assert.deepEqual(parsed, [
    { kind: "event", event: { type: "turn.started" } },
    {
      kind: "malformed",
      line: "oops",
      error: parsed[1]?.kind === "malformed" ? parsed[1].error : "",
    },
    { kind: "unknown", type: "x", raw: { type: "x" } },
  ]);
});

Deno.test("parseJsonlStream: the recorded fixtures, whole", async () => {
  const okRun = reduce(await parseChunks([encoder.encode(command)]));
  assert.equal(okRun.turn, "completed");
  assert.equal(okRun.toolCalls.commands, 1);
  assert.equal(okRun.threadId, "01a21213-4f2f-7d33-9555-a8a472f565e3");
  assert.equal(okRun.events, 8);
  const failedRun = reduce(await parseChunks([encoder.encode(turnFailed)]));
  assert.equal(failedRun.turn, "failed");
  assert.match(failedRun.failure ?? "", /mock model refused/);
});

Deno.test("parseJsonlStream: a fixture cut at every byte gives the same lines", async () => {
  const bytes = encoder.encode(command);
  const whole = await parseChunks([bytes]);
  assert.equal(whole.length, 8);
  assert.ok(whole.every((line) => line.kind === "event"));
  for (let i = 0; i <= bytes.length; i++) {
    assert.deepEqual(await parseChunks(cut(bytes, [i])), whole, `cut at ${i}`);
  }
});

Deno.test("parseJsonlStream: random chunkings of the fixtures, also with \\r\\n", async () => {
  const next = random(42);
  for (const text of [message, command, turnFailed]) {
    for (const variant of [text, text.replaceAll("\n", "\r\n")]) {
      const bytes = encoder.encode(variant);
      const whole = await parseChunks([bytes]);
      for (let round = 0; round < 50; round++) {
        const offsets: number[] = [];
        for (let at = 0; at < bytes.length; at += 1 + Math.floor(next() * 40)) offsets.push(at);
        assert.deepEqual(await parseChunks(cut(bytes, offsets)), whole);
      }
      assert.deepEqual(reduce(whole), reduce(await parseChunks([encoder.encode(text)])));
    }
  }
});

Deno.test("parseJsonlStream: multi-byte UTF-8 characters cut in the middle", async () => {
  const text = "héllo € 😀 日本語 — ✓";
  const jsonl = JSON.stringify({
    type: "item.completed",
    item: { id: "item_1", type: "agent_message", text },
  }) + "\n";
  const bytes = encoder.encode(jsonl);
  assert.ok(bytes.length > jsonl.length); // really multi-byte
  for (let i = 0; i <= bytes.length; i++) {
    for (
      const offsets of [[i], [i, Math.min(i + 1, bytes.length)], [i, Math.min(i + 2, bytes.length)]]
    ) {
      const state = reduce(await parseChunks(cut(bytes, offsets)));
      assert.equal(state.finalMessage, text, `cut at ${offsets}`);
      assert.equal(state.malformedLines, 0);
    }
  }
  // One byte at a time.
  const state = reduce(await parseChunks(cut(bytes, [...bytes.keys()])));
  assert.equal(state.finalMessage, text);
});

Deno.test("parseJsonlStream: a last line without a newline is still parsed", async () => {
  const parsed = await parseChunks([
    encoder.encode('{"type":"turn.started"}\n{"type":"turn.started"}'),
  ]);
  assert.equal(parsed.length, 2);
  // A run killed mid-line (SIGTERM) leaves half a line: malformed, not an error.
  const killed = await parseChunks([encoder.encode('{"type":"turn.started"}\n{"type":"item.comp')]);
  assert.equal(killed.length, 2);
  assert.equal(killed[1]?.kind, "malformed");
});

Deno.test("parseJsonlStream: invalid UTF-8 and binary garbage do not error the stream", async () => {
  const parsed = await parseChunks([
    new Uint8Array([0xff, 0xfe, 0x00, 0x0a]),
    encoder.encode('{"type":"thread.started","thread_id":"t\u00e9"}\n'),
    new Uint8Array([0xc3]), // a cut two-byte character, never completed
    encoder.encode("\n"),
  ]);
  assert.equal(parsed.length, 3);
  assert.equal(parsed[0]?.kind, "malformed");
  assert.deepEqual(parsed[1], {
    kind: "event",
    event: { type: "thread.started", thread_id: "t\u00e9" },
  });
  assert.equal(parsed[2]?.kind, "malformed");
  assert.equal(parsed[2]?.kind === "malformed" && parsed[2].line, "\ufffd");
});

Deno.test("parseJsonlStream: a leading UTF-8 BOM is dropped", async () => {
  const parsed = await parseChunks([
    new Uint8Array([0xef, 0xbb, 0xbf]),
    encoder.encode('{"type":"turn.started"}\n'),
  ]);
  assert.deepEqual(parsed, [{ kind: "event", event: { type: "turn.started" } }]);
});

Deno.test("LineSplitStream keeps memory bounded: an over-long line is cut, the next is whole", async () => {
  const chunks = [
    '{"type":"a"}\n{"type":"',
    "x".repeat(600),
    "y".repeat(600),
    '"}\n{"type":"b"}\n',
  ];
  const lines = await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(new LineSplitStream(1000)),
  );
  assert.equal(lines.length, 3);
  assert.equal(lines[0], '{"type":"a"}');
  assert.match(lines[1]!, /^\{"type":"x+… \(a line over 1000 characters, not read\)$/);
  assert.ok(lines[1]!.length < 300);
  assert.equal(lines[2], '{"type":"b"}');
});
