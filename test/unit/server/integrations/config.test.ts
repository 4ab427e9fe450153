import assert from "node:assert/strict";
import {
  ConfigError,
  integrationConfigFromEnv,
  redactSecrets,
  secretsOf,
  serviceUrl,
} from "../../../../server/src/integrations/config.js";

describe("integration settings from the environment", () => {
  it("configures nothing from an empty environment", () => {
    assert.deepEqual(integrationConfigFromEnv({}), {});
  });

  it("reads every service", () => {
    const c = integrationConfigFromEnv({
      GITHUB_TOKEN: "ghp_x",
      BORA_JIRA_URL: "https://acme.atlassian.net/",
      JIRA_EMAIL: "a@example.invalid",
      JIRA_API_TOKEN: "tok",
      SENTRY_AUTH_TOKEN: "sntryu_x",
      SENTRY_ORG: "acme",
      SENTRY_PROJECT: "app",
      SLACK_BOT_TOKEN: "xoxb-1",
      BORA_SLACK_CHANNEL: "#builds",
    });
    assert.deepEqual(c.github, { token: "ghp_x", baseUrl: "https://api.github.com" });
    assert.deepEqual(c.jira, {
      baseUrl: "https://acme.atlassian.net",
      auth: { kind: "cloud", email: "a@example.invalid", apiToken: "tok" },
    });
    assert.deepEqual(c.sentry, { token: "sntryu_x", org: "acme", project: "app", baseUrl: "https://sentry.io" });
    assert.deepEqual(c.slack, { kind: "bot", token: "xoxb-1", channel: "#builds" });
  });

  it("takes BORA_GITHUB_TOKEN before GITHUB_TOKEN, for hosts that keep GITHUB_TOKEN for themselves", () => {
    assert.equal(
      integrationConfigFromEnv({ BORA_GITHUB_TOKEN: "ghp_bora", GITHUB_TOKEN: "ghp_x" }).github?.token,
      "ghp_bora",
    );
    assert.equal(integrationConfigFromEnv({ BORA_GITHUB_TOKEN: "ghp_bora" }).github?.token, "ghp_bora");
    assert.equal(integrationConfigFromEnv({ BORA_GITHUB_TOKEN: " ", GITHUB_TOKEN: "ghp_x" }).github?.token, "ghp_x");
  });

  it("uses a Data Center PAT, and prefers the webhook for Slack", () => {
    const c = integrationConfigFromEnv({
      BORA_JIRA_URL: "https://jira.example.invalid",
      JIRA_PAT: "pat",
      SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x",
      SLACK_BOT_TOKEN: "xoxb",
    });
    assert.deepEqual(c.jira?.auth, { kind: "datacenter", pat: "pat" });
    assert.equal(c.slack?.kind, "webhook");
  });

  it("refuses half a configuration with the variable to set", () => {
    assert.throws(() => integrationConfigFromEnv({ JIRA_PAT: "p" }), /BORA_JIRA_URL is not/);
    assert.throws(
      () => integrationConfigFromEnv({ BORA_JIRA_URL: "https://j.example.invalid" }),
      /JIRA_EMAIL \+ JIRA_API_TOKEN .* or JIRA_PAT/,
    );
    assert.throws(
      () => integrationConfigFromEnv({ BORA_JIRA_URL: "https://j.example.invalid", JIRA_PAT: "p", JIRA_EMAIL: "e" }),
      /not both/,
    );
    assert.throws(() => integrationConfigFromEnv({ SENTRY_AUTH_TOKEN: "t" }), /SENTRY_ORG/);
    assert.throws(() => integrationConfigFromEnv({ SLACK_BOT_TOKEN: "t" }), /BORA_SLACK_CHANNEL/);
  });

  it("requires https except on this machine, and no credentials in URLs", () => {
    assert.throws(
      () => serviceUrl("BORA_JIRA_URL", "http://jira.example.invalid"),
      (e: Error) => e instanceof ConfigError && /must use https/.test(e.message),
    );
    assert.equal(serviceUrl("X", "http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
    assert.throws(() => serviceUrl("X", "https://u:p@h.example.invalid"), /must not contain credentials/);
    assert.throws(() => serviceUrl("X", "not a url"), /is not a URL/);
  });

  it("lists the secrets, including Jira's Basic credential and the webhook path, and redacts them", () => {
    const c = integrationConfigFromEnv({
      BORA_JIRA_URL: "https://j.example.invalid",
      JIRA_EMAIL: "a@b.invalid",
      JIRA_API_TOKEN: "jira-token",
      SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T1/B1/hooksecret",
    });
    const secrets = secretsOf(c);
    assert.ok(secrets.includes("jira-token"));
    assert.ok(secrets.includes(Buffer.from("a@b.invalid:jira-token").toString("base64")));
    assert.equal(
      redactSecrets("failed: https://hooks.slack.com/services/T1/B1/hooksecret and jira-token", secrets),
      "failed: [redacted] and [redacted]",
    );
  });
});
