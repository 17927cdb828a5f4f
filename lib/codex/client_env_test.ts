import assert from "node:assert/strict";
import {
  commandEnvOverrides,
  credentialsOf,
  filterClientEnv,
  providerEnvKeys,
} from "./client_env.ts";

Deno.test("the client's secrets are dropped, what Codex and builds need is kept", () => {
  const env = {
    ANTHROPIC_API_KEY: "sk-ant",
    ANTHROPIC_BASE_URL: "https://x",
    CLAUDE_CODE_ENTRYPOINT: "cli",
    CLAUDECODE: "1",
    GITHUB_TOKEN: "ghp",
    AWS_SECRET_ACCESS_KEY: "a",
    DB_PASSWORD: "p",
    npm_config__authToken: "t",
    OPENAI_API_KEY: "sk-openai",
    CODEX_HOME: "/h",
    MOCK_API_KEY: "mock",
    LICENSE_KEY: "lic",
    PATH: "/bin",
    HOME: "/home/me",
    SHELL: "/bin/sh",
    USER: "me",
    TMPDIR: "/tmp",
    TERM: "xterm",
    LANG: "C.UTF-8",
    LC_ALL: "C",
    HTTPS_PROXY: "http://proxy",
    no_proxy: "localhost",
    SSL_CERT_FILE: "/c.pem",
    NODE_EXTRA_CA_CERTS: "/n.pem",
    SSH_AUTH_SOCK: "/s",
    CARGO_HOME: "/cargo",
    GOPATH: "/go",
    JAVA_HOME: "/jdk",
  };
  const out = filterClientEnv(env, ["MOCK_API_KEY", "LICENSE_KEY"]);
  const dropped = Object.keys(env).filter((name) => !(name in out)).sort();
  assert.deepEqual(
    dropped,
    [
      "ANTHROPIC_API_KEY",
      "ANTHROPIC_BASE_URL",
      "AWS_SECRET_ACCESS_KEY",
      "CLAUDECODE",
      "CLAUDE_CODE_ENTRYPOINT",
      "DB_PASSWORD",
      "GITHUB_TOKEN",
      "npm_config__authToken",
    ].sort(),
  );
  for (
    const kept of ["OPENAI_API_KEY", "CODEX_HOME", "MOCK_API_KEY", "LICENSE_KEY", "SSH_AUTH_SOCK"]
  ) {
    assert.equal(out[kept], env[kept as keyof typeof env], kept);
  }
  assert.equal(Object.keys(out).length, Object.keys(env).length - dropped.length);
});

Deno.test("providerEnvKeys reads every model provider's env_key from CODEX_HOME/config.toml", async () => {
  const home = await Deno.makeTempDir();
  try {
    assert.deepEqual(providerEnvKeys({ CODEX_HOME: home }), []);
    await Deno.writeTextFile(
      `${home}/config.toml`,
      [
        'model_provider = "mock"',
        "[model_providers.mock]",
        'env_key = "MOCK_API_KEY"',
        "[model_providers.azure]",
        'env_key = "AZURE_OPENAI_API_KEY"',
        "[profiles.p.model_providers.q]",
        'env_key = "Q_KEY"',
      ].join("\n"),
    );
    assert.deepEqual(providerEnvKeys({ CODEX_HOME: home }), [
      "AZURE_OPENAI_API_KEY",
      "MOCK_API_KEY",
      "Q_KEY",
    ]);
    await Deno.writeTextFile(`${home}/config.toml`, "not [toml");
    assert.deepEqual(providerEnvKeys({ CODEX_HOME: home }), []);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("credentialsOf: only the model credentials and the providers' env_keys", () => {
  assert.deepEqual(
    credentialsOf(
      {
        OPENAI_API_KEY: "sk",
        MOCK_API_KEY: "m",
        PATH: "/evil",
        CODEX_HOME: "/evil",
        GH_TOKEN: "t",
      },
      ["MOCK_API_KEY"],
    ),
    { OPENAI_API_KEY: "sk", MOCK_API_KEY: "m" },
  );
});

Deno.test("commandEnvOverrides: what differs from the server's, credentials left out", () => {
  assert.deepEqual(
    commandEnvOverrides(
      { PATH: "/mine", HOME: "/h", MARK: "a", OPENAI_API_KEY: "sk" },
      { PATH: "/server", HOME: "/h" },
      { OPENAI_API_KEY: "sk" },
    ),
    { PATH: "/mine", MARK: "a" },
  );
});
