import assert from "node:assert/strict";
import { firstRootDir } from "./session.ts";

Deno.test("the first file: root is the session's directory; other schemes are skipped", () => {
  if (Deno.build.os === "windows") return;
  assert.equal(firstRootDir([{ uri: "https://x" }, { uri: "file:///a%20b/c" }]), "/a b/c");
  assert.equal(firstRootDir([]), null);
});
