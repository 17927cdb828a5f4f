import assert from "node:assert/strict";
import { throwsWith } from "../../tests/support/assert.ts";
import { Policy } from "../codex/policy.ts";
import { checkTaskId, checkTaskRequest, MAX_PROMPT_CHARS, stringProblem } from "./request_check.ts";
import type { TaskRequest } from "../tasks/task.ts";
import { RequestError } from "../tasks/request_error.ts";

const policy = new Policy({ maxSandbox: "workspace-write" });
const UUID = "01a23379-8b64-73e0-b586-c4440ada693c";

Deno.test("a good request passes, a 1,000,000-character prompt and a prompt of '-' included", () => {
  checkTaskRequest({ prompt: "fix it", config: { model_reasoning_effort: "high" } }, policy);
  checkTaskRequest({ prompt: "x".repeat(1_000_000) }, policy);
  checkTaskRequest({ prompt: "x".repeat(MAX_PROMPT_CHARS) }, policy);
  checkTaskRequest({ prompt: "-" }, policy);
  checkTaskRequest({ prompt: "emoji 🎉", threadId: UUID, sandbox: "read-only" }, policy);
});

Deno.test("each bad request is refused naming the field and the problem", () => {
  const cases: Array<[TaskRequest, string, string[]]> = [
    [{ prompt: "" }, "prompt", ["empty"]],
    [{ prompt: "  \n" }, "prompt", ["empty"]],
    [{ prompt: "x".repeat(MAX_PROMPT_CHARS + 1) }, "prompt", ["1048577", "1048576"]],
    [{ prompt: "a\0b" }, "prompt", ["NUL", "index 1"]],
    [{ prompt: "a\ud800" }, "prompt", ["surrogate"]],
    [{ prompt: "p", model: "" }, "model", ["empty"]],
    [{ prompt: "p", cwd: "/tmp/\0x" }, "cwd", ["NUL"]],
    [{ prompt: "p", base: "--orphan" }, "base", ['"-"']],
    [{ prompt: "p", threadId: "--last" }, "threadId", ["--last", "UUID"]],
    [{ prompt: "p", threadId: "-" }, "threadId", ["UUID"]],
    [{ prompt: "p", threadId: "not-a-thread" }, "threadId", ["not-a-thread"]],
    [{ prompt: "p", config: { model: null } }, "config", ["null", '"model"']],
    [{ prompt: "p", config: { model: "\udc00" } }, "config", ["surrogate"]],
    [{ prompt: "p", config: { a: { b: Infinity } } }, "config", ["finite"]],
    [{ prompt: "p", config: { "bad key": 1 } }, "config", ['"bad key"']],
    [{ prompt: "p", config: { notify: ["sh"] } }, "config.notify", ["notify", "--allow-config"]],
    [
      { prompt: "p", config: { mcp_servers: { x: { command: "sh" } } } },
      "config.mcp_servers.x.command",
      ["mcp_servers.x.command"],
    ],
    [
      { prompt: "p", sandbox: "danger-full-access" },
      "sandbox",
      ['"danger-full-access"', '"workspace-write"'],
    ],
    [
      { prompt: "p", config: { sandbox_mode: "danger-full-access" } },
      "config.sandbox_mode",
      ["config.sandbox_mode", '"workspace-write"'],
    ],
    [{ prompt: "p", config: { sandbox_mode: "bogus" } }, "config", ["bogus"]],
    [{ prompt: "p", check: "npm test" }, "check", ["worktree: true"]],
  ];
  for (const [request, field, parts] of cases) {
    let caught: unknown;
    try {
      checkTaskRequest(request, policy);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof Error, `${JSON.stringify(request).slice(0, 80)} was accepted`);
    assert.equal((caught as RequestError).field, field, caught.message);
    for (const part of parts) assert.ok(caught.message.includes(part), caught.message);
  }
});

Deno.test("task ids: no paths, no NUL", () => {
  checkTaskId("0123456789ab");
  for (const id of ["../x", "/etc/passwd", "a\0b", "a/b", "", "x".repeat(65), "a.b"]) {
    throwsWith(() => checkTaskId(id), "task_id", "not a task id");
  }
});

Deno.test("stringProblem names the index of a NUL byte or a lone surrogate, and takes pairs", () => {
  assert.equal(stringProblem("a\u{1F600}b"), null);
  assert.equal(stringProblem("ab\0"), "it holds a NUL byte at index 2");
  assert.equal(stringProblem("\ude00\ud83d"), "it holds a lone UTF-16 surrogate at index 0");
  assert.equal(stringProblem("ab\ud83d"), "it holds a lone UTF-16 surrogate at index 2");
  assert.equal(stringProblem("x\ud83d\ude00\ude00"), "it holds a lone UTF-16 surrogate at index 3");
});
