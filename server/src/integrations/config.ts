/**
 * Integration settings for the CLI, from the environment. (The editor passes the same shape from
 * its settings and SecretStorage later.) Bad values fail with the variable's name and what to do;
 * nothing here is ever logged, since most of it is secret.
 */
import type { JiraConnection } from "./jira/client.js";
import type { SentryConnection } from "./sentry/client.js";

export interface GitHubConfig {
  token: string;
  /** The REST API root. */
  baseUrl: string;
}

export interface SentryConfig extends SentryConnection {
  baseUrl: string;
  /** The project `list` reads. */
  project?: string;
}

export type SlackConfig =
  { kind: "webhook"; url: string } | { kind: "bot"; token: string; channel: string; apiUrl?: string };

export interface IntegrationConfig {
  github?: GitHubConfig;
  jira?: JiraConnection;
  sentry?: SentryConfig;
  slack?: SlackConfig;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The environment variables, for help texts. */
export const ENVIRONMENT_HELP = `  GITHUB_TOKEN                  GitHub token (classic with repo scope, or fine-grained);
                                BORA_GITHUB_TOKEN wins when set (code-server takes GITHUB_TOKEN)
  BORA_GITHUB_URL               GitHub REST API root (default https://api.github.com;
                                GitHub Enterprise Server: https://HOST/api/v3)
  BORA_JIRA_URL                 Jira site, e.g. https://acme.atlassian.net
  JIRA_EMAIL + JIRA_API_TOKEN   Jira Cloud account e-mail and API token
  JIRA_PAT                      Jira Data Center personal access token (instead of the two above)
  BORA_SENTRY_URL               Sentry site (default https://sentry.io)
  SENTRY_AUTH_TOKEN             Sentry auth token (project:read, event:read; project:write to resolve)
  SENTRY_ORG, SENTRY_PROJECT    Sentry organization and project slugs
  SLACK_WEBHOOK_URL             Slack incoming webhook
  SLACK_BOT_TOKEN + BORA_SLACK_CHANNEL   or a bot token (chat:write) and a channel`;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\./.test(host);
}

/** A service URL: https, or http only on this machine, since tokens travel with every request. */
export function serviceUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a URL: '${value}'. Write it as https://host[/path].`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname)))
    throw new ConfigError(
      `${name} must use https:// (tokens are sent with every request); got ${url.protocol}//${url.host}.`,
    );
  if (url.username || url.password)
    throw new ConfigError(`${name} must not contain credentials; use the token variables instead.`);
  return url.toString().replace(/\/+$/, "");
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
}

/** The services an integration configuration may hold, in the order their problems are reported. */
export const INTEGRATION_CONFIG_SERVICES = ["github", "jira", "sentry", "slack"] as const;
export type IntegrationConfigService = (typeof INTEGRATION_CONFIG_SERVICES)[number];

/**
 * A configuration read service by service: the services configured well, and for each
 * half-configured one the `ConfigError`'s message naming what to fill in. One service's mistake
 * never hides the others (the Work Items view lists the rest and shows the mistake in its group).
 */
export interface ServiceConfigs {
  config: IntegrationConfig;
  problems: Partial<Record<IntegrationConfigService, string>>;
}

function githubFromEnv(env: NodeJS.ProcessEnv): GitHubConfig | undefined {
  // BORA_GITHUB_TOKEN first: some hosts take GITHUB_TOKEN for themselves (code-server reads it for
  // its own GitHub sign-in and removes it from the environment its extensions inherit).
  const githubToken = value(env, "BORA_GITHUB_TOKEN") ?? value(env, "GITHUB_TOKEN");
  if (!githubToken) return undefined;
  return {
    token: githubToken,
    baseUrl: serviceUrl("BORA_GITHUB_URL", value(env, "BORA_GITHUB_URL") ?? "https://api.github.com"),
  };
}

function jiraFromEnv(env: NodeJS.ProcessEnv): JiraConnection | undefined {
  const jiraUrl = value(env, "BORA_JIRA_URL");
  const email = value(env, "JIRA_EMAIL");
  const apiToken = value(env, "JIRA_API_TOKEN");
  const pat = value(env, "JIRA_PAT");
  if (!(jiraUrl || email || apiToken || pat)) return undefined;
  if (!jiraUrl)
    throw new ConfigError(
      "Jira credentials are set but BORA_JIRA_URL is not: set it to your site, e.g. https://acme.atlassian.net.",
    );
  const baseUrl = serviceUrl("BORA_JIRA_URL", jiraUrl);
  if (pat && (email || apiToken))
    throw new ConfigError("Set either JIRA_PAT (Data Center) or JIRA_EMAIL + JIRA_API_TOKEN (Cloud), not both.");
  if (pat) return { baseUrl, auth: { kind: "datacenter", pat } };
  if (email && apiToken) return { baseUrl, auth: { kind: "cloud", email, apiToken } };
  throw new ConfigError(
    email
      ? "JIRA_EMAIL is set without JIRA_API_TOKEN: create an API token at id.atlassian.com."
      : "BORA_JIRA_URL is set without credentials: set JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center).",
  );
}

