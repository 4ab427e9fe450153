/**
 * What the editor's Work Items view lists: per configured tracker, the items that matter to the
 * user (by default, or by the query given), or the reason the tracker could not be read, worded
 * with its fix. One tracker failing never hides the others' items.
 */
import type { Problem, WorkItemDetails, WorkItemGroup, WorkItemRow } from "@bora/protocol";
import { IntegrationError, SERVICE_LABEL, type ServiceName } from "../http/errors.js";
import type { GitHubWorkItemSource } from "../integrations/github/source.js";
import type { WorkItemSources } from "../integrations/sources.js";
import type { WorkItem, WorkItemSourceName } from "../integrations/workItem.js";

/** The trackers in the order the view shows them. */
export const SOURCE_ORDER: readonly WorkItemSourceName[] = ["github", "jira", "sentry"];

/** What each tracker lists when the user gives no query: their own open work. */
export const DEFAULT_QUERIES: Record<WorkItemSourceName, string> = {
  github: "is:issue is:open assignee:@me",
  jira: "assignee = currentUser() AND statusCategory != Done",
  sentry: "is:unresolved",
};

export function workItemRow(item: WorkItem): WorkItemRow {
  return {
    source: item.source,
    key: item.key,
    title: item.title,
    status: item.status,
    url: item.url,
    ...(item.updatedAt !== undefined && { updatedAt: item.updatedAt }),
    ...(item.assignee !== undefined && { assignee: item.assignee }),
  };
}

export function workItemDetails(item: WorkItem): WorkItemDetails {
  return {
    ...workItemRow(item),
    body: item.body,
    labels: item.labels,
    comments: item.comments.map((c) => ({
      author: c.author,
      body: c.body,
      createdAt: c.createdAt,
      ...(c.url !== undefined && { url: c.url }),
    })),
    stackTraces: item.stackTraces.map((t) => ({
      ...(t.type !== undefined && { type: t.type }),
      ...(t.message !== undefined && { message: t.message }),
      frames: t.frames.map((f) => ({
        file: f.file,
        ...(f.workspacePath !== undefined && { workspacePath: f.workspacePath }),
        ...(f.line !== undefined && { line: f.line }),
        ...(f.column !== undefined && { column: f.column }),
        ...(f.function !== undefined && { function: f.function }),
        inApp: f.inApp,
      })),
    })),
  };
}

/**
 * A tracker's failure as the view shows it. The integration's own message already says what went
 * wrong and what to do (a refused token, the rate limit's reset time, the host it could not reach);
 * the fix is the button that goes there.
 */
/** A failure of any integration (a tracker, or Slack) as a problem with its fix. */
export function integrationProblem(source: ServiceName, error: unknown): Problem {
  const label = SERVICE_LABEL[source];
  if (error instanceof IntegrationError) {
    const settings = `bora.${source}`;
    switch (error.kind) {
      case "auth":
      case "forbidden":
      case "config":
        return {
          code: `${source}.${error.kind}`,
          message: error.message,
          fix: "configureIntegration",
          target: settings,
        };
      case "rateLimited":
        return { code: `${source}.rateLimited`, message: error.message };
      case "network":
      case "timeout":
        return {
          code: `${source}.offline`,
          message: `${error.message} Check the network, or the ${label} URL in the settings.`,
          fix: "configureIntegration",
          target: settings,
        };
      default:
        return { code: `${source}.${error.kind}`, message: error.message, fix: "openLogs" };
    }
  }
  return {
    code: `${source}.failed`,
    message: `${label}: ${error instanceof Error ? error.message : String(error)}`,
    fix: "openLogs",
  };
}

export interface ListOptions {
  /** Only this tracker. */
  source?: WorkItemSourceName;
  /** The tracker's query, instead of the default (with `source`). */
  query?: string;
  /** Each tracker's query from the settings (`bora.<source>.query`); empty means Bora's default. */
  queries?: Partial<Record<WorkItemSourceName, string>>;
  limit: number;
  /** Why the workspace has no GitHub repository to list from, when it has none. */
  githubRepoProblem?: string;
  /** The trackers configured only in part: each is its group's problem, and the others still list. */
  configProblems?: Partial<Record<WorkItemSourceName, Problem>>;
}

/** Lists every configured tracker (or the one asked for) at once; each group has its items or its problem. */
export async function listWorkItemGroups(sources: WorkItemSources, options: ListOptions): Promise<WorkItemGroup[]> {
  const wanted = SOURCE_ORDER.filter(
    (s) => (sources[s] !== undefined || options.configProblems?.[s] !== undefined) && (options.source ?? s) === s,
  );
  return Promise.all(
    wanted.map(async (name): Promise<WorkItemGroup> => {
      const source = sources[name];
      const text = options.query?.trim() || options.queries?.[name]?.trim() || undefined;
      const query = text ?? DEFAULT_QUERIES[name];
      const configProblem = options.configProblems?.[name];
      if (source === undefined || configProblem !== undefined)
        return { source: name, query, items: [], ...(configProblem !== undefined && { problem: configProblem }) };
      try {
        let items: WorkItem[];
        if (name === "github" && text === undefined) {
          // The workspace's repository, the issues assigned to the user: the REST list, no search quota.
          if (options.githubRepoProblem !== undefined) throw new Error(options.githubRepoProblem);
          items = await (source as GitHubWorkItemSource).list({ limit: options.limit, assignedToMe: true });
        } else {
          items = await source.list({ text: query, limit: options.limit });
        }
        // As many as asked for: the tracker may hold more (one more request tells; this costs none).
        return {
          source: name,
          query,
          items: items.map(workItemRow),
          ...(items.length >= options.limit && { more: true }),
        };
      } catch (error) {
        return { source: name, query, items: [], problem: integrationProblem(name, error) };
      }
    }),
  );
}
