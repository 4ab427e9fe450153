/**
 * `bora items list|show`: reads work items from GitHub, Jira or Sentry with the settings in the
 * environment, and prints them as a table or JSON. Every request is audited on stderr, and
 * everything the command writes passes through a filter that removes the configured secrets.
 */
import { parseArgs } from "node:util";
import {
  ConfigError,
  ENVIRONMENT_HELP,
  integrationConfigFromEnv,
  redactSecrets,
  secretsOf,
  type IntegrationConfig,
} from "../../integrations/config.js";
import { parseRepo, type RepoRef } from "../../integrations/github/keys.js";
import { IntegrationError, SERVICE_LABEL } from "../../http/errors.js";
import { createWorkItemSources } from "../../integrations/sources.js";
import { detectWorkItemSource, WorkItemRefError } from "../../integrations/workItemRefs.js";
import type { WorkItem, WorkItemSource, WorkItemSourceName } from "../../integrations/workItem.js";
import { UsageError, type CliCommand, type CliIO } from "../command.js";
import { cliHttpPolicy } from "../httpPolicy.js";

const SOURCES: readonly WorkItemSourceName[] = ["github", "jira", "sentry"];

const USAGE = `bora items list --source github|jira|sentry [--repo OWNER/NAME] [--query Q] [--limit N] [--json] [--quiet]
bora items show <URL|KEY|ID> [--source github|jira|sentry] [--repo OWNER/NAME] [--json] [--quiet]

Lists or shows work items. list: GitHub lists the open issues of --repo, or searches with --query
(GitHub search syntax); Jira runs --query as JQL (default: your open issues); Sentry lists the
unresolved issues of SENTRY_PROJECT, narrowed by --query. show takes an issue URL, OWNER/NAME#N
(or #N with --repo), a Jira key (ABC-12), or a Sentry issue id or short id (APP-1A).
Each HTTP request is logged on stderr as an audit line; --quiet leaves those out.

Settings come from the environment:
${ENVIRONMENT_HELP}`;

/** Which source a `show` argument names, when --source does not say (a usage mistake when none does). */
export function detectSource(target: string, config: IntegrationConfig): WorkItemSourceName {
  try {
    return detectWorkItemSource(target, config);
  } catch (error) {
    if (error instanceof WorkItemRefError) throw new UsageError(`${error.message} (pass --source)`);
    throw error;
  }
}

function truncate(text: string, width: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

export function formatTable(items: WorkItem[]): string {
  if (items.length === 0) return "No items.\n";
  const rows = items.map((i) => [i.key, i.status, i.assignee ?? "-", truncate(i.title, 70)]);
  const header = ["KEY", "STATUS", "ASSIGNEE", "TITLE"];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

export function formatItem(item: WorkItem): string {
  const out: string[] = [
    `${item.key}  ${item.title}`,
    `${item.status}${item.assignee ? ` · ${item.assignee}` : ""}${item.labels.length ? ` · ${item.labels.join(", ")}` : ""}`,
    item.url,
    "",
  ];
  if (item.body) out.push(item.body, "");
  for (const trace of item.stackTraces) {
    out.push(`${trace.type ?? "Error"}${trace.message ? `: ${trace.message}` : ""}`);
    for (const f of [...trace.frames].reverse())
      out.push(
        `    at ${f.function ?? "?"} (${f.workspacePath ?? f.file}${f.line !== undefined ? `:${f.line}` : ""}${f.column !== undefined ? `:${f.column}` : ""})${f.workspacePath ? "" : f.inApp ? "  [not in workspace]" : ""}`,
      );
    out.push("");
  }
  if (item.comments.length > 0) {
    out.push(`Comments (${item.comments.length}):`);
    for (const c of item.comments) out.push(`--- ${c.author}, ${c.createdAt}`, c.body);
    out.push("");
  }
  for (const l of item.links) out.push(`${l.kind}: ${l.title} ${l.url}`);
  return `${out.join("\n").trimEnd()}\n`;
}

function redacting(stream: NodeJS.WritableStream, secrets: readonly string[]): { write(text: string): void } {
  return { write: (text) => void stream.write(redactSecrets(text, secrets)) };
}

async function run(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "list" && sub !== "show")
    throw new UsageError(sub === undefined ? "say list or show" : `unknown subcommand '${sub}'; use list or show`);
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      source: { type: "string" },
      repo: { type: "string" },
      query: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
      quiet: { type: "boolean" },
    },
  });
  let config: IntegrationConfig;
  try {
    config = integrationConfigFromEnv(io.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const secrets = secretsOf(config);
  const out = redacting(io.stdout, secrets);
  const err = redacting(io.stderr, secrets);
  if (values.source !== undefined && !SOURCES.includes(values.source as WorkItemSourceName))
    throw new UsageError(`--source must be one of ${SOURCES.join(", ")}`);
  let repo: RepoRef | undefined;
  try {
    repo = values.repo === undefined ? undefined : parseRepo(values.repo);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit <= 0 || limit > 1000)
    throw new UsageError("--limit must be a whole number from 1 to 1000");

  let name: WorkItemSourceName;
  let target: string | undefined;
  if (sub === "list") {
    if (values.source === undefined) throw new UsageError("list needs --source github, jira or sentry");
    if (positionals.length > 0)
      throw new UsageError(`list takes no positional arguments; got '${positionals.join(" ")}'`);
    name = values.source as WorkItemSourceName;
  } else {
    if (positionals.length !== 1) throw new UsageError("show takes one URL, key or id");
    target = positionals[0] as string;
    name = (values.source as WorkItemSourceName | undefined) ?? detectSource(target, config);
  }

  const policy = cliHttpPolicy(err, { quiet: values.quiet === true });
  const sources = createWorkItemSources(config, policy, { workspaceRoot: io.cwd, ...(repo ? { repo } : {}) });
  const source: WorkItemSource | undefined = sources[name];
  if (!source) {
    const need = {
      github: "GITHUB_TOKEN",
      jira: "BORA_JIRA_URL and JIRA_EMAIL + JIRA_API_TOKEN (or JIRA_PAT)",
      sentry: "SENTRY_AUTH_TOKEN and SENTRY_ORG",
    }[name];
    err.write(`bora items: ${SERVICE_LABEL[name]} is not configured; set ${need}.\n`);
    return 1;
  }
  try {
    if (sub === "list") {
      const items = await source.list({ ...(values.query ? { text: values.query } : {}), limit });
      out.write(values.json ? `${JSON.stringify(items, null, 2)}\n` : formatTable(items));
    } else {
      const item = await source.get(target as string);
      out.write(values.json ? `${JSON.stringify(item, null, 2)}\n` : formatItem(item));
    }
    return 0;
  } catch (error) {
    if (error instanceof IntegrationError || error instanceof Error) {
      err.write(`bora items: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

export const itemsCommand: CliCommand = {
  name: "items",
  summary: "List or show GitHub issues, Jira tickets and Sentry errors",
  usage: USAGE,
  run: (args, io) => run(args, io),
};
