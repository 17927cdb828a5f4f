import assert from "node:assert/strict";
import { keyNames } from "./app.tsx";

/** An ink key event with nothing held or named. */
const plain = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
} as unknown as Parameters<typeof keyNames>[1];

Deno.test("keyNames: keys typed together each count, an Enter among them too", () => {
  assert.deepEqual(keyNames("g", plain), ["g"]);
  assert.deepEqual(keyNames("g\r", plain), ["g", "enter"]);
  assert.deepEqual(keyNames("jj\n", plain), ["j", "j", "enter"]);
  assert.deepEqual(keyNames("\r", { ...plain, return: true }), ["enter"]);
  assert.deepEqual(keyNames("c", { ...plain, ctrl: true }), []);
});
