import assert from "node:assert/strict";
import {
  parseRenderedReview,
  readReview,
  reviewFromOutputEvent,
  reviewFromRollout,
} from "./review_output.ts";

// Both fixtures are real output of the pinned Codex 0.169.0 (review/start against the fake model).
const fixtures = new URL("../../tests/fixtures/", import.meta.url).pathname;
const rollout = Deno.readTextFileSync(`${fixtures}review-rollout.jsonl`);
const rendered = Deno.readTextFileSync(`${fixtures}review-rendered.txt`);
const REVIEW_TURN = "01a23426-558c-7100-8e4d-3747c1494120";
const TEXT_TURN = "01a23425-2aa2-7283-b6f6-7f2dbb464572";

const expectedFindings = [
  {
    title: "[P2] Name this better",
    body: "MOCK-REVIEW Name this better in `new.ts` line 3.",
    file: "/tmp/wt-repo-4f5d823b77c23637/new.ts",
    lines: { start: 3, end: 3 },
    priority: 2,
  },
  {
    title: "[P1] Check the bounds",
    body: "MOCK-REVIEW Check the bounds in `shared.txt` line 2.",
    file: "/tmp/wt-repo-4f5d823b77c23637/shared.txt",
    lines: { start: 2, end: 2 },
    priority: 1,
  },
];

Deno.test("review output: the rollout's ExitedReviewMode item of the turn, as data", () => {
  const review = reviewFromRollout(rollout, REVIEW_TURN);
  assert.ok(review);
  assert.equal(review.source, "rollout");
  assert.deepEqual(review.verdict, {
    overall_correctness: "patch is incorrect",
    explanation: "MOCK-REVIEW of 2 file(s): 2 finding(s).",
    confidence: 0.7,
  });
  assert.deepEqual(review.findings, expectedFindings.map((f) => ({ ...f, confidence: 0.8 })));
});

Deno.test("review output: a model that answered text has no verdict, only the explanation", () => {
  const review = reviewFromRollout(rollout, TEXT_TURN);
  assert.ok(review);
  assert.deepEqual(review.findings, []);
  assert.equal(review.verdict.overall_correctness, null);
  assert.equal(review.verdict.confidence, null);
  assert.match(review.verdict.explanation, /^MOCK-DONE Review the code changes/);
});

Deno.test("review output: no review in the rollout, or another turn's, is null", () => {
  assert.equal(reviewFromRollout("", null), null);
  assert.equal(reviewFromRollout('{"type":"event_msg","payload":{"type":"x"}}\n{cut', null), null);
  assert.equal(reviewFromRollout(rollout, "another-turn"), null);
  // Without a turn, the last one.
  assert.equal(reviewFromRollout(rollout, null)?.findings.length, 2);
});

Deno.test("review output: the older exited_review_mode event is read too", () => {
  const line = JSON.stringify({
    type: "event_msg",
    payload: {
      type: "exited_review_mode",
      review_output: {
        findings: [{ title: "Fix it", body: "b", confidence_score: 0.5, code_location: {} }],
        overall_correctness: "patch is correct",
        overall_explanation: "ok",
        overall_confidence_score: 0.9,
      },
    },
  });
  const review = reviewFromRollout(line, "any");
  assert.deepEqual(review?.findings, [{
    title: "Fix it",
    body: "b",
    file: null,
    lines: null,
    priority: null,
    confidence: 0.5,
  }]);
  assert.equal(review?.verdict.confidence, 0.9);
});

Deno.test("review output: the rendered text of the pinned Codex parses to the same findings", () => {
  const review = parseRenderedReview(rendered);
  assert.equal(review.source, "text");
  assert.deepEqual(review.verdict, {
    overall_correctness: null,
    explanation: "MOCK-REVIEW of 2 file(s): 2 finding(s).",
    confidence: null,
  });
  assert.deepEqual(review.findings, expectedFindings.map((f) => ({ ...f, confidence: null })));
  const one = parseRenderedReview("Fine.\n\nReview comment:\n\n- Title — /a/b.ts:4-9\n  Body.");
  assert.deepEqual(one.findings.map((f) => [f.title, f.file, f.lines]), [
    ["Title", "/a/b.ts", { start: 4, end: 9 }],
  ]);
  assert.deepEqual(parseRenderedReview("No issues.").findings, []);
});

Deno.test("review output: readReview falls back to the text when the rollout lacks it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/r.jsonl`, rollout);
    const fromRollout = await readReview({
      rollout: `${dir}/r.jsonl`,
      turnId: REVIEW_TURN,
      text: null,
    });
    assert.equal(fromRollout?.source, "rollout");
    const fromText = await readReview({
      rollout: `${dir}/missing.jsonl`,
      turnId: REVIEW_TURN,
      text: rendered,
      waitMs: 0,
    });
    assert.equal(fromText?.source, "text");
    assert.equal(fromText?.findings.length, 2);
    assert.equal(await readReview({ rollout: null, turnId: null, text: null }), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("review output: a finding without priority takes it from its [Pn] title", () => {
  const review = reviewFromOutputEvent({
    findings: [{ title: "[P0] Data loss", body: "", code_location: { line_range: { start: 7 } } }],
  });
  assert.equal(review?.findings[0]?.priority, 0);
  assert.deepEqual(review?.findings[0]?.lines, { start: 7, end: 7 });
  assert.equal(reviewFromOutputEvent(null), null);
});
