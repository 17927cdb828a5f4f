import assert from "node:assert/strict";
import { throwsWith } from "../../tests/support/assert.ts";
import { checkOutputSchema, readStructuredResult } from "./output_schema.ts";

const good = {
  type: "object",
  properties: {
    verdict: { type: "string", enum: ["pass", "fail"] },
    notes: { type: "array", items: { type: "string" } },
    extra: { type: ["string", "null"] },
  },
  required: ["verdict", "notes", "extra"],
  additionalProperties: false,
};

Deno.test("checkOutputSchema takes a strict schema and names what a bad one breaks", () => {
  checkOutputSchema(good);
  throwsWith(() => checkOutputSchema([1]), "must be a JSON object");
  throwsWith(() => checkOutputSchema({ type: "string" }), "root must be");
  throwsWith(
    () => checkOutputSchema({ ...good, additionalProperties: true }),
    'output_schema must set "additionalProperties": false',
  );
  throwsWith(
    () => checkOutputSchema({ ...good, required: ["verdict"] }),
    "missing: notes, extra",
  );
  throwsWith(
    () =>
      checkOutputSchema({
        ...good,
        properties: { ...good.properties, verdict: { allOf: [{ type: "string" }] } },
      }),
    'output_schema.properties.verdict uses "allOf"',
  );
  throwsWith(() => checkOutputSchema({ type: "object", properties: 3 }), "not a valid JSON Schema");
});

Deno.test("readStructuredResult parses and validates the final message", () => {
  assert.deepEqual(readStructuredResult('{"verdict":"pass","notes":[],"extra":null}', good), {
    ok: true,
    value: { verdict: "pass", notes: [], extra: null },
  });
  const bad = readStructuredResult('{"verdict":"maybe","notes":[],"extra":null}', good);
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.error : "", /\/verdict must be equal to one of the allowed values/);
  const notJson = readStructuredResult("Sure! here it is", good);
  assert.match(!notJson.ok ? notJson.error : "", /not JSON/);
});
