import assert from "node:assert/strict";
import {
  COMMAND_FLAGS,
  driverOverrides,
  FIXED_CONFIG,
  gitArgv,
  parseConfigList,
  splitGitArgs,
  TEXT_MERGE_DRIVER,
} from "./git_hardening.ts";

Deno.test("splitGitArgs takes leading -c pairs, the command and the rest", () => {
  assert.deepEqual(splitGitArgs(["-c", "user.name=A", "-c", "x.y=1", "commit", "-m", "m"]), {
    config: ["-c", "user.name=A", "-c", "x.y=1"],
    command: "commit",
    rest: ["-m", "m"],
  });
  assert.deepEqual(splitGitArgs(["status"]), { config: [], command: "status", rest: [] });
});

Deno.test("splitGitArgs refuses aliases, unknown commands and other leading options", () => {
  const refused = (args: string[]) => {
    const call = splitGitArgs(args);
    assert.ok("refused" in call, `${JSON.stringify(args)} was not refused`);
    return call.refused;
  };
  assert.match(refused(["st"]), /^"st" is not one of the git commands codex-swarm runs/);
  assert.match(refused(["lfs", "pull"]), /could be an alias or a program/);
  assert.match(refused(["-C", "/tmp", "status"]), /^option "-C" comes before the command/);
  assert.match(refused(["--exec-path=/x", "status"]), /option "--exec-path=\/x"/);
  assert.equal(refused(["-c", "a.b=c"]), "no git command is given");
  assert.equal(
    refused(["diff", "--ext-diff", "a", "b"]),
    '"--ext-diff" would let git run a program',
  );
  assert.match(refused(["log", "--textconv", "-p"]), /"--textconv"/);
  assert.match(refused(["status", "--ignore-submodules=none"]), /"--ignore-submodules=none"/);
  assert.match(refused(["commit", "-S", "-m", "x"]), /"-S"/);
  assert.match(refused(["merge", "--gpg-sign=KEY", "x"]), /"--gpg-sign=KEY"/);
  // After "--" they are paths; -S of log is a search.
  assert.deepEqual(splitGitArgs(["diff", "a", "--", "--ext-diff"]), {
    config: [],
    command: "diff",
    rest: ["a", "--", "--ext-diff"],
  });
  assert.ok(!("refused" in splitGitArgs(["log", "-Sneedle"])));
  assert.equal(refused([]), "no git command is given");
});

Deno.test("parseConfigList reads scope, key and value, and keys without a value", () => {
  assert.deepEqual(
    parseConfigList("global\0user.name\nAda L\0local\0core.bare\nfalse\0local\0x.flag\0"),
    [
      { scope: "global", key: "user.name", value: "Ada L" },
      { scope: "local", key: "core.bare", value: "false" },
      { scope: "local", key: "x.flag", value: null },
    ],
  );
  assert.deepEqual(parseConfigList("local\0a.b\nline 1\nline 2\0"), [
    { scope: "local", key: "a.b", value: "line 1\nline 2" },
  ]);
  assert.deepEqual(parseConfigList(""), []);
});

Deno.test("driverOverrides empties the repository's filters and replaces its merge drivers", () => {
  const entries = parseConfigList(
    [
      "local\0filter.evil.clean\nsh x",
      "worktree\0filter.Case.process\nsh y",
      "command\0merge.m.driver\nsh z",
      "local\0filter.evil.required\ntrue",
      "local\0diff.d.textconv\nsh t",
      "local\0alias.st\n!sh a",
      "",
    ].join("\0"),
  );
  assert.deepEqual(driverOverrides(entries), {
    config: [
      ["filter.evil.clean", ""],
      ["filter.evil.smudge", ""],
      ["filter.evil.process", ""],
      ["filter.evil.required", "false"],
      ["filter.Case.clean", ""],
      ["filter.Case.smudge", ""],
      ["filter.Case.process", ""],
      ["filter.Case.required", "false"],
      ["merge.m.driver", TEXT_MERGE_DRIVER],
    ],
  });
});

Deno.test("driverOverrides keeps the user's own drivers unless the repository sets them too", () => {
  const lfs = [
    "system\0filter.sys.clean\nsys-filter %f",
    "global\0filter.lfs.process\ngit-lfs filter-process",
    "global\0filter.lfs.required\ntrue",
    "global\0merge.ours.driver\ntrue",
  ];
  assert.deepEqual(driverOverrides(parseConfigList(lfs.join("\0") + "\0")), { config: [] });
  const redefined = [...lfs, "local\0filter.lfs.smudge\nsh evil", ""].join("\0");
  assert.deepEqual(driverOverrides(parseConfigList(redefined)), {
    config: [
      ["filter.lfs.clean", ""],
      ["filter.lfs.smudge", ""],
      ["filter.lfs.process", ""],
      ["filter.lfs.required", "false"],
    ],
  });
});

Deno.test("driverOverrides disables every configured hook, whatever its scope", () => {
  const entries = parseConfigList(
    "global\0hook.lint.command\nlint\0local\0hook.lint.event\npre-commit\0local\0hook.x.event\npost-commit\0",
  );
  assert.deepEqual(driverOverrides(entries), {
    config: [["hook.lint.enabled", "false"], ["hook.x.enabled", "false"]],
  });
});

Deno.test("driverOverrides refuses a driver name git -c cannot express", () => {
  const entries = parseConfigList("local\0filter.a=b.clean\nsh x\0");
  assert.deepEqual(driverOverrides(entries), {
    refused:
      `the repository's config defines "filter.a=b", a name with "=" that git -c cannot switch off`,
  });
});

Deno.test("gitArgv puts the fixed and given settings after the caller's, then the command's flags", () => {
  const argv = gitArgv(
    { config: ["-c", "user.name=A"], command: "diff", rest: ["a", "b"] },
    [["filter.x.clean", ""]],
  );
  const fixed = FIXED_CONFIG.flatMap(([key, value]) => ["-c", `${key}=${value}`]);
  assert.deepEqual(argv, [
    "--no-pager",
    "-c",
    "user.name=A",
    ...fixed,
    "-c",
    "filter.x.clean=",
    "diff",
    ...COMMAND_FLAGS.diff!,
    "a",
    "b",
  ]);
  assert.ok(fixed.includes("core.hooksPath=/dev/null"));
  assert.ok(fixed.includes("core.fsmonitor="));
  assert.ok(fixed.includes("hook.post-commit.enabled=false"));
  assert.deepEqual(gitArgv({ config: [], command: "commit", rest: [] }, []).slice(-1), [
    "commit",
  ]);
});
