import assert from "node:assert/strict";
import { compareVersions } from "./versions.ts";

Deno.test("versions compare numerically, a missing part being 0", () => {
  assert.equal(compareVersions("0.10.0", "0.9.1"), 1);
  assert.equal(compareVersions("0.98.0", "0.169.0"), -1);
  assert.equal(compareVersions("0.169", "0.169.0"), 0);
  assert.equal(compareVersions("0.1.0", "99.0.0"), -1);
});

Deno.test("pre-releases sort before their release, in semver's order", () => {
  // The order semver.org gives as its example, each before the next.
  const ordered = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
  ];
  for (let i = 0; i + 1 < ordered.length; i++) {
    assert.equal(compareVersions(ordered[i]!, ordered[i + 1]!), -1, `${ordered[i]} < next`);
    assert.equal(compareVersions(ordered[i + 1]!, ordered[i]!), 1, `${ordered[i + 1]} > previous`);
    assert.equal(compareVersions(ordered[i]!, ordered[i]!), 0);
  }
  assert.equal(compareVersions("0.169.0-alpha.1", "0.169.0"), -1);
  assert.equal(compareVersions("0.170.0-alpha.1", "0.169.0"), 1);
});

Deno.test("build metadata is ignored", () => {
  assert.equal(compareVersions("1.0.0+linux", "1.0.0"), 0);
  assert.equal(compareVersions("1.0.0-rc.1+abc", "1.0.0-rc.1"), 0);
});
