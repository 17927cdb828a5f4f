/**
 * Structured output: the JSON Schema a task's final message must follow (`output_schema`).
 *
 * Codex sends the schema to the model API as a strict `json_schema` format, which takes only a
 * subset of JSON Schema; a schema outside it fails the turn at the API, after the task started.
 * {@link checkOutputSchema} refuses such a schema first, naming the place and the rule. When the
 * turn ends, {@link readStructuredResult} parses the final message and validates it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"],
 *   additionalProperties: false };
 * checkOutputSchema(schema); // fine
 * assert.deepEqual(readStructuredResult('{"ok":true}', schema), { ok: true, value: { ok: true } });
 * assert.equal(readStructuredResult('{"ok":1}', schema).ok, false);
 * ```
 * @module
 */

import { Ajv } from "ajv";
import { isRecord } from "../base/records.ts";

/** Keywords the strict format does not take. */
const UNSUPPORTED = [
  "allOf",
  "not",
  "if",
  "then",
  "else",
  "dependentRequired",
  "dependentSchemas",
  "patternProperties",
  "unevaluatedProperties",
  "propertyNames",
  "oneOf",
];
/** How deep objects may nest. */
export const MAX_SCHEMA_DEPTH = 10;

/**
 * Checks that `schema` is a JSON Schema the model API takes as strict structured output.
 * @throws {Error} Naming the path (`output_schema.properties.x`) and the rule broken.
 */
export function checkOutputSchema(schema: unknown): void {
  if (!isRecord(schema)) throw new Error("Cannot use output_schema: it must be a JSON object");
  if (schema.type !== "object") {
    throw new Error(
      'Cannot use output_schema: its root must be {"type": "object", ...} (the model API ' +
        "takes only an object at the root)",
    );
  }
  try {
    new Ajv({ strict: false }).compile(schema);
  } catch (error) {
    throw new Error(`Cannot use output_schema: it is not a valid JSON Schema: ${error}`);
  }
  walk(schema, "output_schema", 0);
}

function walk(node: unknown, path: string, depth: number): void {
  if (!isRecord(node)) return;
  for (const keyword of UNSUPPORTED) {
    if (keyword in node) {
      throw new Error(
        `Cannot use output_schema: ${path} uses "${keyword}", which the model API's strict ` +
          "structured output does not take",
      );
    }
  }
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.includes("object")) {
    if (depth >= MAX_SCHEMA_DEPTH) {
      throw new Error(
        `Cannot use output_schema: ${path} nests objects deeper than ${MAX_SCHEMA_DEPTH} levels`,
      );
    }
    if (node.additionalProperties !== false) {
      throw new Error(
        `Cannot use output_schema: ${path} must set "additionalProperties": false (strict ` +
          "structured output requires it on every object)",
      );
    }
    const properties = isRecord(node.properties) ? node.properties : {};
    const required = Array.isArray(node.required) ? node.required : [];
    const missing = Object.keys(properties).filter((k) => !required.includes(k));
    if (missing.length > 0) {
      throw new Error(
        `Cannot use output_schema: ${path} must list every property in "required" (missing: ${
          missing.join(", ")
        }); make a property optional with a "null" type instead`,
      );
    }
    for (const [key, value] of Object.entries(properties)) {
      walk(value, `${path}.properties.${key}`, depth + 1);
    }
  }
  if (node.items !== undefined) walk(node.items, `${path}.items`, depth);
  if (Array.isArray(node.anyOf)) {
    node.anyOf.forEach((s, i) => walk(s, `${path}.anyOf[${i}]`, depth));
  }
  for (const key of ["$defs", "definitions"] as const) {
    const defs = node[key];
    if (isRecord(defs)) {
      for (const [name, s] of Object.entries(defs)) walk(s, `${path}.${key}.${name}`, depth);
    }
  }
}

/** The final message read as structured output. */
export type StructuredResult =
  | { ok: true; value: unknown }
  | { ok: false; error: string };

/** Parses `message` as JSON and validates it against `schema`. */
export function readStructuredResult(message: string | null, schema: object): StructuredResult {
  if (message === null) return { ok: false, error: "Codex gave no final message" };
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch (error) {
    return { ok: false, error: `The final message is not JSON: ${(error as Error).message}` };
  }
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  if (validate(value)) return { ok: true, value };
  const problems = (validate.errors ?? []).slice(0, 5).map((e) =>
    `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`
  );
  return {
    ok: false,
    error: `The final message does not match output_schema: ${problems.join("; ")}`,
  };
}
