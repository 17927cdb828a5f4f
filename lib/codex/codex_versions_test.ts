import assert from "node:assert/strict";
import {
  codexVersionFit,
  hasIncludedThreadIds,
  NEWEST_TESTED_CODEX_VERSION,
  OLDEST_CODEX_VERSION,
  sendsCurrentTimeRead,
} from "./codex_versions.ts";

Deno.test("a pre-release of the oldest Codex is below the range, of a later one within it", () => {
  assert.equal(codexVersionFit("0.169.0-alpha.1").kind, "too_old");
  assert.equal(codexVersionFit("0.170.0-alpha.1").kind, "supported");
  assert.equal(codexVersionFit("0.172.0-alpha.1").kind, "untested");
  assert.equal(hasIncludedThreadIds("0.171.0-alpha.1"), false);
  assert.equal(sendsCurrentTimeRead("0.171.0-alpha.1"), true);
});

Deno.test("codexVersionFit: below the range refused, in it supported, above it untested", () => {
  assert.deepEqual(codexVersionFit("0.168.9"), {
    kind: "too_old",
    message: "its version is 0.168.9: codex-swarm needs 0.169.0 or newer (tested up to 0.171.0)",
  });
  assert.equal(codexVersionFit("unknown").kind, "too_old");
  assert.equal(codexVersionFit(OLDEST_CODEX_VERSION).kind, "supported");
  assert.equal(codexVersionFit("0.170.0").kind, "supported");
  assert.equal(codexVersionFit(NEWEST_TESTED_CODEX_VERSION).kind, "supported");
  assert.deepEqual(codexVersionFit("0.172.0"), {
    kind: "untested",
    message: "Codex 0.172.0 is newer than the newest codex-swarm was tested with (0.171.0); " +
      "it runs, but report what fails",
  });
});

Deno.test("what differs between versions: includedThreadIds from 0.171, currentTime/read before", () => {
  assert.equal(hasIncludedThreadIds("0.169.0"), false);
  assert.equal(hasIncludedThreadIds("0.170.0"), false);
  assert.equal(hasIncludedThreadIds("0.171.0"), true);
  assert.equal(sendsCurrentTimeRead("0.169.0"), true);
  assert.equal(sendsCurrentTimeRead("0.170.0"), true);
  assert.equal(sendsCurrentTimeRead("0.171.0"), false);
});