function sentryFromEnv(env: NodeJS.ProcessEnv): SentryConfig | undefined {
  const sentryToken = value(env, "SENTRY_AUTH_TOKEN");
  if (!sentryToken) return undefined;
  const org = value(env, "SENTRY_ORG");
  if (!org) throw new ConfigError("SENTRY_AUTH_TOKEN is set without SENTRY_ORG: set it to your organization slug.");
  const project = value(env, "SENTRY_PROJECT");
  return {
    token: sentryToken,
    org,
    baseUrl: serviceUrl("BORA_SENTRY_URL", value(env, "BORA_SENTRY_URL") ?? "https://sentry.io"),
    ...(project ? { project } : {}),
  };
}

function slackFromEnv(env: NodeJS.ProcessEnv): SlackConfig | undefined {
  const webhook = value(env, "SLACK_WEBHOOK_URL");
  const bot = value(env, "SLACK_BOT_TOKEN");
  if (webhook) return { kind: "webhook", url: serviceUrl("SLACK_WEBHOOK_URL", webhook) };
  if (!bot) return undefined;
  const channel = value(env, "BORA_SLACK_CHANNEL");
  if (!channel)
    throw new ConfigError("SLACK_BOT_TOKEN is set without BORA_SLACK_CHANNEL: set it to a channel id or #name.");
  const apiUrl = value(env, "BORA_SLACK_API_URL");
  return {
    kind: "bot",
    token: bot,
    channel,
    ...(apiUrl ? { apiUrl: `${serviceUrl("BORA_SLACK_API_URL", apiUrl)}/` } : {}),
  };
}

/**
 * Runs one service's reader: its configuration goes into `into.config`, its `ConfigError` into
 * `into.problems` (any other error is a bug and is thrown).
 */
export function readService<S extends IntegrationConfigService>(
  into: ServiceConfigs,
  service: S,
  read: () => IntegrationConfig[S] | undefined,
): void {
  try {
    const config = read();
    if (config === undefined) delete into.config[service];
    else into.config[service] = config;
    delete into.problems[service];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    delete into.config[service];
    into.problems[service] = error.message;
  }
}

/** The environment's configuration service by service (see `ServiceConfigs`). */
export function integrationConfigsFromEnv(env: NodeJS.ProcessEnv): ServiceConfigs {
  const out: ServiceConfigs = { config: {}, problems: {} };
  readService(out, "github", () => githubFromEnv(env));
  readService(out, "jira", () => jiraFromEnv(env));
  readService(out, "sentry", () => sentryFromEnv(env));
  readService(out, "slack", () => slackFromEnv(env));
  return out;
}

/** The first service's problem as the `ConfigError` it was, or the configuration when there is none. */
export function configOrFirstProblem({ config, problems }: ServiceConfigs): IntegrationConfig {
  for (const service of INTEGRATION_CONFIG_SERVICES) {
    const problem = problems[service];
    if (problem !== undefined) throw new ConfigError(problem);
  }
  return config;
}

/**
 * Reads the integration settings. A service is configured when its credential is present; a
 * half-configured one (a Jira URL without credentials, an e-mail without a token) is an error, so
 * the CLI stops at it.
 */
export function integrationConfigFromEnv(env: NodeJS.ProcessEnv): IntegrationConfig {
  return configOrFirstProblem(integrationConfigsFromEnv(env));
}

/** Every secret in the configuration, for redacting anything written. */
export function secretsOf(config: IntegrationConfig): string[] {
  const out: string[] = [];
  if (config.github) out.push(config.github.token);
  if (config.jira) {
    const a = config.jira.auth;
    if (a.kind === "cloud") out.push(a.apiToken, Buffer.from(`${a.email}:${a.apiToken}`).toString("base64"));
    else out.push(a.pat);
  }
  if (config.sentry) out.push(config.sentry.token);
  if (config.slack) out.push(config.slack.kind === "webhook" ? config.slack.url : config.slack.token);
  if (config.slack?.kind === "webhook") out.push(new URL(config.slack.url).pathname);
  return out.filter((s) => s.length >= 4);
}

/** Replaces each secret in `text` with `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join("[redacted]");
  return out;
}
