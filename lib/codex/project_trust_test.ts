import assert from "node:assert/strict";
import { distrustProjects, untrustedProjects } from "./project_trust.ts";

const untrusted = { trust_level: "untrusted" };

Deno.test("untrustedProjects: the cwd and every directory above it, up to the root", () => {
  assert.deepEqual(untrustedProjects("/src/my.app/sub"), {
    "/src/my.app/sub": untrusted,
    "/src/my.app": untrusted,
    "/src": untrusted,
    "/": untrusted,
  });
  assert.deepEqual(untrustedProjects("/src/app/"), {
    "/src/app": untrusted,
    "/src": untrusted,
    "/": untrusted,
  });
  assert.deepEqual(untrustedProjects("/"), { "/": untrusted });
});

Deno.test("distrustProjects: replaces every projects setting and keeps the rest", () => {
  const config: Record<string, unknown> = {
    "projects./src/app.trust_level": "trusted",
    projects: { "/elsewhere": { trust_level: "trusted" } },
    projects_extra: 1,
    model_reasoning_effort: "high",
  };
  distrustProjects(config, "/src/app");
  assert.deepEqual(config, {
    projects_extra: 1,
    model_reasoning_effort: "high",
    projects: { "/src/app": untrusted, "/src": untrusted, "/": untrusted },
  });
});
