/**
 * What **Bora: Configure Integrations…** asks for each service: the settings it writes and the
 * secret it stores, in the order a person fills them in. Pure (no `vscode` import), so the flows and
 * their checks are tested without VS Code; `configureIntegrations.ts` asks the questions.
 */
import type { IntegrationSecretName, IntegrationService, ListTasksResult } from "@bora/protocol";

export type SetupChoice =
  "github" | "githubEnterprise" | "jiraCloud" | "jiraDataCenter" | "sentry" | "slack" | "teamQueue";

export interface SetupField {
  /** The setting written (`bora.` + key), or the secret stored. */
  target: { setting: string } | { secret: IntegrationSecretName };
  prompt: string;
  placeHolder?: string;
  /** A value to offer (the setting's current one is offered first). */
  defaultValue?: string;
  /** Hidden while typed. */
  password?: boolean;
  /** Why a value is refused, or undefined when it is fine. */
  validate?(value: string): string | undefined;
}

export interface SetupFlow {
  choice: SetupChoice;
  label: string;
  detail: string;
  /** What checks the setup: a service's `bora/checkIntegration`, or (`team`) the team's tasks listed. */
  service: IntegrationService | "team";
  fields: SetupField[];
  /** Settings that must be cleared for this flavour (Jira Data Center has no e-mail). */
  clear?: string[];
}

function httpsUrl(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    if (url.protocol === "https:") return undefined;
    if (url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)) return undefined;
    return "Use an https:// address: the token travels with every request.";
  } catch {
    return "Enter a full address, e.g. https://jira.example.com";
  }
}

const required = (what: string) => (value: string) => (value.trim() === "" ? `${what} is required.` : undefined);

function token(secret: IntegrationSecretName, prompt: string, placeHolder?: string): SetupField {
  return {
    target: { secret },
    prompt: `${prompt} It is kept in VS Code's secret storage, never in settings.`,
    password: true,
    ...(placeHolder !== undefined && { placeHolder }),
    validate: required("The token"),
  };
}

export const SETUP_FLOWS: readonly SetupFlow[] = [
  {
    choice: "github",
    label: "GitHub",
    detail:
      "github.com: a token with the repo scope (classic) or issues, contents and pull-request access (fine-grained)",
    service: "github",
    fields: [token("github.token", "A GitHub token.", "ghp_… or github_pat_…")],
    clear: ["github.url"],
  },
  {
    choice: "githubEnterprise",
    label: "GitHub Enterprise Server",
    detail: "Your server's REST API root and a token",
    service: "github",
    fields: [
      {
        target: { setting: "github.url" },
        prompt: "The REST API root of your GitHub Enterprise Server.",
        placeHolder: "https://github.example.com/api/v3",
        validate: httpsUrl,
      },
      token("github.token", "A token of your GitHub Enterprise Server."),
    ],
  },
  {
    choice: "jiraCloud",
    label: "Jira Cloud",
    detail: "Your site, your account e-mail and an API token (id.atlassian.com → Security → API tokens)",
    service: "jira",
    fields: [
      {
        target: { setting: "jira.url" },
        prompt: "Your Jira site.",
        placeHolder: "https://acme.atlassian.net",
        validate: httpsUrl,
      },
      {
        target: { setting: "jira.email" },
        prompt: "The e-mail of the Atlassian account the API token belongs to.",
        validate: (v) => (/^[^@\s]+@[^@\s]+$/.test(v.trim()) ? undefined : "Enter an e-mail address."),
      },
      token("jira.token", "The Atlassian API token."),
    ],
  },
  {
    choice: "jiraDataCenter",
    label: "Jira Data Center",
    detail: "Your server and a personal access token",
    service: "jira",
    fields: [
      {
        target: { setting: "jira.url" },
        prompt: "Your Jira server.",
        placeHolder: "https://jira.example.com",
        validate: httpsUrl,
      },
      token("jira.token", "A personal access token (Profile → Personal Access Tokens)."),
    ],
    clear: ["jira.email"],
  },
  {
    choice: "sentry",
    label: "Sentry",
    detail: "Organization, project and an auth token with project:read and event:read",
    service: "sentry",
    fields: [
      {
        target: { setting: "sentry.url" },
        prompt: "The Sentry site.",
        defaultValue: "https://sentry.io",
        validate: httpsUrl,
      },
      {
        target: { setting: "sentry.org" },
        prompt: "The organization's slug.",
        validate: required("The organization"),
      },
      {
        target: { setting: "sentry.project" },
        prompt: "The project's slug (its unresolved errors are listed and shown in your files).",
        validate: required("The project"),
      },
      token("sentry.token", "A Sentry auth token.", "sntryu_…"),
    ],
  },
  {
    choice: "slack",
    label: "Slack",
    detail: "A bot token (chat:write, channels:history) and the channel id to tell when a PR opens",
    service: "slack",
    fields: [
      {
        target: { setting: "slack.channel" },
        prompt: "The channel's id (in Slack: the channel's details, at the bottom).",
        placeHolder: "C0123ABCDEF",
        validate: (v) =>
          /^[CG][A-Z0-9]{6,}$/.test(v.trim()) ? undefined : "A channel id starts with C or G, e.g. C0123ABCDEF.",
      },
      token("slack.token", "The bot token.", "xoxb-…"),
    ],
  },
  {
    choice: "teamQueue",
    label: "Team queue",
    detail: "The team's workflow database (PostgreSQL), where Hand Off to Team sends tasks and whose tasks you see",
    service: "team",
    fields: [
      {
        target: { secret: "team.databaseUrl" },
        prompt:
          "The team's PostgreSQL URL, as its workers have it in BORA_DATABASE_URL. It holds the password, so it is kept in VS Code's secret storage, never in settings.",
        placeHolder: "postgres://bora:…@db.example.com:5432/bora",
        password: true,
        validate: (v) =>
          /^postgres(ql)?:\/\/[^\s]+$/.test(v.trim()) ? undefined : "Enter a postgres:// or postgresql:// URL.",
      },
    ],
  },
];

/** What listing the tasks said of the team queue, as one line for the user. */
export function teamCheckSummary(label: string, result: ListTasksResult): { ok: boolean; message: string } {
  const problem = result.problem?.code === "teamUnavailable" ? result.problem : undefined;
  if (problem !== undefined) return { ok: false, message: `${label}: ${problem.message}` };
  const count = result.tasks.filter((t) => t.team === true).length;
  return {
    ok: true,
    message: `${label} is set up: ${count === 0 ? "no tasks on it yet" : `${count} recent task${count === 1 ? "" : "s"} on it`}.`,
  };
}

/** What the check answered, as one line for the user. */
export function checkSummary(
  label: string,
  result: { account?: string; missing?: string[]; problem?: { message: string } },
): { ok: boolean; message: string } {
  if (result.problem !== undefined) return { ok: false, message: `${label}: ${result.problem.message}` };
  const missing = result.missing && result.missing.length > 0 ? ` It lacks: ${result.missing.join(", ")}.` : "";
  return {
    ok: missing === "",
    message: `${label} is set up: signed in as ${result.account ?? "(unknown)"}.${missing}`,
  };
}
