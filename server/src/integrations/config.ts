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

/**
 * Reads the integration settings. A service is configured when its credential is present; a
 * half-configured one (a Jira URL without credentials, an e-mail without a token) is an error.
 */
export function integrationConfigFromEnv(env: NodeJS.ProcessEnv): IntegrationConfig {
  const config: IntegrationConfig = {};
  // BORA_GITHUB_TOKEN first: some hosts take GITHUB_TOKEN for themselves (code-server reads it for
  // its own GitHub sign-in and removes it from the environment its extensions inherit).
  const githubToken = value(env, "BORA_GITHUB_TOKEN") ?? value(env, "GITHUB_TOKEN");
  if (githubToken)
    config.github = {
      token: githubToken,
      baseUrl: serviceUrl("BORA_GITHUB_URL", value(env, "BORA_GITHUB_URL") ?? "https://api.github.com"),
    };

  const jiraUrl = value(env, "BORA_JIRA_URL");
  const email = value(env, "JIRA_EMAIL");
  const apiToken = value(env, "JIRA_API_TOKEN");
  const pat = value(env, "JIRA_PAT");
  if (jiraUrl || email || apiToken || pat) {
    if (!jiraUrl)
      throw new ConfigError(
        "Jira credentials are set but BORA_JIRA_URL is not: set it to your site, e.g. https://acme.atlassian.net.",
      );
    const baseUrl = serviceUrl("BORA_JIRA_URL", jiraUrl);
    if (pat && (email || apiToken))
      throw new ConfigError("Set either JIRA_PAT (Data Center) or JIRA_EMAIL + JIRA_API_TOKEN (Cloud), not both.");
    if (pat) config.jira = { baseUrl, auth: { kind: "datacenter", pat } };
    else if (email && apiToken) config.jira = { baseUrl, auth: { kind: "cloud", email, apiToken } };
    else
      throw new ConfigError(
        email
          ? "JIRA_EMAIL is set without JIRA_API_TOKEN: create an API token at id.atlassian.com."
          : "BORA_JIRA_URL is set without credentials: set JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center).",
      );
  }

  const sentryToken = value(env, "SENTRY_AUTH_TOKEN");
  if (sentryToken) {
    const org = value(env, "SENTRY_ORG");
    if (!org) throw new ConfigError("SENTRY_AUTH_TOKEN is set without SENTRY_ORG: set it to your organization slug.");
    const project = value(env, "SENTRY_PROJECT");
    config.sentry = {
      token: sentryToken,
      org,
      baseUrl: serviceUrl("BORA_SENTRY_URL", value(env, "BORA_SENTRY_URL") ?? "https://sentry.io"),
      ...(project ? { project } : {}),
    };
  }

  const webhook = value(env, "SLACK_WEBHOOK_URL");
  const bot = value(env, "SLACK_BOT_TOKEN");
  if (webhook) config.slack = { kind: "webhook", url: serviceUrl("SLACK_WEBHOOK_URL", webhook) };
  else if (bot) {
    const channel = value(env, "BORA_SLACK_CHANNEL");
    if (!channel)
      throw new ConfigError("SLACK_BOT_TOKEN is set without BORA_SLACK_CHANNEL: set it to a channel id or #name.");
    const apiUrl = value(env, "BORA_SLACK_API_URL");
    config.slack = {
      kind: "bot",
      token: bot,
      channel,
      ...(apiUrl ? { apiUrl: `${serviceUrl("BORA_SLACK_API_URL", apiUrl)}/` } : {}),
    };
  }
  return config;
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
