import assert from "node:assert/strict";
import { DEFAULT_SETTINGS, type IntegrationSettings } from "@bora/protocol";
import { ConfigError } from "../../../../server/src/integrations/config.js";
import {
  editorIntegrationConfig,
  editorServiceConfigs,
  IntegrationSecrets,
} from "../../../../server/src/integrations/editorConfig.js";

function secrets(values: Record<string, string>): IntegrationSecrets {
  const s = new IntegrationSecrets();
  for (const [name, value] of Object.entries(values)) s.set(name as never, value);
  return s;
}
const settings = (over: Partial<IntegrationSettings> = {}): IntegrationSettings => ({
  ...DEFAULT_SETTINGS.integrations,
  ...over,
});

describe("integrations as the editor configures them (settings and stored tokens over the environment)", () => {
  it("takes the editor's token and URL for a service, and the environment for the others", () => {
    const config = editorIntegrationConfig(
      settings({ githubUrl: "https://github.example.com/api/v3" }),
      secrets({ "github.token": "ghp_editor" }),
      { GITHUB_TOKEN: "ghp_env", SENTRY_AUTH_TOKEN: "sntryu_env", SENTRY_ORG: "acme" },
    );
    assert.deepEqual(config.github, { token: "ghp_editor", baseUrl: "https://github.example.com/api/v3" });
    assert.equal(config.sentry?.token, "sntryu_env", "a service the editor does not configure keeps the environment's");
  });

  it("makes a Jira token a Cloud API token with an e-mail, else a Data Center PAT", () => {
    const cloud = editorIntegrationConfig(
      settings({ jiraUrl: "https://acme.atlassian.net", jiraEmail: "me@acme.example" }),
      secrets({ "jira.token": "atl" }),
      {},
    );
    assert.deepEqual(cloud.jira?.auth, { kind: "cloud", email: "me@acme.example", apiToken: "atl" });
    const dc = editorIntegrationConfig(
      settings({ jiraUrl: "https://jira.acme.example" }),
      secrets({ "jira.token": "pat" }),
      {},
    );
    assert.deepEqual(dc.jira?.auth, { kind: "datacenter", pat: "pat" });
  });

  it("names the setting a half-configured service lacks, and refuses a plain-http remote URL", () => {
    assert.throws(
      () => editorIntegrationConfig(settings(), secrets({ "jira.token": "t" }), {}),
      /bora\.jira\.url is empty/,
    );
    assert.throws(
      () => editorIntegrationConfig(settings(), secrets({ "sentry.token": "t" }), {}),
      /bora\.sentry\.org is empty/,
    );
    assert.throws(
      () => editorIntegrationConfig(settings(), secrets({ "slack.token": "t" }), {}),
      /bora\.slack\.channel is empty/,
    );
    assert.throws(
      () =>
        editorIntegrationConfig(
          settings({ githubUrl: "http://github.example.com" }),
          secrets({ "github.token": "t" }),
          {},
        ),
      (e: unknown) => e instanceof ConfigError && /bora\.github\.url must use https/.test(e.message),
    );
  });

  it("ignores the environment's mistakes when the editor configures a service, and reports them when it does not", () => {
    const badEnv = { JIRA_EMAIL: "me@acme.example" };
    assert.throws(() => editorIntegrationConfig(settings(), secrets({}), badEnv), ConfigError);
    assert.equal(editorIntegrationConfig(settings(), secrets({ "github.token": "g" }), badEnv).github?.token, "g");
  });

  it("keeps one service's half-configuration to that service: the others are configured, it names what to fill in", () => {
    const { config, problems } = editorServiceConfigs(
      settings({ jiraEmail: "me@acme.example" }),
      secrets({ "github.token": "ghp_editor", "jira.token": "atl" }),
      { SENTRY_AUTH_TOKEN: "sntryu_env", SLACK_BOT_TOKEN: "xoxb-env", BORA_SLACK_CHANNEL: "C0123ABCDEF" },
    );
    assert.equal(config.github?.token, "ghp_editor");
    assert.equal(config.slack?.kind, "bot", "the environment's well-configured Slack stays");
    assert.equal(config.jira, undefined);
    assert.equal(config.sentry, undefined);
    assert.match(problems.jira ?? "", /bora\.jira\.url is empty/);
    assert.match(problems.sentry ?? "", /SENTRY_AUTH_TOKEN is set without SENTRY_ORG/);
    assert.deepEqual(Object.keys(problems).sort(), ["jira", "sentry"]);
  });

  it("lets the editor's configuration of a service replace the environment's mistake in it", () => {
    const { config, problems } = editorServiceConfigs(
      settings({ sentryOrg: "acme" }),
      secrets({ "sentry.token": "sntryu_editor" }),
      { SENTRY_AUTH_TOKEN: "sntryu_env" },
    );
    assert.equal(config.sentry?.token, "sntryu_editor");
    assert.deepEqual(problems, {});
  });

  it("forgets a token the editor removed, and holds its values for redaction only", () => {
    const s = secrets({ "github.token": "ghp_a", "slack.token": "xoxb-b" });
    assert.deepEqual(s.all().sort(), ["ghp_a", "xoxb-b"]);
    s.set("github.token", undefined);
    assert.equal(editorIntegrationConfig(settings({ slackChannel: "C0123ABCDEF" }), s, {}).github, undefined);
  });
});
