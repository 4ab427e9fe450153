/**
 * LSP handlers of the integration methods: `bora/listWorkItems` (the sidebar's Work Items tree),
 * `bora/getWorkItem` (Show Details) and `bora/checkIntegration` (Configure Integrations checks a
 * credential). The configuration is the editor's (settings and secrets, `editorConfig.ts`) over the
 * host's environment, read per request, so a changed setting or token applies at once; the GitHub
 * repository is the first workspace folder's `origin`.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  CheckIntegration,
  GetWorkItem,
  ListWorkItems,
  type CheckIntegrationResult,
  type IntegrationService,
  type IntegrationSettings,
  type Problem,
} from "@bora/protocol";
import { LSPErrorCodes, ResponseError, type Connection } from "vscode-languageserver/node";
import type { AgentHost } from "../host/agentHost.js";
import { reportingHttpPolicy } from "../http/fetches.js";
import type { IntegrationConfig, IntegrationConfigService, ServiceConfigs } from "../integrations/config.js";
import { GitHubClient } from "../integrations/github/client.js";
import { JiraClient } from "../integrations/jira/client.js";
import { SentryClient } from "../integrations/sentry/client.js";
import { ChatNotifier } from "../integrations/slack/notifier.js";
import type { RepoRef } from "../integrations/github/keys.js";
import type { SentryWorkItemSource } from "../integrations/sentry/source.js";
import { createWorkItemSources, type WorkItemSources } from "../integrations/sources.js";
import { canonicalWorkItemKey, detectWorkItemSource, WorkItemRefError } from "../integrations/workItemRefs.js";
import { folderPathOf } from "../tasks/durableTasks.js";
import { integrationProblem, listWorkItemGroups, SOURCE_ORDER, workItemDetails } from "../workItems/workItemList.js";
import { originUrl, repoOfRemote } from "../workflows/worktrees.js";
import { invalidParams, onCheckedRequest } from "./params.js";

/**
 * Sentry errors a list refresh publishes as diagnostics: the latest event of each of this many
 * recent unresolved issues is fetched, one request each, so it bounds what a refresh costs.
 */
export const SENTRY_DIAGNOSTIC_ISSUES = 20;

function failed(problem: Problem): ResponseError<Problem> {
  return new ResponseError(LSPErrorCodes.RequestFailed, problem.message, problem);
}

/** The integrations as the host holds them now: the configuration service by service and the settings. */
export interface HostIntegrations {
  /** Each service's configuration, or its problem (a half-configured service); never throws a `ConfigError`. */
  configs(): ServiceConfigs;
  settings(): IntegrationSettings;
  /** Reads the client's settings again now, so a check right after a change sees it. */
  refresh?(): Promise<void>;
}

/** A half-configured service's problem, with the button to the flow that configures it. */
export function configProblem(service: IntegrationConfigService, message: string): Problem {
  return { code: `${service}.config`, message, fix: "configureIntegration", target: `bora.${service}` };
}

