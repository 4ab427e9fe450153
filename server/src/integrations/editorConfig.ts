/**
 * The integrations as the editor configures them: URLs, the org and queries in settings
 * (`bora.github.url`, `bora.jira.email`, ...), credentials in the editor's secret storage, handed to
 * the host sealed (`bora/setSecret`). A service the editor gives no credential for falls back to the
 * host's environment, as the CLI reads it, so a setup that works for `bora items` keeps working.
 */
import type { IntegrationSecretName, IntegrationSettings } from "@bora/protocol";
import {
  configOrFirstProblem,
  ConfigError,
  INTEGRATION_CONFIG_SERVICES,
  integrationConfigsFromEnv,
  readService,
  serviceUrl,
  type IntegrationConfig,
  type ServiceConfigs,
} from "./config.js";

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
 * The configuration the host runs with, service by service. The editor's own (a stored credential
 * and its settings) wins per service; the environment fills in the rest. A half-configured service
 * is that service's problem, naming the setting to fill in; the other services are unaffected.
 */
export function editorServiceConfigs(
  settings: IntegrationSettings,
  secrets: Pick<IntegrationSecrets, "get">,
  env: NodeJS.ProcessEnv,
): ServiceConfigs {
  const out = integrationConfigsFromEnv(env);
  const github = secrets.get("github.token");
  const jira = secrets.get("jira.token");
  const sentry = secrets.get("sentry.token");
  const slack = secrets.get("slack.token");
  if (github !== undefined)
    readService(out, "github", () => ({
      token: github,
      baseUrl: serviceUrl("bora.github.url", settings.githubUrl || "https://api.github.com"),
    }));
  if (jira !== undefined)
    readService(out, "jira", () => {
      const baseUrl = serviceUrl("bora.jira.url", needs(settings.jiraUrl, "bora.jira.url", "your Jira site"));
      return {
        baseUrl,
        auth:
          settings.jiraEmail !== ""
            ? { kind: "cloud", email: settings.jiraEmail, apiToken: jira }
            : { kind: "datacenter", pat: jira },
      };
    });
  if (sentry !== undefined)
    readService(out, "sentry", () => ({
      token: sentry,
      baseUrl: serviceUrl("bora.sentry.url", settings.sentryUrl || "https://sentry.io"),
      org: needs(settings.sentryOrg, "bora.sentry.org", "your Sentry organization's slug"),
      ...(settings.sentryProject !== "" && { project: settings.sentryProject }),
    }));
  if (slack !== undefined)
    readService(out, "slack", () => {
      // A self-hosted or test Slack API root still comes from the environment, as for the CLI.
      const apiUrl = env["BORA_SLACK_API_URL"]?.trim();
      return {
        kind: "bot",
        token: slack,
        channel: needs(settings.slackChannel, "bora.slack.channel", "the channel id (C…) to post to"),
        ...(apiUrl ? { apiUrl: `${serviceUrl("BORA_SLACK_API_URL", apiUrl)}/` } : {}),
      };
    });
  return out;
}

/**
 * The configuration as one value, for callers that need every service at once (durable tasks): a
 * mistake in what the editor configured is a `ConfigError` naming the setting to fill in; the
 * environment's mistakes matter only where the editor configures nothing.
 */
export function editorIntegrationConfig(
  settings: IntegrationSettings,
  secrets: Pick<IntegrationSecrets, "get">,
  env: NodeJS.ProcessEnv,
): IntegrationConfig {
  const { config, problems } = editorServiceConfigs(settings, secrets, env);
  const editors = INTEGRATION_CONFIG_SERVICES.filter((s) => secrets.get(`${s}.token`) !== undefined);
  if (editors.length === 0) return configOrFirstProblem({ config, problems });
  return configOrFirstProblem({
    config,
    problems: Object.fromEntries(editors.flatMap((s) => (problems[s] === undefined ? [] : [[s, problems[s]]]))),
  });
}
