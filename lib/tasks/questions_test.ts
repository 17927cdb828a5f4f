import assert from "node:assert/strict";
import { describeQuestion, replyFor } from "./questions.ts";

Deno.test("a command approval quotes the command and cwd; answers map to Codex's decisions", () => {
  const q = describeQuestion(
    "item/commandExecution/requestApproval",
    { command: "touch x", cwd: "/repo", reason: "needs write" },
    new Map(),
  );
  assert.equal(q.kind, "command");
  assert.equal(q.message, "Codex asks to run `touch x` in /repo (needs write)");
  assert.deepEqual(replyFor(q, "accept"), { decision: "accept" });
  assert.deepEqual(replyFor(q, "accept_for_session"), { decision: "acceptForSession" });
  assert.deepEqual(replyFor(q, "decline"), { decision: "decline" });
  assert.deepEqual(replyFor(q, "cancel"), { decision: "cancel" });
});

Deno.test("a file change approval names the files and carries the announced diff", () => {
  const changes = new Map([["item1", [{ path: "/repo/a.txt", kind: "add", diff: "+hello" }]]]);
  const q = describeQuestion("item/fileChange/requestApproval", { itemId: "item1" }, changes);
  assert.equal(q.kind, "file_change");
  assert.deepEqual(q.files, ["/repo/a.txt"]);
  assert.equal(q.diff, "+hello");
  assert.match(q.message, /change \/repo\/a.txt/);
});

Deno.test("permissions, user input and elicitation get replies of their own shape", () => {
  const perm = describeQuestion("item/permissions/requestApproval", {
    permissions: { network: { enabled: true }, fileSystem: null },
  }, new Map());
  assert.deepEqual(replyFor(perm, "accept_for_session"), {
    permissions: { network: { enabled: true } },
    scope: "session",
  });
  assert.deepEqual(replyFor(perm, "decline"), { permissions: {}, scope: "turn" });
  const input = describeQuestion("item/tool/requestUserInput", {
    questions: [{ id: "q1", question: "Which?", options: [{ label: "A" }, { label: "B" }] }],
  }, new Map());
  assert.match(input.message, /Which\?/);
  assert.deepEqual(replyFor(input, "accept"), { answers: { q1: { answers: ["A"] } } });
  assert.deepEqual(replyFor(input, "decline"), { answers: {} });
  const elicit = describeQuestion("mcpServer/elicitation/request", {
    serverName: "docs",
    message: "Log in?",
  }, new Map());
  assert.equal(elicit.message, "MCP server docs asks: Log in?");
  assert.deepEqual(replyFor(elicit, "cancel"), { action: "cancel", content: null, _meta: null });
});

Deno.test("a question of an unknown kind is shown, and answering it is a clear error", () => {
  const q = describeQuestion("item/new/thing", {}, new Map());
  assert.equal(q.kind, "unknown");
  assert.throws(() => replyFor(q, "accept"), /does not know this question/);
});
