/**
 * LSP handlers of the work-item methods: `bora/listWorkItems` (the sidebar's Work Items tree) and
 * `bora/getWorkItem` (Show Details). Credentials and base URLs come from the host's environment,
 * as for `bora items`; the GitHub repository is the first workspace folder's `origin`.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { GetWorkItem, ListWorkItems, type Problem } from "@bora/protocol";
import { LSPErrorCodes, ResponseError, type Connection } from "vscode-languageserver/node";
import type { AgentHost } from "../host/agentHost.js";
import { reportingHttpPolicy } from "../http/fetches.js";
import { ConfigError, integrationConfigFromEnv } from "../integrations/config.js";
import type { RepoRef } from "../integrations/github/keys.js";
import type { SentryWorkItemSource } from "../integrations/sentry/source.js";
import { createWorkItemSources, type WorkItemSources } from "../integrations/sources.js";
import { canonicalWorkItemKey, detectWorkItemSource, WorkItemRefError } from "../integrations/workItemRefs.js";
import { folderPathOf } from "../tasks/durableTasks.js";
import { listWorkItemGroups, workItemDetails, workItemProblem } from "../workItems/workItemList.js";
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

export function registerWorkItemHandlers(
  connection: Connection,
  host: AgentHost,
  env: NodeJS.ProcessEnv,
  /** The client's workspace folders (URIs). */
  workspaceFolders: () => readonly string[],
): void {
  const { logger } = host;
  const policy = reportingHttpPolicy(
    (line) => logger.info(line),
    (line) => logger.warn(line),
  );

  /** The trackers as configured now (the environment is read per request: a fixed variable needs no restart). */
  const configured = async (): Promise<{
    sources: WorkItemSources;
    config: ReturnType<typeof integrationConfigFromEnv>;
    githubRepoProblem?: string;
  }> => {
    let config: ReturnType<typeof integrationConfigFromEnv>;
    try {
      config = integrationConfigFromEnv(env);
    } catch (error) {
      if (error instanceof ConfigError)
        throw failed({
          code: "integrationConfig",
          message: error.message,
          fix: "configureIntegration",
          target: "bora",
        });
      throw error;
    }
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
    return { sources, config, ...(githubRepoProblem !== undefined && { githubRepoProblem }) };
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
      const { sources, githubRepoProblem } = await configured();
      const groups = await listWorkItemGroups(sources, {
        ...(params.source !== undefined && { source: params.source }),
        ...(params.query !== undefined && { query: params.query }),
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
      const { sources, config } = await configured();
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
        throw failed(workItemProblem(source, error));
      }
    },
    logger,
  );
}
