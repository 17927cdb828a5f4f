import assert from "node:assert/strict";
import { screen, snapshot } from "./view_model.ts";
import { withDetail } from "./view_state.ts";
import { plainText } from "./view_text.ts";
import { fits, keys, state, task, WAITING } from "../../tests/support/top_view_fixture.ts";

Deno.test("screen: header with counts, cap and queue; one row per task; 80x24", () => {
  const lines = fits(screen(state(), { columns: 80, rows: 24 }, 3000), 80, 24);
  assert.equal(lines.length, 24);
  assert.equal(lines[0], "codex-swarm top · 4 tasks · slots 2/4 · queue 1 · filter all");
  assert.equal(lines[1], "waiting_approval 1  running 1  queued 1  completed 1");
  assert.match(lines[2]!, /^ {2}ID +PHASE +TIME TOKENS BRANCH +LAST STEP$/);
  assert.match(lines[3]!, /^> aaaaaaaaaaaa running +7\.0s +- +- +Running: sleep 10$/);
  assert.match(
    lines[4]!,
    /^ {2}bbbbbbbbbbbb waiting_approval +1m03s .* Approval\? \$ rm -rf…$/,
  );
  assert.match(lines[5]!, /^ {2}cccccccccccc completed +1h06m +12k …\/cccccccccccc MOCK-DONE$/);
  assert.match(
    lines[6]!,
    /queued +2\.0s .* Queued: waiting/,
    "a queued task's time stands",
  );
  assert.match(lines[23]!, /^↑↓\/jk select/);
});

Deno.test("screen: many tasks scroll to keep the selection in view; tiny and wide terminals", () => {
  const many = Array.from({ length: 60 }, (_, i) => task(`t${String(i).padStart(11, "0")}`));
  const s = keys(state(many), ...Array(40).fill("j"));
  const lines = fits(screen(s, { columns: 80, rows: 24 }, 0), 80, 24);
  assert.ok(lines.some((l) => l.startsWith("> t00000000040")), lines.join("\n"));
  fits(screen(s, { columns: 20, rows: 6 }, 0), 20, 6);
  const wide = fits(screen(state(), { columns: 200, rows: 50 }, 0), 200, 50);
  assert.match(wide[5]!, /codex-swarm\/cccccccccccc MOCK-DONE/, "room for the whole branch");
});

Deno.test("detail: enter shows the selected task's detail, from its own read when there", () => {
  let s = keys(state(), "j", "enter");
  assert.equal(s.showDetail, true);
  let text = fits(screen(s, { columns: 80, rows: 24 }, 0), 80, 24).join("\n");
  assert.match(text, /Task bbbbbbbbbbbb waiting_approval/);
  assert.match(
    text,
    /Waiting for approval \(command\): a accept · d decline\n {2}\$ rm -rf build\n {2}in \/repo/,
  );
  assert.match(text, /reason: cleanup/);
  s = withDetail(s, task(WAITING.id, { phase: "waiting_approval", prompt: "the full prompt" }));
  text = plainText(screen(s, { columns: 80, rows: 24 }, 0));
  assert.match(text, /Prompt\n {2}the full prompt/);
  assert.equal(
    withDetail(s, task("someone-else")).detail?.id,
    WAITING.id,
    "others' detail ignored",
  );
  s = keys(s, "escape");
  assert.equal(s.showDetail, false);
});

Deno.test("snapshot: every task, no selection mark, no status line", () => {
  const many = Array.from({ length: 30 }, (_, i) => task(`s${i}`));
  const text = plainText(snapshot(state(many), 100, 0)).split("\n");
  assert.equal(text.length, 2 + 1 + 30);
  assert.ok(text.every((l) => !l.startsWith(">")));
});

Deno.test("screen: a task on a worker shows its worker beside its branch", () => {
  const remote = task("eeeeeeeeeeee", {
    worker: "gpu",
    branch: "codex-swarm/eeeeeeeeeeee",
  });
  const local = task("ffffffffffff", {
    worker: "local",
    branch: "codex-swarm/ffffffffffff",
  });
  const lines = fits(screen(state([remote, local]), { columns: 120, rows: 24 }, 0), 120, 24);
  assert.ok(lines.some((l) => l.includes("codex-swarm/eeeeeeeeeeee @gpu")), lines.join("\n"));
  assert.ok(!lines.some((l) => l.includes("@local")), lines.join("\n"));
});