export function registerIntegrationHandlers(
  connection: Connection,
  host: AgentHost,
  integrations: HostIntegrations,
  /** The client's workspace folders (URIs). */
  workspaceFolders: () => readonly string[],
): void {
  const { logger } = host;
  const policy = reportingHttpPolicy(
    (line) => logger.info(line),
    (line) => logger.warn(line),
  );

  /** The trackers as configured now (read per request: a changed setting or token needs no restart). */
  const configured = async (): Promise<{
    sources: WorkItemSources;
    config: IntegrationConfig;
    problems: ServiceConfigs["problems"];
    githubRepoProblem?: string;
  }> => {
    const { config, problems } = integrations.configs();
    const folder = folderPathOf(undefined, workspaceFolders());
    let repo: RepoRef | undefined;
    let githubRepoProblem: string | undefined;
    if (folder === undefined) githubRepoProblem = "open the repository's folder to list its issues";
    else {
      try {
        repo = repoOfRemote(await originUrl(folder, host.spawner));
      } catch (error) {
        githubRepoProblem = `${(error as Error).message}; give a search query instead (with repo:OWNER/NAME)`;
      }
    }
    const sources = createWorkItemSources(config, policy, {
      workspaceRoot: folder ?? process.cwd(),
      ...(repo !== undefined && { repo }),
    });
    return { sources, config, problems, ...(githubRepoProblem !== undefined && { githubRepoProblem }) };
  };

  /** The files that have Sentry diagnostics now, so a refresh clears the ones that have none any more. */
  let published = new Set<string>();
  const publishSentryDiagnostics = async (source: SentryWorkItemSource, folder: string): Promise<void> => {
    const found = await source.workspaceDiagnostics(SENTRY_DIAGNOSTIC_ISSUES);
    const byUri = new Map<string, (typeof found)[number]["diagnostic"][]>();
    for (const { path: file, diagnostic } of found) {
      const uri = pathToFileURL(path.join(folder, file)).href;
      byUri.set(uri, [...(byUri.get(uri) ?? []), diagnostic]);
    }
    for (const uri of published) if (!byUri.has(uri)) await connection.sendDiagnostics({ uri, diagnostics: [] });
    for (const [uri, diagnostics] of byUri) await connection.sendDiagnostics({ uri, diagnostics });
    published = new Set(byUri.keys());
  };

  onCheckedRequest(
    connection,
    ListWorkItems,
    async (params) => {
      if (params.query !== undefined && params.source === undefined)
        throw invalidParams("a query is in one tracker's language: name its source");
      const { sources, problems, githubRepoProblem } = await configured();
      const settings = integrations.settings();
      const groups = await listWorkItemGroups(sources, {
        configProblems: Object.fromEntries(
          SOURCE_ORDER.flatMap((s) => (problems[s] === undefined ? [] : [[s, configProblem(s, problems[s])]])),
        ),
        ...(params.source !== undefined && { source: params.source }),
        ...(params.query !== undefined && { query: params.query }),
        queries: { github: settings.githubQuery, jira: settings.jiraQuery, sentry: settings.sentryQuery },
        limit: params.limit ?? 50,
        ...(githubRepoProblem !== undefined && { githubRepoProblem }),
      });
      // The Sentry errors whose frames are in the workspace become warnings in their files, so the
      // Problems panel lists them and Fix with Bora applies. They follow the list: a refresh renews them.
      const folder = folderPathOf(undefined, workspaceFolders());
      const sentry = sources.sentry as SentryWorkItemSource | undefined;
      const sentryListed = groups.find((g) => g.source === "sentry" && g.problem === undefined);
      if (sentry !== undefined && folder !== undefined && sentryListed !== undefined)
        await publishSentryDiagnostics(sentry, folder).catch((error: unknown) =>
          logger.warn(`Sentry diagnostics: ${(error as Error).message}`),
        );
      return { groups };
    },
    logger,
  );

  onCheckedRequest(
    connection,
    GetWorkItem,
    async (params) => {
      const { sources, config, problems } = await configured();
      let source: ReturnType<typeof detectWorkItemSource>;
      let key: string;
      try {
        source = params.source ?? detectWorkItemSource(params.ref, config);
        key = canonicalWorkItemKey(source, params.ref);
      } catch (error) {
        if (error instanceof WorkItemRefError) throw invalidParams(error.message);
        throw invalidParams(`'${params.ref}' is not a work item reference: ${(error as Error).message}`);
      }
      const tracker = sources[source];
      const problem = problems[source];
      if (tracker === undefined && problem !== undefined) throw failed(configProblem(source, problem));
      if (tracker === undefined)
        throw failed({
          code: `${source}.unconfigured`,
          message: `${source} is not configured: set its URL and token (see bora help items)`,
          fix: "configureIntegration",
          target: `bora.${source}`,
        });
      try {
        return { item: workItemDetails(await tracker.get(key)) };
      } catch (error) {
        throw failed(integrationProblem(source, error));
      }
    },
    logger,
  );

  onCheckedRequest(
    connection,
    CheckIntegration,
    async ({ service }) => {
      try {
        await integrations.refresh?.();
        const { config, problems } = integrations.configs();
        const problem = problems[service];
        if (problem !== undefined) return { service, problem: configProblem(service, problem) };
        return await checkIntegration(service, config, policy);
      } catch (error) {
        if (error instanceof ResponseError) return { service, problem: error.data as Problem };
        return { service, problem: integrationProblem(service, error) };
      }
    },
    logger,
  );
}

/** The scopes a classic GitHub token needs: issues, comments, pushes and pull requests of private repositories. */
const GITHUB_SCOPES = ["repo"];

/** One cheap authenticated call per service: who the credential is, and what it lacks. */
async function checkIntegration(
  service: IntegrationService,
  config: IntegrationConfig,
  policy: ReturnType<typeof reportingHttpPolicy>,
): Promise<CheckIntegrationResult> {
  const unconfigured = (what: string): CheckIntegrationResult => ({
    service,
    problem: {
      code: `${service}.unconfigured`,
      message: `${what} is not configured: give it a token with Bora: Configure Integrations…`,
      fix: "configureIntegration",
      target: `bora.${service}`,
    },
  });
  switch (service) {
    case "github": {
      if (config.github === undefined) return unconfigured("GitHub");
      const me = await new GitHubClient(config.github, policy).whoAmI();
      const missing = me.scopes === undefined ? [] : GITHUB_SCOPES.filter((s) => !me.scopes!.includes(s));
      return { service, account: me.login, ...(missing.length > 0 && { missing }) };
    }
    case "jira":
      if (config.jira === undefined) return unconfigured("Jira");
      return { service, account: await new JiraClient(config.jira, policy).whoAmI() };
    case "sentry": {
      if (config.sentry === undefined) return unconfigured("Sentry");
      const project = config.sentry.project;
      if (project === undefined)
        return {
          service,
          problem: {
            code: "sentry.noProject",
            message: "Sentry needs the project whose errors to list: set bora.sentry.project.",
            fix: "configureIntegration",
            target: "bora.sentry",
          },
        };
      await new SentryClient(config.sentry, policy).listUnresolvedIssues(project, { limit: 1 });
      return { service, account: `${config.sentry.org}/${project}` };
    }
    case "slack": {
      if (config.slack === undefined) return unconfigured("Slack");
      if (config.slack.kind === "webhook")
        return { service, account: "an incoming webhook (not checked: posting is the only call)" };
      const notifier = new ChatNotifier(config.slack.token, config.slack.channel, policy, {
        ...(config.slack.apiUrl !== undefined && { slackApiUrl: config.slack.apiUrl }),
      });
      return { service, account: `channel ${await notifier.check()}` };
    }
  }
}
