/**
 * The integrations as the editor configures them: URLs, the org and queries in settings
 * (`bora.github.url`, `bora.jira.email`, ...), credentials in the editor's secret storage, handed to
 * the host sealed (`bora/setSecret`). A service the editor gives no credential for falls back to the
 * host's environment, as the CLI reads it, so a setup that works for `bora items` keeps working.
 */
import type { IntegrationSecretName, IntegrationSettings } from "@bora/protocol";
import { ConfigError, integrationConfigFromEnv, serviceUrl, type IntegrationConfig } from "./config.js";

/** The integration secrets the editor handed over: in memory only, never logged. */
export class IntegrationSecrets {
  private readonly values = new Map<IntegrationSecretName, string>();

  set(name: IntegrationSecretName, value: string | undefined): void {
    if (value === undefined) this.values.delete(name);
    else this.values.set(name, value);
  }

  get(name: IntegrationSecretName): string | undefined {
    return this.values.get(name);
  }

  /** Every value held, for redaction. */
  all(): string[] {
    return [...this.values.values()];
  }
}

function needs(value: string, setting: string, what: string): string {
  if (value === "") throw new ConfigError(`${setting} is empty: set it to ${what} (Bora: Configure Integrations…).`);
  return value;
}

/**
 * The configuration the host runs with. The editor's own (a stored credential and its settings)
 * wins per service; the environment fills in the rest. A half-configured service is a
 * `ConfigError` naming the setting to fill in.
 */
export function editorIntegrationConfig(
  settings: IntegrationSettings,
  secrets: Pick<IntegrationSecrets, "get">,
  env: NodeJS.ProcessEnv,
): IntegrationConfig {
  const github = secrets.get("github.token");
  const jira = secrets.get("jira.token");
  const sentry = secrets.get("sentry.token");
  const slack = secrets.get("slack.token");
  let config: IntegrationConfig;
  try {
    config = { ...integrationConfigFromEnv(env) };
  } catch (error) {
    // The environment's mistakes matter only where the editor configures nothing.
    if (!(error instanceof ConfigError) || [github, jira, sentry, slack].every((s) => s === undefined)) throw error;
    config = {};
  }
  if (github !== undefined)
    config.github = {
      token: github,
      baseUrl: serviceUrl("bora.github.url", settings.githubUrl || "https://api.github.com"),
    };
  if (jira !== undefined) {
    const baseUrl = serviceUrl("bora.jira.url", needs(settings.jiraUrl, "bora.jira.url", "your Jira site"));
    config.jira = {
      baseUrl,
      auth:
        settings.jiraEmail !== ""
          ? { kind: "cloud", email: settings.jiraEmail, apiToken: jira }
          : { kind: "datacenter", pat: jira },
    };
  }
  if (sentry !== undefined)
    config.sentry = {
      token: sentry,
      baseUrl: serviceUrl("bora.sentry.url", settings.sentryUrl || "https://sentry.io"),
      org: needs(settings.sentryOrg, "bora.sentry.org", "your Sentry organization's slug"),
      ...(settings.sentryProject !== "" && { project: settings.sentryProject }),
    };
  if (slack !== undefined) {
    // A self-hosted or test Slack API root still comes from the environment, as for the CLI.
    const apiUrl = env["BORA_SLACK_API_URL"]?.trim();
    config.slack = {
      kind: "bot",
      token: slack,
      channel: needs(settings.slackChannel, "bora.slack.channel", "the channel id (C…) to post to"),
      ...(apiUrl ? { apiUrl: `${serviceUrl("BORA_SLACK_API_URL", apiUrl)}/` } : {}),
    };
  }
  return config;
}
